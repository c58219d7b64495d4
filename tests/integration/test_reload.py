"""SIGHUP reload: new routes and policies apply without dropping traffic; a bad
file, or one that changes what only a restart can, keeps the running config."""

import json
import signal
import time

from cache_upstream import CacheUpstream
from harness import GatehouseTestCase, RawClient, SLOW, simple_config


def write(gh, cfg):
    text = cfg if isinstance(cfg, str) else json.dumps(cfg, indent=2)
    text = text.replace("{port}", str(gh.port)).replace("{admin_port}", str(gh.admin_port))
    with open(gh.config_path, "w") as f:
        f.write(text)


def wait_for_log(gh, needle, timeout=5.0):
    deadline = time.monotonic() + timeout * SLOW
    while time.monotonic() < deadline:
        if needle in gh.output():
            return True
        time.sleep(0.02)
    return False


class ReloadTest(GatehouseTestCase):
    def config(self, upstream, served_by):
        cfg = simple_config([upstream.address])
        cfg["routes"][0]["policies"] = [{"headers": {"response": {"set": {"X-Served-By": served_by}}}}]
        return cfg

    def test_reload_applies_new_policies_to_new_requests_on_open_connections(self):
        up = self.start_upstream()
        gh = self.start_gatehouse(self.config(up, "one"))
        client = RawClient(gh.port)
        self.assertEqual(client.request("GET", "/bytes/1").header("X-Served-By"), "one")
        write(gh, self.config(up, "two"))
        gh.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for_log(gh, "configuration reloaded"), gh.output())
        # The same keep-alive connection survives and sees the new config.
        self.assertEqual(client.request("GET", "/bytes/1").header("X-Served-By"), "two")
        client.close()

    def test_reload_with_errors_keeps_the_running_config(self):
        up = self.start_upstream()
        gh = self.start_gatehouse(self.config(up, "one"))
        write(gh, "workers: 1\nlisteners: []\nroutes:\n  - name: x\n    upstream: missing\nbogus: 1\n")
        gh.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for_log(gh, "reload rejected"), gh.output())
        self.assertIn("gatehouse.yaml:6:1: bogus: unknown key", gh.output())
        client = RawClient(gh.port)
        self.assertEqual(client.request("GET", "/bytes/1").header("X-Served-By"), "one")
        client.close()

    def test_reload_that_moves_a_listener_is_rejected(self):
        up = self.start_upstream()
        gh = self.start_gatehouse(self.config(up, "one"))
        cfg = self.config(up, "two")
        cfg["listeners"][0]["address"] = "127.0.0.1:1"
        write(gh, cfg)
        gh.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for_log(gh, "reload rejected"), gh.output())
        self.assertIn("needs a restart", gh.output())
        client = RawClient(gh.port)
        self.assertEqual(client.request("GET", "/bytes/1").header("X-Served-By"), "one")
        client.close()

    def test_request_in_flight_during_reload_completes(self):
        up = self.start_upstream()
        gh = self.start_gatehouse(self.config(up, "one"))
        client = RawClient(gh.port)
        client.send("GET /delay/400 HTTP/1.1\r\nHost: t\r\n\r\n")
        time.sleep(0.1 * SLOW)
        cfg = self.config(up, "two")
        cfg["upstreams"]["app"]["timeout"] = "5s"
        write(gh, cfg)
        gh.proc.send_signal(signal.SIGHUP)
        resp = client.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.header("X-Served-By"), "one")  # the config it started with
        self.assertTrue(wait_for_log(gh, "configuration reloaded"), gh.output())
        self.assertEqual(client.request("GET", "/bytes/1").header("X-Served-By"), "two")
        client.close()

    def test_a_rejected_reload_adds_no_metric_series_for_its_routes(self):
        up = self.start_upstream()
        cfg = simple_config([up.address])
        gh = self.start_gatehouse(cfg)
        self.assertEqual(RawClient(gh.port).request("GET", "/bytes/1").status, 200)

        # A new route with policies that label series by route, then one the
        # loader rejects (an unknown upstream): the new route is built, but
        # never served.
        with_ghost = json.loads(json.dumps(cfg))
        with_ghost["routes"].insert(0, {"name": "ghost", "match": {"path_prefix": "/ghost"}, "upstream": "app",
                                        "policies": [{"rate_limit": {"limit": "5/s"}}, "cache"]})
        rejected = json.loads(json.dumps(with_ghost))
        rejected["routes"].append({"name": "broken", "match": {"path_prefix": "/broken"}, "upstream": "nowhere"})
        write(gh, rejected)
        gh.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for_log(gh, "reload rejected"), gh.output())
        status, text = gh.admin("/metrics")
        self.assertEqual(status, 200)
        self.assertRegex(text, r'gatehouse_requests_total\{[^}]*route="all"')
        self.assertNotIn('route="ghost"', text)
        self.assertNotIn('route="broken"', text)

        # Accepted, the route's series show, before any request reaches it.
        write(gh, with_ghost)
        gh.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for_log(gh, "configuration reloaded"), gh.output())
        status, text = gh.admin("/metrics")
        self.assertIn('gatehouse_rate_limit_decisions_total{result="allowed",route="ghost"} 0', text)
        self.assertIn('gatehouse_cache_lookups_total{result="hit",route="ghost"} 0', text)

    def test_a_rejected_reload_leaves_the_cache_store_as_it_was(self):
        up = CacheUpstream()
        self.addCleanup(up.stop)
        cfg = simple_config([up.address], workers=1)
        cfg["routes"][0]["policies"] = [{"cache": {"max_size": "8MiB"}}]
        gh = self.start_gatehouse(cfg)
        body = b"x" * (300 * 1024)
        paths = ["/big/%d" % i for i in range(4)]
        client = RawClient(gh.port)
        for path in paths:
            up.set(path, headers=[("Cache-Control", "max-age=600")], body=body)
            self.assertEqual(client.request("GET", path).status, 200)

        # A store a quarter of the size, in a file the reload rejects (a
        # route to an unknown upstream after the cached one).
        smaller = json.loads(json.dumps(cfg))
        smaller["routes"][0]["policies"] = [{"cache": {"max_size": "1MiB"}}]
        rejected = json.loads(json.dumps(smaller))
        rejected["routes"].append({"name": "broken", "match": {"path_prefix": "/broken"}, "upstream": "nowhere"})
        write(gh, rejected)
        gh.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for_log(gh, "reload rejected"), gh.output())
        for path in paths:
            r = client.request("GET", path)
            self.assertRegex(r.header("Cache-Status"), "^gatehouse; hit", path)
        self.assertEqual(up.count(), 4)

        # Accepted, the smaller size applies: least recently used first.
        write(gh, smaller)
        gh.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for_log(gh, "configuration reloaded"), gh.output())
        status, text = gh.admin("/cache/stats")
        stats = json.loads(text)
        self.assertEqual(stats["max_size"], 1024 * 1024)
        self.assertLess(stats["entries"], 4)
        self.assertRegex(client.request("GET", paths[-1]).header("Cache-Status"), "^gatehouse; hit")
        self.assertRegex(client.request("GET", paths[0]).header("Cache-Status"), "fwd=uri-miss")
        client.close()
