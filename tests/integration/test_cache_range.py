"""The `cache` policy answering Range requests from a stored complete 200
through the real binary (RFC 9110 §14): 206 with Content-Range and only the
requested bytes, 416 for a range past the end, the whole response for HEAD,
several ranges, an invalid Range or a failing If-Range; the same after a 304
revalidation and for stale-if-error. The upstream (CacheUpstream) never
answers ranges itself, so a 206 proves the cache made it; each test says how
many requests reached the upstream."""

import time

from cache_upstream import CacheUpstream
from harness import SLOW, GatehouseTestCase, RawClient, simple_config

BODY = b"01234567890"


class CacheRangeTest(GatehouseTestCase):

    def start(self, cache=None):
        self.up = CacheUpstream()
        self.addCleanup(self.up.stop)
        cfg = simple_config([self.up.address], workers=1)
        cfg["routes"][0]["policies"] = [{"cache": cache or {}}]
        self.gh = self.start_gatehouse(cfg)
        return self.gh

    def client(self):
        c = RawClient(self.gh.port)
        self.addCleanup(c.close)
        return c

    def get(self, path, headers=None, method="GET"):
        return self.client().request(method, path, headers=headers or {})

    def test_a_hit_serves_the_requested_bytes_as_206(self):
        self.start()
        self.up.set("/r", headers=[("Cache-Control", "max-age=3600"), ("A", "1"), ("Content-Type", "text/plain")],
                    body=BODY)
        self.assertEqual(self.get("/r").body, BODY)
        # One connection for all of them: each 206's Content-Length frames it exactly.
        c = self.client()
        for spec, body, content_range in (("bytes=0-1", b"01", "bytes 0-1/11"),
                                          ("bytes=1-", b"1234567890", "bytes 1-10/11"),
                                          ("bytes=-1", b"0", "bytes 10-10/11"),
                                          ("bytes=4-100", b"4567890", "bytes 4-10/11"),
                                          ("bytes=-50", BODY, "bytes 0-10/11")):
            r = c.request("GET", "/r", headers={"Range": spec})
            self.assertEqual(r.status, 206, spec)
            self.assertEqual(r.body, body, spec)
            self.assertEqual(r.header("Content-Range"), content_range)
            self.assertEqual(r.header("Content-Length"), str(len(body)))
            self.assertEqual(r.header("A"), "1")  # the stored fields are served with the part
            self.assertEqual(r.header("Content-Type"), "text/plain")
            self.assertIsNotNone(r.header("Age"))
            self.assertRegex(r.header("Cache-Status"), r"^gatehouse; hit; ttl=\d+$")
        self.assertEqual(c.request("GET", "/r").body, BODY)
        self.assertEqual(self.up.count("/r"), 1)
        self.assertEqual(self.gh.metric("gatehouse_cache_lookups_total", route="all", result="hit"), 6)

    def test_a_range_past_the_end_is_416(self):
        self.start()
        self.up.set("/r", headers=[("Cache-Control", "max-age=3600"), ("ETag", '"v1"')], body=BODY)
        self.get("/r")
        c = self.client()
        for spec in ("bytes=11-", "bytes=20-30", "bytes=-0"):
            r = c.request("GET", "/r", headers={"Range": spec})
            self.assertEqual(r.status, 416, spec)
            self.assertEqual(r.header("Content-Range"), "bytes */11")
            self.assertIsNone(r.header("ETag"))
            self.assertIn(b"range_not_satisfiable", r.body)
            self.assertIn("hit", r.header("Cache-Status"))
        self.assertEqual(c.request("GET", "/r").status, 200)
        self.assertEqual(self.up.count("/r"), 1)

    def test_ranges_that_do_not_apply_get_the_whole_response(self):
        self.start()
        self.up.set("/r", headers=[("Cache-Control", "max-age=3600")], body=BODY)
        self.get("/r")
        for spec in ("bytes=0-1,3-4", "bytes=1-0", "bytes=x-", "items=0-1", "bytes 0-1"):
            r = self.get("/r", {"Range": spec})
            self.assertEqual(r.status, 200, spec)
            self.assertEqual(r.body, BODY, spec)
            self.assertIsNone(r.header("Content-Range"))
        head = self.client()
        head.send(b"HEAD /r HTTP/1.1\r\nHost: test\r\nRange: bytes=0-1\r\n\r\n")
        r = head.read_response(head_request=True)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Length"), "11")
        self.assertEqual(self.up.count("/r"), 1)

    def test_if_range_decides_between_the_part_and_the_whole(self):
        self.start()
        self.up.set("/e", headers=[("Cache-Control", "max-age=3600"), ("ETag", '"v1"')], body=BODY)
        self.up.set("/d", headers=[("Cache-Control", "max-age=3600"),
                                   ("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT")], body=BODY)
        self.get("/e")
        self.get("/d")
        self.assertEqual(self.get("/e", {"Range": "bytes=0-1", "If-Range": '"v1"'}).status, 206)
        r = self.get("/e", {"Range": "bytes=0-1", "If-Range": '"v0"'})
        self.assertEqual((r.status, r.body), (200, BODY))
        self.assertEqual(self.get("/e", {"Range": "bytes=0-1", "If-Range": 'W/"v1"'}).status, 200)
        # The stored Date (now) is long after Last-Modified: a strong validator.
        self.assertEqual(self.get("/d", {"Range": "bytes=0-1",
                                         "If-Range": "Sun, 06 Nov 1994 08:49:37 GMT"}).status, 206)
        self.assertEqual(self.get("/d", {"Range": "bytes=0-1",
                                         "If-Range": "Sun, 06 Nov 1994 08:49:38 GMT"}).status, 200)
        self.assertEqual(self.up.count(), 2)

    def test_a_range_after_a_304_is_cut_from_the_refreshed_entry(self):
        self.start()
        self.up.set("/s", headers=[("Cache-Control", "max-age=1"), ("ETag", '"s1"')], body=BODY)
        self.get("/s")
        time.sleep(2.2)
        c = self.client()
        r = c.request("GET", "/s", headers={"Range": "bytes=2-4"})
        self.assertEqual(r.status, 206)
        self.assertEqual(r.body, b"234")
        self.assertEqual(r.header("Content-Range"), "bytes 2-4/11")
        self.assertIn("fwd=stale; fwd-status=304", r.header("Cache-Status"))
        seen = self.up.seen("/s")
        self.assertEqual(len(seen), 2)
        self.assertEqual(seen[1][2].get("if-none-match"), '"s1"')
        # The connection goes on: the 206 was framed by its own length.
        r = c.request("GET", "/s", headers={"Range": "bytes=-2", "Cache-Control": "no-cache"})
        self.assertEqual((r.status, r.body), (206, b"90"))
        r = c.request("GET", "/s", headers={"Range": "bytes=99-", "Cache-Control": "no-cache"})
        self.assertEqual(r.status, 416)
        self.assertEqual(r.header("Content-Range"), "bytes */11")
        self.assertEqual(self.up.count("/s"), 4)
        self.assertEqual(c.request("GET", "/s").body, BODY)

    def test_stale_if_error_serves_the_range_of_the_stored_response(self):
        self.start({"stale_if_error": "60s"})
        self.up.set("/x", headers=[("Cache-Control", "max-age=1")], body=BODY)
        self.get("/x")
        self.up.set("/x", status=503, body=b"down")
        time.sleep(2.2)
        r = self.get("/x", {"Range": "bytes=5-6"})
        self.assertEqual((r.status, r.body), (206, b"56"))
        self.assertEqual(r.header("Content-Range"), "bytes 5-6/11")
        self.assertIn("fwd-status=503", r.header("Cache-Status"))
        self.assertEqual(self.up.count("/x"), 2)

    def wait_for_requests(self, path, n):
        deadline = time.monotonic() + 10 * SLOW
        while self.up.count(path) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(self.up.count(path), n)

    def test_a_206_to_a_range_miss_fills_the_whole_response_in_the_background(self):
        self.start()
        self.up.set("/v", headers=[("Cache-Control", "max-age=3600"), ("Content-Type", "video/mp4")], body=BODY,
                    ranges=True)
        r = self.get("/v", {"Range": "bytes=0-1"})
        self.assertEqual((r.status, r.body), (206, b"01"))  # the upstream's part, as it sent it
        self.assertEqual(r.header("Content-Range"), "bytes 0-1/11")
        self.assertRegex(r.header("Cache-Status"), r"fwd=uri-miss")
        self.wait_for_requests("/v", 2)
        fill = self.up.seen("/v")[1]
        self.assertEqual(fill[0], "GET")
        self.assertNotIn("range", fill[2])  # the whole representation
        # Stored once the fill's body is in; then every range is a hit.
        deadline = time.monotonic() + 10 * SLOW
        while True:
            r = self.get("/v", {"Range": "bytes=3-5"})
            if "hit" in r.header("Cache-Status") or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        self.assertEqual((r.status, r.body), (206, b"345"))
        self.assertEqual(r.header("Content-Range"), "bytes 3-5/11")
        self.assertRegex(r.header("Cache-Status"), r"^gatehouse; hit")
        self.assertEqual(self.get("/v").body, BODY)
        upstream_requests = self.up.count("/v")
        self.assertLessEqual(upstream_requests, 3)  # at most one more part while the fill was on its way
        self.assertEqual(len([q for q in self.up.seen("/v") if "range" not in q[2]]), 1)

    def test_no_fill_for_a_part_of_a_response_that_may_not_be_stored_or_is_too_large(self):
        self.start({"max_object_size": "10B", "max_size": "1MiB"})
        self.up.set("/big", headers=[("Cache-Control", "max-age=3600")], body=BODY, ranges=True)
        self.up.set("/private", headers=[("Cache-Control", "private, max-age=3600")], body=b"0123", ranges=True)
        for path in ("/big", "/private"):
            for _ in range(2):
                r = self.get(path, {"Range": "bytes=0-1"})
                self.assertEqual((r.status, r.body), (206, b"01"))
        # A full GET of each (after the parts) shows nothing else went upstream meanwhile.
        self.get("/big")
        self.get("/private")
        for path in ("/big", "/private"):
            self.assertEqual([q[2].get("range") for q in self.up.seen(path)], ["bytes=0-1", "bytes=0-1", None])

    def test_fill_on_range_off_forwards_each_part(self):
        self.start({"fill_on_range": False})
        self.up.set("/v", headers=[("Cache-Control", "max-age=3600")], body=BODY, ranges=True)
        for _ in range(2):
            self.assertEqual(self.get("/v", {"Range": "bytes=0-1"}).status, 206)
        self.get("/v", {"Range": "bytes=2-3"})
        self.assertEqual([q[2].get("range") for q in self.up.seen("/v")], ["bytes=0-1", "bytes=0-1", "bytes=2-3"])

    def test_a_miss_with_range_is_forwarded_and_the_whole_200_stored(self):
        self.start()
        self.up.set("/m", headers=[("Cache-Control", "max-age=3600")], body=BODY)
        r = self.get("/m", {"Range": "bytes=0-1"})
        self.assertEqual((r.status, r.body), (200, BODY))  # the upstream's answer, as it sent it
        self.assertEqual(self.up.seen("/m")[0][2].get("range"), "bytes=0-1")
        r = self.get("/m", {"Range": "bytes=0-1"})
        self.assertEqual((r.status, r.body), (206, b"01"))
        self.assertEqual(self.up.count("/m"), 1)
