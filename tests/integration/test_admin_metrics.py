"""The admin listener: /healthz, /readyz, /metrics (Prometheus text format)
and the counters, histograms and gauges Gatehouse exports."""

import re
import time
import unittest
import urllib.request

from harness import SLOW, GatehouseTestCase, RawClient, refused_port, simple_config

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """[(name, {label: value}, float)] of every sample; checks the line syntax."""
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if m is None:
            raise AssertionError("not a Prometheus sample line: %r" % line)
        labels = dict(LABEL.findall(m.group(3) or ""))
        samples.append((m.group(1), labels, float(m.group(4))))
    return samples


def find(samples, name, **labels):
    """The value of the one sample matching exactly name and labels (a
    histogram's `le` aside), or None."""
    for n, l, v in samples:
        if n == name and l == labels:
            return v
    return None


def wait_until(predicate, timeout, interval=0.05):
    deadline = time.monotonic() + timeout * SLOW
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class AdminMetricsTest(GatehouseTestCase):

    def config(self):
        self.upstream = self.start_upstream()
        self.dead_port = refused_port()
        cfg = simple_config([self.upstream.address])
        cfg["upstreams"]["down"] = {"targets": ["127.0.0.1:%d" % self.dead_port]}
        cfg["routes"] = [
            {"name": "broken", "match": {"path_prefix": "/broken"}, "upstream": "down"},
            {"name": "all", "match": {"host": "test", "path_prefix": "/"}, "upstream": "app"},
        ]
        return cfg

    def get(self, gh, path, host="test", method="GET"):
        c = RawClient(gh.port)
        try:
            return c.request(method, path, host=host)
        finally:
            c.close()

    def metrics(self, gh):
        status, text = gh.admin("/metrics")
        self.assertEqual(status, 200)
        return text

    # --- probes ---------------------------------------------------------------

    def test_health_and_readiness_and_unknown_path(self):
        gh = self.start_gatehouse(self.config())
        self.assertEqual(gh.admin("/healthz"), (200, "ok\n"))
        status, _ = gh.admin("/readyz")
        self.assertEqual(status, 200)
        status, body = gh.admin("/no-such-admin-path")
        self.assertEqual(status, 404)
        status, _ = gh.admin("/healthz/extra")
        self.assertEqual(status, 404)

    def test_metrics_content_type_and_format(self):
        gh = self.start_gatehouse(self.config())
        # A family is listed once it has a sample: make one of each.
        self.assertEqual(self.get(gh, "/bytes/1").status, 200)
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % gh.admin_port,
                                    timeout=5 * SLOW) as r:
            self.assertEqual(r.status, 200)
            self.assertTrue(r.headers["Content-Type"].startswith("text/plain"),
                            r.headers["Content-Type"])
            text = r.read().decode()
        parse_metrics(text)  # every line is well-formed
        for name, kind in [("gatehouse_requests_total", "counter"),
                           ("gatehouse_request_duration_seconds", "histogram"),
                           ("gatehouse_upstream_duration_seconds", "histogram"),
                           ("gatehouse_upstream_connect_errors_total", "counter"),
                           ("gatehouse_active_connections", "gauge")]:
            self.assertIn("# TYPE %s %s" % (name, kind), text)

    def test_admin_is_not_served_on_the_public_listener(self):
        gh = self.start_gatehouse(self.config())
        resp = self.get(gh, "/metrics", host="nomatch")
        self.assertEqual(resp.status, 404)
        self.assertNotIn(b"gatehouse_requests_total", resp.body)

    # --- request counters -------------------------------------------------------

    def test_request_counters_by_route_method_and_status_class(self):
        gh = self.start_gatehouse(self.config())
        for _ in range(5):
            self.assertEqual(self.get(gh, "/bytes/10").status, 200)
        for _ in range(2):
            self.assertEqual(self.get(gh, "/bytes/10", method="HEAD").status, 200)
        self.assertEqual(self.get(gh, "/status/404").status, 404)   # from the upstream
        self.assertEqual(self.get(gh, "/status/503").status, 503)   # from the upstream
        self.assertEqual(self.get(gh, "/close").status, 502)        # gateway error, route all
        for _ in range(3):
            self.assertEqual(self.get(gh, "/broken/x").status, 502)  # dead upstream
        for _ in range(4):
            self.assertEqual(self.get(gh, "/x", host="nomatch").status, 404)  # no route
        self.assertEqual(self.get(gh, "/x", host="nomatch", method="POST").status, 404)

        samples = parse_metrics(self.metrics(gh))
        req = "gatehouse_requests_total"
        self.assertEqual(find(samples, req, method="GET", route="all", status_class="2xx"), 5)
        self.assertEqual(find(samples, req, method="HEAD", route="all", status_class="2xx"), 2)
        self.assertEqual(find(samples, req, method="GET", route="all", status_class="4xx"), 1)
        self.assertEqual(find(samples, req, method="GET", route="all", status_class="5xx"), 2)
        self.assertEqual(find(samples, req, method="GET", route="broken", status_class="5xx"), 3)
        self.assertEqual(find(samples, req, method="GET", route="none", status_class="4xx"), 4)
        self.assertEqual(find(samples, req, method="POST", route="none", status_class="4xx"), 1)
        # Nothing else was counted.
        total = sum(v for n, _, v in samples if n == req)
        self.assertEqual(total, 18)

        self.assertEqual(find(samples, "gatehouse_request_duration_seconds_count", route="all"), 10)
        self.assertEqual(find(samples, "gatehouse_request_duration_seconds_count", route="broken"), 3)
        self.assertEqual(find(samples, "gatehouse_request_duration_seconds_count", route="none"), 5)
        # Upstream responses that completed (the /close attempt did not).
        self.assertEqual(find(samples, "gatehouse_upstream_duration_seconds_count", upstream="app"), 9)
        self.assertEqual(find(samples, "gatehouse_upstream_connect_errors_total", upstream="down"), 3)
        self.assertEqual(find(samples, "gatehouse_upstream_connect_errors_total", upstream="app"), 0)

        # Histogram consistency: buckets are cumulative and +Inf equals _count.
        buckets = [(l["le"], v) for n, l, v in samples
                   if n == "gatehouse_request_duration_seconds_bucket" and l.get("route") == "all"]
        self.assertTrue(buckets)
        values = [v for _, v in buckets]
        self.assertEqual(values, sorted(values))
        self.assertEqual(dict(buckets)["+Inf"], 10)
        total_seconds = find(samples, "gatehouse_request_duration_seconds_sum", route="all")
        self.assertGreater(total_seconds, 0)
        self.assertLess(total_seconds, 10 * SLOW)

    def test_counters_on_a_keep_alive_connection(self):
        gh = self.start_gatehouse(self.config())
        c = RawClient(gh.port)
        for _ in range(6):
            self.assertEqual(c.request("GET", "/bytes/1").status, 200)
        c.close()
        self.assertEqual(gh.metric("gatehouse_requests_total", route="all", method="GET",
                                   status_class="2xx"), 6)

    def test_upstream_duration_reflects_upstream_latency(self):
        gh = self.start_gatehouse(self.config())
        self.assertEqual(self.get(gh, "/delay/300").status, 200)
        samples = parse_metrics(self.metrics(gh))
        seconds = find(samples, "gatehouse_upstream_duration_seconds_sum", upstream="app")
        self.assertGreaterEqual(seconds, 0.29)
        self.assertLess(seconds, 3 * SLOW)
        self.assertEqual(find(samples, "gatehouse_upstream_duration_seconds_bucket",
                              upstream="app", le="0.25"), 0)
        self.assertEqual(find(samples, "gatehouse_upstream_duration_seconds_bucket",
                              upstream="app", le="+Inf"), 1)

    # --- connections gauge -------------------------------------------------------

    def test_active_connections_gauge(self):
        gh = self.start_gatehouse(self.config())
        # wait_for_port's probe connection may still be closing.
        self.assertTrue(wait_until(lambda: gh.metric("gatehouse_active_connections") == 0, 5))
        a = RawClient(gh.port)
        self.assertTrue(wait_until(lambda: gh.metric("gatehouse_active_connections") == 1, 5))
        self.assertEqual(a.request("GET", "/bytes/1").status, 200)  # now idle, kept alive
        self.assertEqual(gh.metric("gatehouse_active_connections"), 1)
        b = RawClient(gh.port)
        self.assertTrue(wait_until(lambda: gh.metric("gatehouse_active_connections") == 2, 5))
        b.close()
        self.assertTrue(wait_until(lambda: gh.metric("gatehouse_active_connections") == 1, 5))
        a.close()
        self.assertTrue(wait_until(lambda: gh.metric("gatehouse_active_connections") == 0, 5),
                        "gauge stuck at %s" % gh.metric("gatehouse_active_connections"))

    def test_active_connections_drops_after_error_close(self):
        gh = self.start_gatehouse(self.config())
        c = RawClient(gh.port)
        c.send(b"GET / HTTP/1.1\r\nHost: test\r\nHost: test\r\n\r\n")
        self.assertEqual(c.read_response().status, 400)
        self.assertTrue(c.is_closed())
        c.close()
        self.assertTrue(wait_until(lambda: gh.metric("gatehouse_active_connections") == 0, 5))

    # --- label cardinality ---------------------------------------------------------

    def test_labels_never_contain_request_paths(self):
        gh = self.start_gatehouse(self.config())
        marker = "zqxpathmarker"
        for i in range(30):
            self.get(gh, "/%s-%d/item?q=%s" % (marker, i, marker))
            self.get(gh, "/%s-%d" % (marker, i), host="nomatch")
            self.get(gh, "/broken/%s-%d" % (marker, i))
        c = RawClient(gh.port)
        c.send(b"GET /%s-bad HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" % marker.encode())
        c.read_response()
        c.close()
        self.get(gh, "/x", method="%s" % "PURGE")  # unknown methods are bucketed
        text = self.metrics(gh)
        self.assertNotIn(marker, text)
        self.assertNotIn("PURGE", text)
        samples = parse_metrics(text)
        routes = {l["route"] for n, l, _ in samples if "route" in l}
        self.assertEqual(routes, {"all", "broken", "none"})
        methods = {l["method"] for n, l, _ in samples if "method" in l}
        self.assertLessEqual(methods, {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
                                       "CONNECT", "TRACE", "OTHER"})


if __name__ == "__main__":
    unittest.main()
