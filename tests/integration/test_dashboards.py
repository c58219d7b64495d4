"""The Grafana dashboard and Prometheus rules in examples/dashboards/, against
a real Gatehouse and a real Prometheus (Debian's `prometheus` package, started
here on 127.0.0.1 with a port chosen at run time and its storage in a
temporary directory).

Gatehouse runs with a route for each family the dashboard shows (cache,
rate_limit with the local store and with an unreachable Redis, jwt with an
unreachable key server, a failing Lua hook, an upstream that refuses
connections) on a TLS listener with an access log. Traffic goes through it,
Prometheus scrapes its admin listener every second with the shipped
prometheus.yml (its interval and target replaced) and alerts.yml, more
traffic goes through, and then every panel's every query, with Grafana's
variables replaced, must be valid PromQL that returns series carrying the
labels its legend names; the panels this traffic drives must show a value
above zero. Every metric and label the dashboard names must be one Gatehouse
exports, promtool must accept the shipped files, and Prometheus must have
loaded and evaluated every alert rule without error (with the certificate
and connect-error alerts active, as this setup calls for)."""

import http.client
import json
import math
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import yaml

from harness import (SLOW, SOURCE_DIR, ExitedBeforeListening, GatehouseTestCase, Process, free_port,
                     refused_port, wait_for_port)
from test_admin_metrics import parse_metrics
from tls_certs import TestPki

DASHBOARDS = os.path.join(SOURCE_DIR, "examples", "dashboards")
DASHBOARD = os.path.join(DASHBOARDS, "gatehouse.json")
ALERTS = os.path.join(DASHBOARDS, "alerts.yml")
PROMETHEUS_CONFIG = os.path.join(DASHBOARDS, "prometheus.yml")

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
HAVE_PROMETHEUS = os.access(PROMETHEUS, os.X_OK)
HAVE_PROMTOOL = os.access(PROMTOOL, os.X_OK)
INSTALL_HINT = "Debian's prometheus package is not installed (scripts/install-deps installs it)"

# What Grafana's $__rate_interval is replaced with: long enough to hold the
# scrapes before and after the second batch of traffic, even under ASan.
RATE_INTERVAL = "1m"

# The metric families the dashboard must show (those Gatehouse exports).
FAMILIES = {
    "gatehouse_access_log_dropped_total", "gatehouse_active_connections", "gatehouse_cache_entries",
    "gatehouse_cache_evictions_total", "gatehouse_cache_lookups_total", "gatehouse_cache_stored_bytes",
    "gatehouse_jwt_failures_total", "gatehouse_jwt_jwks_fetches_total", "gatehouse_lua_errors_total",
    "gatehouse_rate_limit_decisions_total", "gatehouse_rate_limit_store_duration_seconds",
    "gatehouse_request_duration_seconds", "gatehouse_requests_total",
    "gatehouse_tls_certificate_expiry_timestamp_seconds", "gatehouse_tls_handshake_failures_total",
    "gatehouse_tls_handshakes_total", "gatehouse_upstream_connect_errors_total",
    "gatehouse_upstream_duration_seconds",
}

# Panels whose every query must show a value above zero after the traffic
# below (the others must still return series: a zero counter's rate, say).
DRIVEN_PANELS = {
    "Requests/s by route", "Requests/s by status class", "5xx ratio by route", "Requests/s by method",
    "Request duration p50 / p95 / p99", "Request duration p99 by route",
    "Upstream duration p50 / p95 / p99 by upstream", "Upstream connect errors/s", "Upstream responses/s",
    "Cache hit ratio by route", "Cache lookups/s by result", "Cache evictions/s", "Cache stored bytes",
    "Cache entries", "Rate-limit decisions/s by result", "Limited share by route",
    "Redis store latency p50 / p99", "JWT failures/s by reason", "TLS handshakes/s",
    "TLS handshake failures/s by reason", "Days to certificate expiry", "Lua errors/s by route and phase",
}

# Alerts this setup must make pending or firing: a certificate valid for
# 3 days, and an upstream that refuses every connection.
ACTIVE_ALERTS = {"GatehouseTLSCertificateExpiringSoon", "GatehouseUpstreamConnectErrors"}

PROMETHEUS_LABELS = {"instance", "job"}  # added by Prometheus to every scraped series
METRIC = re.compile(r"\b(gatehouse_[a-zA-Z0-9_]+)\b(\s*\{([^}]*)\})?")
MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*"')
GROUPING = re.compile(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)")
LEGEND_LABEL = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")
RANGE = re.compile(r"\[([^\]]*)\]")
LABEL_VALUES = re.compile(r"^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$", re.S)
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def load_dashboard():
    with open(DASHBOARD) as f:
        return json.load(f)


