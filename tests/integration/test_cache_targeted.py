"""Targeted cache control (RFC 9213) through the real binary: the `cache`
policy obeys CDN-Cache-Control (or the fields `targeted_fields` lists)
instead of Cache-Control and Expires, falls back to Cache-Control when the
targeted field is invalid, and passes every field on to the client. Each
test says how many requests reached the upstream."""

from cache_upstream import CacheUpstream
from harness import GatehouseTestCase, RawClient, simple_config


class TargetedCacheControlTest(GatehouseTestCase):

    def start(self, cache=None):
        self.up = CacheUpstream()
        self.addCleanup(self.up.stop)
        cfg = simple_config([self.up.address])
        cfg["routes"][0]["policies"] = [{"cache": cache or {}}]
        self.gh = self.start_gatehouse(cfg)

    def get(self, path):
        c = RawClient(self.gh.port)
        try:
            return c.request("GET", path)
        finally:
            c.close()

    def test_cdn_cache_control_stores_what_cache_control_forbids(self):
        self.start()
        self.up.set("/a", headers=[("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=600")])
        first = self.get("/a")
        self.assertEqual(first.header("Cache-Status"), "gatehouse; fwd=uri-miss; stored")
        hit = self.get("/a")
        self.assertIn("hit", hit.header("Cache-Status"))
        self.assertIn("ttl=", hit.header("Cache-Status"))
        # Both fields reach the client as the upstream sent them.
        self.assertEqual(hit.header("Cache-Control"), "no-store")
        self.assertEqual(hit.header("CDN-Cache-Control"), "max-age=600")
        self.assertIsNotNone(hit.header("Age"))
        self.assertEqual(self.up.count("/a"), 1)

    def test_cdn_cache_control_no_store_wins_over_a_fresh_cache_control(self):
        self.start()
        self.up.set("/b", headers=[("Cache-Control", "max-age=600"), ("Expires", "Thu, 01 Jan 2099 00:00:00 GMT"),
                                   ("CDN-Cache-Control", "no-store")])
        self.get("/b")
        second = self.get("/b")
        self.assertNotIn("hit", second.header("Cache-Status"))
        self.assertEqual(self.up.count("/b"), 2)

    def test_an_invalid_targeted_field_is_ignored(self):
        self.start()
        # Not a Structured Field Dictionary: Cache-Control decides (no-store).
        self.up.set("/c", headers=[("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=600, &&&")])
        self.get("/c")
        self.assertNotIn("hit", self.get("/c").header("Cache-Status"))
        self.assertEqual(self.up.count("/c"), 2)

    def test_the_target_list_is_configurable_and_can_be_empty(self):
        self.start({"targeted_fields": ["Gatehouse-Cache-Control", "CDN-Cache-Control"]})
        # The more specific field, first in the list, decides.
        self.up.set("/d", headers=[("CDN-Cache-Control", "no-store"), ("Gatehouse-Cache-Control", "max-age=600")])
        self.get("/d")
        self.assertIn("hit", self.get("/d").header("Cache-Status"))
        self.assertEqual(self.up.count("/d"), 1)

    def test_an_empty_target_list_obeys_cache_control_only(self):
        self.start({"targeted_fields": []})
        self.up.set("/e", headers=[("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=600")])
        self.get("/e")
        self.assertNotIn("hit", self.get("/e").header("Cache-Status"))
        self.assertEqual(self.up.count("/e"), 2)

    def test_cache_control_cannot_be_a_target(self):
        with self.assertRaises(Exception) as raised:
            self.start({"targeted_fields": ["Cache-Control"]})
        self.assertIn("targeted_fields", str(raised.exception))


if __name__ == "__main__":
    import unittest
    unittest.main()
