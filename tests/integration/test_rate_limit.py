"""The `rate_limit` policy through the real binaries: 429 with Retry-After and
the JSON error body after exactly the limit, the RateLimit headers as the
draft specifies them, keys counted apart, counters across SIGHUP reloads,
delay mode, and the decisions metric."""

import json
import re
import signal
import time

from harness import GatehouseTestCase, RawClient, SLOW, simple_config

# draft-ietf-httpapi-ratelimit-headers-10: a Structured Fields List of
# String items with Integer parameters.
ITEM = re.compile(r'^"(?P<name>[^"\\]*)"(?P<params>(;[a-z][a-z0-9_-]*=\d+)*)$')


def parse_sf_list(value):
    """{name: {param: int}} for a list like `"10/s";q=10;w=1, "1/h";q=1;w=3600`."""
    items = {}
    for member in value.split(","):
        m = ITEM.match(member.strip())
        assert m, "not a Structured Fields item: %r in %r" % (member, value)
        params = {}
        for p in m.group("params").split(";")[1:]:
            k, _, v = p.partition("=")
            params[k] = int(v)
        items[m.group("name")] = params
    return items


def write_config(gh, cfg):
    text = json.dumps(cfg, indent=2).replace("{port}", str(gh.port)).replace("{admin_port}", str(gh.admin_port))
    with open(gh.config_path, "w") as f:
        f.write(text)


def reload(gh, cfg):
    """Writes `cfg`, sends SIGHUP and waits until the reload was applied."""
    before = gh.output().count("configuration reloaded")
    write_config(gh, cfg)
    gh.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 5 * SLOW
    while time.monotonic() < deadline:
        if gh.output().count("configuration reloaded") > before:
            return
        time.sleep(0.02)
    raise AssertionError("reload not applied:\n" + gh.output())