def all_panels(dashboard):
    """Every panel, those inside collapsed rows too."""
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def all_targets(dashboard):
    """(panel title, target) of every query."""
    return [(p["title"], t) for p in all_panels(dashboard) for t in p.get("targets", [])]


def variable(dashboard, name):
    for v in dashboard["templating"]["list"]:
        if v["name"] == name:
            return v
    raise AssertionError("the dashboard has no variable `%s`" % name)


def variable_query(v):
    q = v["query"]
    return q["query"] if isinstance(q, dict) else q


def family(name):
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and name[:-len(suffix)] in FAMILIES:
            return name[:-len(suffix)]
    return name


def promql_string(regex):
    """A regex as the inside of a PromQL double-quoted string."""
    return regex.replace("\\", "\\\\").replace('"', '\\"')


def substitute(expr, values):
    """Replaces Grafana's variables ($name, ${name}, ${name:fmt}) by `values`;
    an unknown one is an error, so a typo cannot slip through as a literal."""
    def one(m):
        name = m.group(1) or m.group(2)
        if name not in values:
            raise AssertionError("unknown variable $%s in %r" % (name, expr))
        return values[name]
    return re.sub(r"\$\{([a-zA-Z_][a-zA-Z0-9_]*)(?::[^}]*)?\}|\$([a-zA-Z_][a-zA-Z0-9_]*)", one, expr)


def wait_until(predicate, timeout, interval=0.1):
    deadline = time.monotonic() + timeout * SLOW
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return predicate()


class Prometheus(Process):
    """A real Prometheus on 127.0.0.1 at a port chosen at run time, its TSDB in
    a temporary directory; started again on a fresh port if the one chosen
    was taken meanwhile."""

    def __init__(self, config_path, data_dir, test):
        for attempt in range(5):
            self.port = free_port()
            Process.__init__(self, [PROMETHEUS, "--config.file=" + config_path,
                                    "--storage.tsdb.path=" + data_dir,
                                    "--web.listen-address=127.0.0.1:%d" % self.port], "prometheus")
            test.addCleanup(self.stop)  # however the test ends (stop() of an exited one is a no-op)
            try:
                wait_for_port(self.port, timeout=30, proc=self.proc)
                break
            except ExitedBeforeListening as e:
                if "address already in use" in self.output().lower() and attempt < 4:
                    continue
                raise ExitedBeforeListening("prometheus: %s\n%s" % (e, self.output()[-4000:])) from None

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError("Prometheus exited with %s:\n%s" % (self.proc.returncode, self.output()[-4000:]))
            return self.get("/-/ready")[0] == 200
        if not wait_until(ready, 30):
            raise AssertionError("Prometheus did not become ready:\n" + self.output()[-4000:])

    def get(self, path, **params):
        url = "http://127.0.0.1:%d%s" % (self.port, path)
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        try:
            with urllib.request.urlopen(url, timeout=10 * SLOW) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except OSError as e:
            return None, str(e)

    def api(self, path, **params):
        status, body = self.get("/api/v1/" + path, **params)
        try:
            return json.loads(body)
        except ValueError:
            return {"status": "error", "error": "HTTP %s: %s" % (status, body[:500])}

    def query(self, expr):
        return self.api("query", query=expr)

    def value(self, expr):
        """The one value of an instant query, or None."""
        answer = self.query(expr)
        result = answer.get("data", {}).get("result", [])
        return float(result[0]["value"][1]) if answer.get("status") == "success" and result else None


class DashboardTestCase(GatehouseTestCase):

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="gatehouse-dashboards-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def start_gatehouse_with_every_family(self):
        """Gatehouse on a TLS listener (a certificate for localhost valid for
        3 days), one route per feature, chosen by the Host header."""
        pki = TestPki(self.dir)
        cert, key = pki.issue("gatehouse", "localhost", dns=["localhost"])
        self.tls = ssl.create_default_context(cafile=pki.ca_crt)
        upstream = self.start_upstream()
        nobody = refused_port()  # an upstream, a Redis and a key server that refuse connections
        cfg = {
            "workers": 1,
            "listeners": [{"name": "public", "address": "127.0.0.1:{port}",
                           "tls": {"certificates": [{"cert_file": cert, "key_file": key}]}}],
            "admin": {"address": "127.0.0.1:{admin_port}"},
            "access_log": {"path": os.path.join(self.dir, "access.log")},
            "upstreams": {"app": {"targets": [upstream.address]},
                          "down": {"targets": ["127.0.0.1:%d" % nobody]}},
            "routes": [
                {"name": "cached", "match": {"host": "cache.test"}, "upstream": "app",
                 "policies": [{"cache": {"default_ttl": "60s", "max_size": "1MiB"}}]},
                {"name": "limited", "match": {"host": "limit.test"}, "upstream": "app",
                 "policies": [{"rate_limit": {"limit": "3/m"}}]},
                {"name": "shared", "match": {"host": "redis.test"}, "upstream": "app",
                 "policies": [{"rate_limit": {"limit": "100/s", "store": "redis",
                                              "redis": {"address": "127.0.0.1:%d" % nobody},
                                              "on_store_error": "local_fallback"}}]},
                {"name": "auth", "match": {"host": "jwt.test"}, "upstream": "app",
                 "policies": [{"jwt": {"issuers": [{
                     "issuer": "https://idp.test", "audiences": ["gatehouse"], "algorithms": ["ES256"],
                     "jwks_uri": "http://127.0.0.1:%d/jwks" % nobody, "fetch_timeout": "200ms"}]}}]},
                {"name": "scripted", "match": {"host": "lua.test"}, "upstream": "app",
                 "policies": [{"lua": {"source": "function on_request(req)\n"
                                                 "  if req.query == 'fail' then error('failing on purpose') end\n"
                                                 "end\n"}}]},
                {"name": "broken", "match": {"host": "down.test"}, "upstream": "down"},
                {"name": "all", "match": {"path_prefix": "/"}, "upstream": "app"},
            ],
        }
        self.gh = self.start_gatehouse(cfg)
        self.requests_sent = 0
        self.batches = 0
        return self.gh

    def https(self, host, path, method="GET", headers=None):
        """Status of one request on a new TLS connection (one handshake each)."""
        conn = http.client.HTTPSConnection("localhost", self.gh.port, context=self.tls, timeout=10 * SLOW)
        try:
            conn.request(method, path, headers=dict({"Host": host}, **(headers or {})))
            response = conn.getresponse()
            response.read()
            self.requests_sent += 1
            return response.status
        finally:
            conn.close()

    def drive_traffic(self):
        """One batch of traffic through every route; the statuses show each
        route did what its panels count."""
        batch = self.batches
        self.batches += 1
        # Misses of 200 KB responses in a 1 MiB store evict older ones, then a
        # small one is stored and hit (last, so the big ones never evict it first).
        for i in range(8):
            self.assertEqual(self.https("cache.test", "/bytes/200000?batch=%d&n=%d" % (batch, i)), 200)
        for _ in range(3):
            self.assertEqual(self.https("cache.test", "/bytes/10"), 200)
        self.assertEqual(self.https("cache.test", "/bytes/10", method="POST"), 200)  # bypass
        limited = [self.https("limit.test", "/bytes/1") for _ in range(5)]
        self.assertLessEqual(set(limited), {200, 429})
        self.assertIn(429, limited)
        for _ in range(3):  # decided locally: Redis refuses (fallback), the store's time is measured
            self.assertEqual(self.https("redis.test", "/bytes/1"), 200)
        self.assertEqual(self.https("jwt.test", "/bytes/1"), 401)  # missing
        self.assertEqual(self.https("jwt.test", "/bytes/1", headers={"Authorization": "Bearer x.y"}), 401)
        self.assertEqual(self.https("lua.test", "/bytes/1?fail"), 500)
        self.assertEqual(self.https("lua.test", "/bytes/1"), 200)
        self.assertEqual(self.https("down.test", "/bytes/1"), 502)  # connect refused
        self.assertEqual(self.https("other.test", "/status/503"), 503)
        self.assertEqual(self.https("other.test", "/bytes/1", method="HEAD"), 200)
        # Plain HTTP to the TLS port: a failed handshake (reason protocol).
        with socket.create_connection(("127.0.0.1", self.gh.port), timeout=10 * SLOW) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: other.test\r\n\r\n")
            while s.recv(4096):
                pass

    def exported(self):
        """{sample name: set of its label names} of Gatehouse's /metrics."""
        status, text = self.gh.admin("/metrics")
        self.assertEqual(status, 200)
        names = {}
        for name, labels, _ in parse_metrics(text):
            names.setdefault(name, set()).update(labels)
        return names