class RateLimitTest(GatehouseTestCase):

    def client(self, gh):
        c = RawClient(gh.port)
        self.addCleanup(c.close)
        return c

    def start(self, rate_limit, workers=2):
        up = self.start_upstream()
        cfg = simple_config([up.address], workers=workers)
        cfg["routes"][0]["policies"] = [{"rate_limit": rate_limit}]
        return cfg, self.start_gatehouse(cfg)

    def test_429_with_retry_after_and_json_body_after_exactly_the_limit(self):
        _, gh = self.start({"limit": "3/h"})
        c = self.client(gh)
        for i in range(3):
            r = c.request("GET", "/bytes/1")
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.header("X-RateLimit-Remaining"), str(2 - i))
            self.assertIsNone(r.header("Retry-After"))
        r = c.request("GET", "/bytes/1")
        self.assertEqual(r.status, 429)
        retry_after = int(r.header("Retry-After"))
        self.assertGreaterEqual(retry_after, 1)
        self.assertLessEqual(retry_after, 1200)  # one request per 20 minutes comes back
        body = r.json()
        self.assertEqual(body["error"]["code"], "rate_limited")
        self.assertEqual(body["error"]["request_id"], r.header("X-Request-Id"))
        self.assertEqual(r.header("X-RateLimit-Remaining"), "0")
        self.assertEqual(parse_sf_list(r.header("RateLimit"))["3/h"]["r"], 0)

    def test_headers_are_present_and_parse_as_the_draft_specifies(self):
        _, gh = self.start({"limits": [{"limit": "5/s", "burst": 10}, {"limit": "100/h"}],
                            "algorithm": "token_bucket"})
        c = self.client(gh)
        previous = None
        for _ in range(4):
            r = c.request("GET", "/bytes/1")
            self.assertEqual(r.status, 200)
            policy = parse_sf_list(r.header("RateLimit-Policy"))
            self.assertEqual(policy, {"5/s": {"q": 10, "w": 2}, "100/h": {"q": 100, "w": 3600}})
            state = parse_sf_list(r.header("RateLimit"))
            self.assertEqual(set(state), {"5/s", "100/h"})
            for name, params in state.items():
                self.assertEqual(set(params), {"r", "t"})
                self.assertLess(params["r"], policy[name]["q"])
                self.assertLessEqual(params["t"], policy[name]["w"])
            if previous:
                self.assertLess(state["100/h"]["r"], previous["100/h"]["r"])
            previous = state
            # The legacy headers follow the most restrictive limit: the bucket.
            self.assertEqual(r.header("X-RateLimit-Limit"), "10")
            self.assertEqual(int(r.header("X-RateLimit-Remaining")), state["5/s"]["r"])
            self.assertEqual(int(r.header("X-RateLimit-Reset")), state["5/s"]["t"])

    def test_headers_can_be_hidden_per_route(self):
        _, gh = self.start({"limit": "10/s", "headers": {"legacy": False}})
        r = self.client(gh).request("GET", "/bytes/1")
        self.assertEqual(r.status, 200)
        self.assertIsNotNone(r.header("RateLimit"))
        self.assertIsNone(r.header("X-RateLimit-Limit"))

    def test_api_keys_are_limited_independently(self):
        _, gh = self.start({"key": ["client_ip", "header:X-Api-Key"], "limit": "2/h",
                            "algorithm": "fixed_window", "on_missing_key": "deny"})
        c = self.client(gh)
        statuses = [c.request("GET", "/bytes/1", headers={"X-Api-Key": "k1"}).status for _ in range(3)]
        self.assertEqual(statuses, [200, 200, 429])
        self.assertEqual(c.request("GET", "/bytes/1", headers={"X-Api-Key": "k2"}).status, 200)
        missing = c.request("GET", "/bytes/1")
        self.assertEqual(missing.status, 403)
        self.assertEqual(missing.json()["error"]["code"], "rate_limit_key_missing")

    def test_quota_comes_back_as_the_bucket_refills(self):
        # 2 per 4s: two at once, then one more every 2s. The wait is not
        # scaled for slow (sanitizer) builds: a longer one would refill two.
        _, gh = self.start({"limit": "2/4s"})
        c = self.client(gh)
        self.assertEqual([c.request("GET", "/bytes/1").status for _ in range(3)], [200, 200, 429])
        time.sleep(2.2)
        self.assertEqual([c.request("GET", "/bytes/1").status for _ in range(2)], [200, 429])

    def test_counters_survive_a_reload_unless_the_limit_changes(self):
        cfg, gh = self.start({"limit": "2/h"})
        c = self.client(gh)
        self.assertEqual([c.request("GET", "/bytes/1").status for _ in range(2)], [200, 200])

        # Unchanged limit (only how it is advertised changes): still used up.
        cfg["routes"][0]["policies"] = [{"rate_limit": {"limit": "2/h", "headers": {"ietf": False}}}]
        reload(gh, cfg)
        r = c.request("GET", "/bytes/1")
        self.assertEqual(r.status, 429)
        self.assertIsNone(r.header("RateLimit"))  # the new config does apply

        # A changed limit starts afresh.
        cfg["routes"][0]["policies"] = [{"rate_limit": {"limit": "3/h"}}]
        reload(gh, cfg)
        statuses = [c.request("GET", "/bytes/1").status for _ in range(4)]
        self.assertEqual(statuses, [200, 200, 200, 429])

    def test_delay_mode_holds_requests_then_rejects_beyond_the_queue(self):
        # One request per 100ms, no burst, at most 300ms of waiting: of six
        # requests at once, one passes, three wait 100/200/300ms, two get 429.
        _, gh = self.start({"limit": "10/s", "burst": 1, "mode": "delay", "max_delay": "300ms"}, workers=1)
        socks = []
        start = time.monotonic()
        for _ in range(6):
            s = RawClient(gh.port)
            self.addCleanup(s.close)
            s.send("GET /bytes/1 HTTP/1.1\r\nHost: t\r\n\r\n")
            socks.append(s)
        results = []
        for s in socks:
            r = s.read_response()
            results.append((r.status, time.monotonic() - start))
        statuses = sorted(status for status, _ in results)
        self.assertEqual(statuses, [200, 200, 200, 200, 429, 429], results)
        slowest_ok = max(elapsed for status, elapsed in results if status == 200)
        self.assertGreaterEqual(slowest_ok, 0.25, results)
        self.assertEqual(gh.metric("gatehouse_rate_limit_decisions_total", route="all", result="delayed"), 3)
        self.assertEqual(gh.metric("gatehouse_rate_limit_decisions_total", route="all", result="limited"), 2)

    def test_decisions_metric_counts_each_result(self):
        _, gh = self.start({"limit": "2/h"})
        c = self.client(gh)
        for _ in range(5):
            c.request("GET", "/bytes/1")
        self.assertEqual(gh.metric("gatehouse_rate_limit_decisions_total", route="all", result="allowed"), 2)
        self.assertEqual(gh.metric("gatehouse_rate_limit_decisions_total", route="all", result="limited"), 3)
        self.assertEqual(gh.metric("gatehouse_rate_limit_decisions_total", route="all", result="delayed"), 0)
        _, text = gh.admin("/metrics")
        self.assertIn("# TYPE gatehouse_rate_limit_decisions_total counter", text)


if __name__ == "__main__":
    import unittest
    unittest.main()