class DashboardModelTest(unittest.TestCase):
    """The JSON model itself: what Grafana 9/10 needs to import it."""

    def test_the_dashboard_is_an_importable_grafana_model(self):
        d = load_dashboard()
        self.assertTrue(36 <= d["schemaVersion"] <= 39, d["schemaVersion"])
        self.assertIsNone(d.get("id"))
        self.assertTrue(d["uid"] and d["title"])
        ds = variable(d, "datasource")
        self.assertEqual((ds["type"], ds["query"]), ("datasource", "prometheus"))
        by_datasource = {"type": "prometheus", "uid": "${datasource}"}
        for name in ("instance", "route"):
            v = variable(d, name)
            self.assertEqual(v["type"], "query")
            self.assertEqual(v["datasource"], by_datasource)
            self.assertRegex(variable_query(v), LABEL_VALUES)

        ids, areas = set(), []
        for panel in all_panels(d):
            title = panel.get("title")
            self.assertNotIn(panel["id"], ids, title)
            ids.add(panel["id"])
            pos = panel["gridPos"]
            self.assertTrue(0 <= pos["x"] and pos["x"] + pos["w"] <= 24 and pos["h"] > 0, title)
            for other_title, other in areas:  # no two panels overlap
                overlap = (pos["x"] < other["x"] + other["w"] and other["x"] < pos["x"] + pos["w"]
                           and pos["y"] < other["y"] + other["h"] and other["y"] < pos["y"] + pos["h"])
                self.assertFalse(overlap, "%s overlaps %s" % (title, other_title))
            areas.append((title, pos))
            if panel["type"] == "row":
                continue
            self.assertEqual(panel["datasource"], by_datasource, title)
            self.assertTrue(panel["targets"], title)
            refs = [t["refId"] for t in panel["targets"]]
            self.assertEqual(len(refs), len(set(refs)), title)
            for t in panel["targets"]:
                self.assertEqual(t["datasource"], by_datasource, title)
                # Every range is Grafana's $__rate_interval, so it suits any scrape interval.
                for window in RANGE.findall(t["expr"]):
                    self.assertEqual(window, "$__rate_interval", "%s: %s" % (title, t["expr"]))
                self.assertIn('instance=~"$instance"', t["expr"], title)
        titles = {p["title"] for p in all_panels(d)}
        self.assertLessEqual(DRIVEN_PANELS, titles, "panels the test expects are missing")
        rows = {p["title"] for p in d["panels"] if p["type"] == "row"}
        self.assertLessEqual({"Traffic", "Latency", "Upstreams", "Cache", "Rate limiting", "JWT", "TLS"}, rows)

    @unittest.skipUnless(HAVE_PROMTOOL, INSTALL_HINT)
    def test_promtool_accepts_the_rules_and_the_scrape_config(self):
        for args in (["check", "rules", ALERTS], ["check", "config", PROMETHEUS_CONFIG]):
            r = subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60 * SLOW)
            self.assertEqual(r.returncode, 0, "promtool %s:\n%s%s" % (" ".join(args), r.stdout, r.stderr))
        # The shipped config loads the shipped rules.
        with open(PROMETHEUS_CONFIG) as f:
            self.assertEqual(yaml.safe_load(f)["rule_files"], ["alerts.yml"])


class DashboardMetricsTest(DashboardTestCase):

    def test_every_metric_and_label_the_dashboard_names_is_exported(self):
        self.start_gatehouse_with_every_family()
        self.drive_traffic()
        exported = self.exported()
        d = load_dashboard()
        queries = [(title, t["expr"]) for title, t in all_targets(d)]
        queries += [("variable " + v["name"], variable_query(v)) for v in d["templating"]["list"]
                    if v["type"] == "query"]
        used = set()
        for title, expr in queries:
            names = [m.group(1) for m in METRIC.finditer(expr)]
            self.assertTrue(names, "%s: no Gatehouse metric in %r" % (title, expr))
            for m in METRIC.finditer(expr):
                name = m.group(1)
                self.assertIn(name, exported, "%s: Gatehouse does not export %s" % (title, name))
                used.add(family(name))
                for label in MATCHER.findall(m.group(3) or ""):
                    self.assertIn(label, exported[name] | PROMETHEUS_LABELS,
                                  "%s: %s has no label `%s`" % (title, name, label))
            labels = set().union(*(exported[n] for n in names)) | PROMETHEUS_LABELS
            for group in GROUPING.findall(expr):
                for label in filter(None, (x.strip() for x in group.split(","))):
                    self.assertIn(label, labels, "%s: no metric of %r has the label `%s`" % (title, expr, label))
        self.assertLessEqual(FAMILIES, used, "families the dashboard does not show")


@unittest.skipUnless(HAVE_PROMETHEUS, INSTALL_HINT)
class DashboardOnPrometheusTest(DashboardTestCase):

    def prometheus_config(self):
        """The shipped prometheus.yml, scraping this Gatehouse every second and
        loading the shipped alerts.yml by its absolute path."""
        with open(PROMETHEUS_CONFIG) as f:
            cfg = yaml.safe_load(f)
        cfg["global"] = dict(cfg.get("global") or {}, scrape_interval="1s", evaluation_interval="1s")
        cfg["rule_files"] = [os.path.join(DASHBOARDS, rules) for rules in cfg["rule_files"]]
        self.assertEqual(len(cfg["scrape_configs"]), 1)
        self.job = cfg["scrape_configs"][0]["job_name"]
        cfg["scrape_configs"][0]["static_configs"] = [{"targets": ["127.0.0.1:%d" % self.gh.admin_port]}]
        path = os.path.join(self.dir, "prometheus.yml")
        with open(path, "w") as f:
            yaml.safe_dump(cfg, f)
        return path

    def test_every_panel_query_runs_and_shows_the_traffic(self):
        gh = self.start_gatehouse_with_every_family()
        self.drive_traffic()  # every series exists before the first scrape, so rate() sees the next batch
        prom = Prometheus(self.prometheus_config(), os.path.join(self.dir, "prometheus-data"), self)
        instance = "127.0.0.1:%d" % gh.admin_port
        selector = '{job="%s", instance="%s"}' % (self.job, instance)
        self.assertTrue(wait_until(lambda: prom.value("up" + selector) == 1, 30),
                        "Prometheus did not scrape Gatehouse: %s\n%s" % (prom.query("up"), prom.output()[-4000:]))
        self.drive_traffic()
        sent = self.requests_sent
        self.assertTrue(wait_until(lambda: (prom.value("sum(gatehouse_requests_total%s)" % selector) or 0) >= sent, 30),
                        "Prometheus did not scrape the second batch: %s of %d requests"
                        % (prom.value("sum(gatehouse_requests_total%s)" % selector), sent))

        d = load_dashboard()
        values = {"__rate_interval": RATE_INTERVAL, "instance": promql_string(re.escape(instance)), "route": ".*"}

        # The variables' queries (Grafana's label_values(), through the label API).
        for name, must_have in (("instance", {instance}), ("route", {"cached", "limited", "auth", "broken"})):
            metric, label = LABEL_VALUES.match(variable_query(variable(d, name))).groups()
            answer = prom.api("label/%s/values" % label, **{"match[]": substitute(metric, values)})
            self.assertEqual(answer["status"], "success", answer)
            self.assertLessEqual(must_have, set(answer["data"]), "variable %s: %s" % (name, answer))

        failures = []
        for title, target in all_targets(d):
            expr = substitute(target["expr"], values)
            answer = prom.query(expr)
            if answer.get("status") != "success":
                failures.append("%s: %s\n  %s" % (title, answer.get("error"), expr))
                continue
            result = answer["data"]["result"]
            if answer["data"]["resultType"] != "vector" or not result:
                failures.append("%s: no series\n  %s" % (title, expr))
                continue
            for label in LEGEND_LABEL.findall(target.get("legendFormat", "")):
                for series in result:
                    if label not in series["metric"]:
                        failures.append("%s: legend label `%s` not in %s" % (title, label, series["metric"]))
            samples = [float(s["value"][1]) for s in result]
            if title in DRIVEN_PANELS and not any(math.isfinite(v) and v > 0 for v in samples):
                failures.append("%s: nothing above zero: %s\n  %s" % (title, result, expr))
        self.assertFalse(failures, "panel queries that fail:\n" + "\n".join(failures))

        # The shipped alert rules: loaded, evaluated without error, and those
        # this setup calls for pending or firing.
        with open(ALERTS) as f:
            shipped = {r["alert"] for g in yaml.safe_load(f)["groups"] for r in g["rules"]}

        def rules():
            answer = prom.api("rules", type="alert")
            got = {r["name"]: r for g in answer.get("data", {}).get("groups", []) for r in g["rules"]}
            evaluated = all(not r.get("lastEvaluation", "0001").startswith("0001") for r in got.values())
            active = {n for n, r in got.items() if r.get("state") in ("pending", "firing")}
            return got if set(got) == shipped and evaluated and ACTIVE_ALERTS <= active else None

        loaded = wait_until(rules, 30)
        self.assertIsNotNone(loaded, "alert rules not loaded, evaluated and active as expected: %s\n%s"
                             % (json.dumps(prom.api("rules"), indent=1)[:6000], prom.output()[-2000:]))
        for name, rule in loaded.items():
            self.assertEqual(rule["health"], "ok", "%s: %s" % (name, rule.get("lastError")))


if __name__ == "__main__":
    unittest.main()
