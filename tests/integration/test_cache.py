"""The `cache` policy through the real binary, in front of an upstream that
records every request: what is stored and served (Age, Cache-Status, HEAD,
Vary), request directives, client conditionals, revalidation with 304s,
invalidation by unsafe methods, stale-if-error, stale-while-revalidate,
request collapsing, generated ETags and the lookups metric. Each test says
how many requests reached the upstream."""

import signal
import threading
import time
import urllib.request

from cache_upstream import CacheUpstream
from harness import GatehouseTestCase, RawClient, SLOW, simple_config


class CacheTest(GatehouseTestCase):

    def start(self, cache=None, workers=1):
        self.up = CacheUpstream()
        self.addCleanup(self.up.stop)
        cfg = simple_config([self.up.address], workers=workers)
        cfg["routes"][0]["policies"] = [{"cache": cache or {}}]
        self.gh = self.start_gatehouse(cfg)
        return self.gh

    def get(self, path, headers=None, method="GET"):
        c = RawClient(self.gh.port)
        try:
            return c.request(method, path, headers=headers or {})
        finally:
            c.close()

    def test_miss_then_hit_with_age_and_cache_status(self):
        self.start()
        self.up.set("/a", headers=[("Cache-Control", "max-age=60")], body=b"stored body")
        first = self.get("/a")
        self.assertEqual(first.status, 200)
        self.assertEqual(first.body, b"stored body")
        self.assertEqual(first.header("Cache-Status"), "gatehouse; fwd=uri-miss; stored")
        second = self.get("/a")
        self.assertEqual(second.status, 200)
        self.assertEqual(second.body, b"stored body")
        age = int(second.header("Age"))
        self.assertLessEqual(age, 5 * SLOW)
        self.assertEqual(second.header("Cache-Status"), "gatehouse; hit; ttl=%d" % (60 - age))
        self.assertEqual(second.header("Content-Length"), str(len(b"stored body")))
        self.assertEqual(self.up.count("/a"), 1)
        self.assertEqual(self.gh.metric("gatehouse_cache_lookups_total", route="all", result="hit"), 1)
        self.assertEqual(self.gh.metric("gatehouse_cache_lookups_total", route="all", result="miss"), 1)
        self.assertGreater(self.gh.metric("gatehouse_cache_stored_bytes"), len(b"stored body"))

    def test_a_response_without_date_is_stored_with_the_date_it_arrived(self):
        # RFC 9110 §6.6.1: a cache appends the Date it received a response at
        # and stores it, so a later hit carries the original Date (and Age),
        # not the time of the hit.
        self.start()
        self.up.set("/undated", headers=[("Cache-Control", "max-age=60")], no_date=True)
        first = self.get("/undated")
        self.assertEqual(first.status, 200)
        self.assertEqual(len(first.header_all("Date")), 1)
        time.sleep(1.1)
        second = self.get("/undated")
        self.assertEqual(second.header("Cache-Status")[:len("gatehouse; hit")], "gatehouse; hit")
        self.assertEqual(second.header_all("Date"), first.header_all("Date"))
        self.assertGreaterEqual(int(second.header("Age")), 1)
        self.assertEqual(self.up.count("/undated"), 1)

    def test_head_is_served_from_a_stored_get(self):
        self.start()
        self.up.set("/h", headers=[("Cache-Control", "max-age=60")], body=b"0123456789")
        self.get("/h")
        head = RawClient(self.gh.port)
        self.addCleanup(head.close)
        head.send(b"HEAD /h HTTP/1.1\r\nHost: test\r\n\r\n")
        r = head.read_response(head_request=True)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Length"), "10")
        self.assertEqual(r.body, b"")
        self.assertEqual(self.up.count("/h"), 1)

    def test_a_head_response_is_stored_for_head_requests_only(self):
        self.start()
        self.up.set("/h", headers=[("Cache-Control", "max-age=60")], body=b"12345")
        first = self.get("/h", method="HEAD")
        self.assertEqual((first.status, first.header("Content-Length")), (200, "5"))
        hit = self.get("/h", method="HEAD")
        self.assertIn("hit", hit.header("Cache-Status"))
        self.assertEqual(hit.header("Content-Length"), "5")  # the content's length, not the empty entry's
        self.assertEqual(hit.body, b"")
        self.assertEqual(self.up.count("/h"), 1)
        # A GET needs the content: it goes upstream, and then serves HEAD too.
        got = self.get("/h")
        self.assertEqual((got.status, got.body), (200, b"12345"))
        self.assertNotIn("hit", got.header("Cache-Status"))
        self.assertEqual(self.up.count("/h"), 2)
        self.assertEqual(self.get("/h").body, b"12345")
        self.assertEqual(self.up.count("/h"), 2)

    def test_a_head_response_freshens_the_stored_get_response(self):
        self.start()
        self.up.set("/f", headers=[("Cache-Control", "max-age=1"), ("X-Version", "1")], body=b"12345")
        self.get("/f")
        time.sleep(2.2)
        self.up.set("/f", headers=[("Cache-Control", "max-age=60"), ("X-Version", "2")], body=b"12345")
        head = self.get("/f", method="HEAD")
        self.assertEqual((head.status, head.header("X-Version")), (200, "2"))
        self.assertEqual(self.up.seen("/f")[1][0], "HEAD")
        # RFC 9111 §4.3.5: the stored GET response took the new fields and is fresh again.
        got = self.get("/f")
        self.assertEqual((got.body, got.header("X-Version")), (b"12345", "2"))
        self.assertIn("hit", got.header("Cache-Status"))
        self.assertEqual(self.up.count("/f"), 2)

    def test_a_head_response_for_changed_content_drops_the_stored_get_response(self):
        self.start()
        self.up.set("/c", headers=[("Cache-Control", "max-age=1")], body=b"12345")
        self.get("/c")
        time.sleep(2.2)
        self.up.set("/c", headers=[("Cache-Control", "max-age=60")], body=b"123456")
        self.assertEqual(self.get("/c", method="HEAD").header("Content-Length"), "6")
        got = self.get("/c")
        self.assertEqual(got.body, b"123456")
        self.assertEqual(self.up.count("/c"), 3)

    def test_vary_stores_one_variant_per_request_value(self):
        self.start()
        self.up.set("/v", headers=[("Cache-Control", "max-age=60"), ("Vary", "Accept-Language")])
        for lang in ("en", "fr", "en", "fr", "en"):
            self.assertEqual(self.get("/v", {"Accept-Language": lang}).status, 200)
        self.assertEqual(self.up.count("/v"), 2)
        self.assertIn("fwd=vary-miss", self.get("/v", {"Accept-Language": "de"}).header("Cache-Status"))
        self.assertEqual(self.up.count("/v"), 3)

    def test_no_store_and_private_are_not_stored(self):
        self.start()
        self.up.set("/ns", headers=[("Cache-Control", "no-store, max-age=60")])
        self.up.set("/p", headers=[("Cache-Control", "private, max-age=60")])
        for _ in range(2):
            self.get("/ns")
            self.get("/p")
        self.assertEqual(self.up.count("/ns"), 2)
        self.assertEqual(self.up.count("/p"), 2)

    def test_only_if_cached_is_504_when_nothing_is_stored(self):
        self.start()
        r = self.get("/nothing", {"Cache-Control": "only-if-cached"})
        self.assertEqual(r.status, 504)
        self.assertEqual(self.up.count(), 0)

    def test_client_conditionals_on_a_hit(self):
        self.start()
        self.up.set("/c", headers=[("Cache-Control", "max-age=60"), ("ETag", '"v1"'),
                                   ("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT")])
        self.get("/c")
        r = self.get("/c", {"If-None-Match": 'W/"v1", "other"'})
        self.assertEqual(r.status, 304)
        self.assertEqual(r.header("ETag"), '"v1"')
        self.assertIsNotNone(r.header("Age"))
        self.assertEqual(r.body, b"")
        self.assertEqual(self.get("/c", {"If-None-Match": '"v2"'}).status, 200)
        self.assertEqual(self.get("/c", {"If-Modified-Since": "Mon, 07 Nov 1994 08:49:37 GMT"}).status, 304)
        # If-Match / If-Unmodified-Since are evaluated against the stored response.
        self.assertEqual(self.get("/c", {"If-Match": '"v1"'}).body, b"hello")
        failed = self.get("/c", {"If-Match": '"v2"'})
        self.assertEqual(failed.status, 412)
        self.assertIn("precondition_failed", failed.body.decode())
        self.assertEqual(self.get("/c", {"If-Match": 'W/"v1"'}).status, 412)  # strong comparison
        self.assertEqual(self.get("/c", {"If-Unmodified-Since": "Sat, 05 Nov 1994 08:49:37 GMT"}).status, 412)
        self.assertEqual(self.get("/c", {"If-Unmodified-Since": "Mon, 07 Nov 1994 08:49:37 GMT"}).status, 200)
        self.assertEqual(self.up.count("/c"), 1)

    def test_request_no_cache_revalidates_and_a_304_serves_the_stored_body(self):
        self.start()
        self.up.set("/r", headers=[("Cache-Control", "max-age=60"), ("ETag", '"r1"')], body=b"stored")
        self.get("/r")
        r = self.get("/r", {"Cache-Control": "no-cache"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"stored")
        self.assertIn("fwd=request; fwd-status=304", r.header("Cache-Status"))
        seen = self.up.seen("/r")
        self.assertEqual(len(seen), 2)
        self.assertEqual(seen[1][2].get("if-none-match"), '"r1"')
        self.assertEqual(self.gh.metric("gatehouse_cache_lookups_total", route="all", result="revalidated"), 1)

    def test_stale_entry_is_revalidated_and_refreshed(self):
        self.start()
        self.up.set("/s", headers=[("Cache-Control", "max-age=1"), ("ETag", '"s1"')], body=b"old")
        self.get("/s")
        time.sleep(2.2)
        # The 304 carries the new Cache-Control, which the refresh stores (§4.3.4).
        self.up.set("/s", headers=[("Cache-Control", "max-age=60"), ("ETag", '"s1"')], body=b"new")
        r = self.get("/s")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"old")
        self.assertIn("fwd=stale; fwd-status=304", r.header("Cache-Status"))
        self.assertEqual(self.up.seen("/s")[1][2].get("if-none-match"), '"s1"')
        # Refreshed: fresh again without asking the upstream.
        self.assertIn("hit", self.get("/s").header("Cache-Status"))
        self.assertEqual(self.up.count("/s"), 2)

    def test_a_304_without_validators_refreshes_the_entry_it_answers(self):
        self.start()
        self.up.set("/bare", headers=[("Cache-Control", "max-age=1"), ("ETag", '"b1"'), ("X-Version", "1")],
                    body=b"stored", bare_304=True)
        self.get("/bare")
        time.sleep(2.2)
        r = self.get("/bare")
        # The client asked for nothing conditional: it gets the stored 200.
        self.assertEqual((r.status, r.body), (200, b"stored"))
        self.assertIn("fwd-status=304", r.header("Cache-Status"))
        self.assertEqual(r.header("ETag"), '"b1"')
        self.assertEqual(self.up.seen("/bare")[1][2].get("if-none-match"), '"b1"')
        self.assertEqual(self.up.count("/bare"), 2)

    def test_a_304_with_a_contradicting_etag_serves_the_entry_without_updating_it(self):
        self.start()
        self.up.set("/contra", headers=[("Cache-Control", "max-age=1"), ("ETag", '"c1"')], body=b"stored")
        self.get("/contra")
        time.sleep(2.2)
        # The origin now claims another tag yet answers our If-None-Match "c1" with 304.
        self.up.set("/contra", headers=[("Cache-Control", "max-age=1"), ("ETag", '"c2"')], body=b"stored")
        self.up.responses["/contra"]["bare_304"] = True
        r = self.get("/contra")
        self.assertEqual((r.status, r.body, r.header("ETag")), (200, b"stored", '"c1"'))

    def test_unquoted_etags_are_read_as_quoted(self):
        self.start()
        self.up.set("/uq", headers=[("Cache-Control", "max-age=60"), ("ETag", "abc")], body=b"x")
        self.get("/uq")
        self.assertEqual(self.get("/uq", {"If-None-Match": "abc"}).status, 304)
        self.assertEqual(self.get("/uq", {"If-None-Match": '"abc"'}).status, 304)
        self.assertEqual(self.up.count("/uq"), 1)

    def test_unsafe_request_invalidates_its_uri_and_location(self):
        self.start()
        self.up.set("/items", headers=[("Cache-Control", "max-age=60")])
        self.up.set("/items/1", headers=[("Cache-Control", "max-age=60")])
        self.get("/items")
        self.get("/items/1")
        self.up.set("/items", status=201, headers=[("Location", "/items/1")])
        c = RawClient(self.gh.port)
        self.addCleanup(c.close)
        self.assertEqual(c.request("POST", "/items", body=b"{}").status, 201)
        self.up.set("/items", headers=[("Cache-Control", "max-age=60")])
        self.get("/items")
        self.get("/items/1")
        self.assertEqual([m for m, _, _ in self.up.seen("/items")], ["GET", "POST", "GET"])
        self.assertEqual(self.up.count("/items/1"), 2)

    def test_a_post_response_for_its_own_uri_is_stored_for_gets(self):
        # RFC 9110 §9.3.3: explicit freshness and Content-Location naming the
        # POST's own URI: the response is that resource's representation.
        self.start()
        c = RawClient(self.gh.port)
        self.addCleanup(c.close)
        cases = [
            ("/own", [("Cache-Control", "max-age=60"), ("Content-Location", "/own")], True),
            ("/abs", [("Expires", "Thu, 01 Jan 2099 00:00:00 GMT"), ("Content-Location", "http://test/abs")], True),
            ("/other", [("Cache-Control", "max-age=60"), ("Content-Location", "/elsewhere")], False),
            ("/nolocation", [("Cache-Control", "max-age=60")], False),
            ("/heuristic", [("Last-Modified", "Thu, 01 Jan 2015 00:00:00 GMT"), ("Content-Location", "/heuristic")],
             False),
            ("/nostore", [("Cache-Control", "max-age=60, no-store"), ("Content-Location", "/nostore")], False),
        ]
        for path, headers, stored in cases:
            with self.subTest(path=path):
                self.up.set(path, headers=headers, body=b"posted " + path.encode())
                self.assertEqual(c.request("POST", path, body=b"{}").status, 200)
                self.up.set(path, body=b"from upstream")
                r = self.get(path)
                if stored:
                    self.assertIn("hit", r.header("Cache-Status"))
                    self.assertEqual(r.body, b"posted " + path.encode())
                    self.assertEqual([m for m, _, _ in self.up.seen(path)], ["POST"])
                else:
                    self.assertNotIn("hit", r.header("Cache-Status"))
                    self.assertEqual(r.body, b"from upstream")
                    self.assertEqual([m for m, _, _ in self.up.seen(path)], ["POST", "GET"])

    def test_failed_unsafe_request_invalidates_nothing(self):
        self.start()
        self.up.set("/keep", headers=[("Cache-Control", "max-age=60")])
        self.get("/keep")
        self.up.set("/keep", status=500)
        c = RawClient(self.gh.port)
        self.addCleanup(c.close)
        self.assertEqual(c.request("DELETE", "/keep").status, 500)
        self.assertIn("hit", self.get("/keep").header("Cache-Status"))
        self.assertEqual(self.up.count("/keep"), 2)

    def test_stale_if_error_serves_the_stored_response(self):
        self.start({"stale_if_error": "60s"})
        self.up.set("/e", headers=[("Cache-Control", "max-age=1")], body=b"good")
        self.get("/e")
        self.up.set("/e", status=503, body=b"down")
        time.sleep(2.2)
        r = self.get("/e")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"good")
        self.assertIn("fwd-status=503", r.header("Cache-Status"))
        self.assertEqual(self.up.count("/e"), 2)

    def test_stale_if_error_covers_an_unreachable_upstream(self):
        self.start()
        self.up.set("/gone", headers=[("Cache-Control", "max-age=1, stale-if-error=60")], body=b"kept")
        self.get("/gone")
        self.up.stop()
        self.up = CacheUpstream()  # the old port now refuses
        self.addCleanup(self.up.stop)
        time.sleep(2.2)
        r = self.get("/gone")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"kept")

    def test_stale_while_revalidate_serves_stale_and_refreshes_once(self):
        self.start()
        self.up.set("/w", headers=[("Cache-Control", "max-age=1, stale-while-revalidate=60"), ("ETag", '"w1"')],
                    body=b"v1")
        self.get("/w")
        time.sleep(2.2)
        self.up.set("/w", headers=[("Cache-Control", "max-age=60"), ("ETag", '"w2"')], body=b"v2")
        r = self.get("/w")
        self.assertEqual(r.body, b"v1")
        self.assertRegex(r.header("Cache-Status"), r"hit; ttl=-")
        deadline = time.monotonic() + 5 * SLOW
        while time.monotonic() < deadline and b"v2" != self.get("/w").body:
            time.sleep(0.05)
        self.assertEqual(self.get("/w").body, b"v2")
        self.assertEqual(self.up.count("/w"), 2)
        self.assertEqual(self.up.seen("/w")[1][2].get("if-none-match"), '"w1"')

    def test_concurrent_misses_collapse_into_one_upstream_request(self):
        self.start({"collapse_wait": "10s"}, workers=2)
        self.up.set("/slow", headers=[("Cache-Control", "max-age=60")], body=b"once", delay=1.0 * SLOW)
        results = []

        def fetch():
            results.append(self.get("/slow"))

        threads = [threading.Thread(target=fetch) for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([r.body for r in results], [b"once"] * 5)
        self.assertEqual(self.up.count("/slow"), 1)
        # Those that arrived while the first was in flight say `collapsed`;
        # under load a late one may find the entry stored already (a hit).
        self.assertEqual(sum("hit" in r.header("Cache-Status") for r in results), 4)
        self.assertGreaterEqual(sum("collapsed" in r.header("Cache-Status") for r in results), 1)

    def test_a_key_whose_response_was_not_stored_is_not_collapsed(self):
        # Hit-for-miss: once a response for the key could not be stored,
        # concurrent misses go upstream together instead of queueing.
        self.start({"collapse_wait": "10s"}, workers=2)
        delay = 2.0 * SLOW
        self.up.set("/nostore", headers=[("Cache-Control", "no-store")], body=b"each")
        self.get("/nostore")
        self.up.set("/nostore", headers=[("Cache-Control", "no-store")], body=b"each", delay=delay)
        threads = [threading.Thread(target=self.get, args=("/nostore",)) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        arrivals = self.up.arrivals["/nostore"][1:]
        self.assertEqual(len(arrivals), 3)
        # Waiting for one another would space them a whole `delay` apart.
        self.assertLess(max(arrivals) - min(arrivals), 0.75 * delay)

    def test_generated_etag_answers_if_none_match(self):
        self.start({"etag": "generate"})
        self.up.set("/g", headers=[("Cache-Control", "max-age=60")], body=b"content")
        self.get("/g")
        etag = self.get("/g").header("ETag")
        self.assertRegex(etag, r'^"[A-Za-z0-9_-]{22}"$')
        self.assertEqual(self.get("/g", {"If-None-Match": etag}).status, 304)
        self.assertEqual(self.up.count("/g"), 1)

    def test_the_response_that_fills_the_entry_carries_the_generated_etag(self):
        self.start({"etag": "generate"})
        self.up.set("/fill", headers=[("Cache-Control", "max-age=60")], body=b"filled")
        first = self.get("/fill")
        self.assertEqual(first.body, b"filled")
        self.assertRegex(first.header("ETag"), r'^"[A-Za-z0-9_-]{22}"$')
        self.assertEqual(self.get("/fill").header("ETag"), first.header("ETag"))
        self.assertEqual(self.up.count("/fill"), 1)

    def test_generated_etag_on_responses_that_are_not_stored(self):
        self.start({"etag": "generate"})
        self.up.set("/private", headers=[("Cache-Control", "private")], body=b"x" * 5000, chunked=True)
        first = self.get("/private")
        self.assertEqual(first.body, b"x" * 5000)
        self.assertEqual(first.header("Content-Length"), "5000")  # held whole, so framed by length
        etag = first.header("ETag")
        self.assertRegex(etag, r'^"[A-Za-z0-9_-]{22}"$')
        not_modified = self.get("/private", {"If-None-Match": 'W/"other", ' + etag})
        self.assertEqual(not_modified.status, 304)
        self.assertEqual(not_modified.body, b"")
        self.assertEqual(not_modified.header("ETag"), etag)
        self.assertEqual(not_modified.header("Cache-Control"), "private")
        self.assertIsNotNone(not_modified.header("X-Request-Id"))
        changed = self.get("/private", {"If-None-Match": '"not-it"'})
        self.assertEqual((changed.status, changed.body), (200, b"x" * 5000))
        # Not stored: every request reached the upstream.
        self.assertEqual(self.up.count("/private"), 3)
        # The same content gives the same tag; other content another.
        self.up.set("/other", headers=[("Cache-Control", "no-store")], body=b"x" * 5000)
        self.assertEqual(self.get("/other").header("ETag"), etag)
        self.up.set("/other", headers=[("Cache-Control", "no-store")], body=b"y" * 5000)
        self.assertNotEqual(self.get("/other").header("ETag"), etag)

    def test_generated_etag_is_skipped_for_bodies_over_etag_max_size(self):
        self.start({"etag": "generate", "etag_max_size": "2KiB"})
        # Chunked: the proxy holds 2 KiB, then lets the rest stream as it came.
        self.up.set("/large", headers=[("Cache-Control", "no-store")], body=b"z" * 9000, chunked=True)
        r = self.get("/large")
        self.assertEqual((r.status, r.body), (200, b"z" * 9000))
        self.assertIsNone(r.header("ETag"))
        self.assertEqual(r.header("Transfer-Encoding"), "chunked")
        self.up.set("/sized", headers=[("Cache-Control", "no-store")], body=b"z" * 3000)
        r = self.get("/sized")
        self.assertEqual((r.status, r.body), (200, b"z" * 3000))
        self.assertIsNone(r.header("ETag"))
        # An upstream ETag is left alone.
        self.up.set("/own", headers=[("Cache-Control", "no-store"), ("ETag", '"v1"')])
        self.assertEqual(self.get("/own").header("ETag"), '"v1"')

    def test_response_over_max_object_size_streams_through_uncached(self):
        self.start({"max_object_size": "1KiB"})
        self.up.set("/big", headers=[("Cache-Control", "max-age=60")], body=b"x" * 4096)
        for _ in range(2):
            r = self.get("/big")
            self.assertEqual(len(r.body), 4096)
        self.assertEqual(self.up.count("/big"), 2)

    def test_default_ttl_makes_a_plain_200_fresh(self):
        self.start({"default_ttl": "60s"})
        self.up.set("/plain")
        self.get("/plain")
        self.assertIn("hit", self.get("/plain").header("Cache-Status"))
        self.assertEqual(self.up.count("/plain"), 1)

    def admin_call(self, method, path):
        import json
        import urllib.error
        import urllib.request
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.gh.admin_port, path), method=method)
        try:
            with urllib.request.urlopen(req, timeout=5 * SLOW) as r:
                return r.status, json.loads(r.read().decode())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read().decode())

    def test_admin_stats_and_purges(self):
        self.start()
        for path in ("/api/a", "/api/b", "/other"):
            self.up.set(path, headers=[("Cache-Control", "max-age=60")])
            self.get(path)
        self.get("/api/a")
        status, stats = self.admin_call("GET", "/cache/stats")
        self.assertEqual(status, 200)
        self.assertEqual(stats["entries"], 3)
        self.assertEqual(stats["lookups"]["hit"], 1)
        self.assertIsInstance(stats["lookups"]["hit"], int)  # a count, not 1E0
        self.assertAlmostEqual(stats["hit_ratio"], 0.25)
        with urllib.request.urlopen("http://127.0.0.1:%d/cache/stats" % self.gh.admin_port, timeout=5 * SLOW) as r:
            self.assertIn('"hit_ratio":0.25}', r.read().decode())  # a plain decimal, not 2.5E-1
        self.assertEqual(self.admin_call("POST", "/cache/purge?url=http://TEST:80/api/a"), (200, {"purged": 1}))
        self.get("/api/a")
        self.assertEqual(self.up.count("/api/a"), 2)
        self.assertEqual(self.admin_call("DELETE", "/cache/purge?prefix=http://test/api/"), (200, {"purged": 2}))
        self.assertIn("hit", self.get("/other").header("Cache-Status"))
        self.assertEqual(self.admin_call("POST", "/cache/purge?all"), (200, {"purged": 1}))
        self.assertEqual(self.admin_call("GET", "/cache/stats")[1]["entries"], 0)
        self.assertEqual(self.admin_call("POST", "/cache/purge")[0], 400)
        self.assertEqual(self.admin_call("GET", "/cache/purge?all")[0], 405)
        self.get("/api/b")
        self.get("/other")
        self.assertEqual(self.up.count("/api/b"), 2)
        self.assertEqual(self.up.count("/other"), 2)

    def test_hits_kept_by_every_worker_end_with_a_purge_or_an_unsafe_request(self):
        # Each worker keeps a key it hits repeatedly and answers it without
        # asking the store (local_hits.h); whatever removes the entry must
        # end that on every worker at once. Many connections, so that every
        # worker gets some.
        self.start(workers=4)
        self.up.set("/hot", headers=[("Cache-Control", "max-age=60")], body=b"v1")

        def bodies():
            return {self.get("/hot").body for _ in range(40)}

        self.assertEqual(bodies(), {b"v1"})
        self.assertEqual(bodies(), {b"v1"})
        self.assertEqual(self.up.count("/hot"), 1)
        self.up.set("/hot", headers=[("Cache-Control", "max-age=60")], body=b"v2")
        self.assertEqual(self.admin_call("POST", "/cache/purge?url=http://test/hot"), (200, {"purged": 1}))
        self.assertEqual(bodies(), {b"v2"})
        self.assertEqual(bodies(), {b"v2"})
        self.assertEqual(self.up.count("/hot"), 2)
        self.up.set("/hot", body=b"deleted")
        c = RawClient(self.gh.port)
        self.addCleanup(c.close)
        self.assertEqual(c.request("DELETE", "/hot").body, b"deleted")
        self.up.set("/hot", headers=[("Cache-Control", "max-age=60")], body=b"v3")
        self.assertEqual(bodies(), {b"v3"})
        self.assertEqual(self.up.count("/hot"), 4)

    def test_store_metrics_are_exact_when_scraped(self):
        # 1 MiB over 16 shards: a 48 KiB body fills a shard's share, so
        # storing 40 of them evicts.
        self.start({"max_size": "1MiB", "max_object_size": "64KiB"})
        body = b"x" * (48 * 1024)
        for i in range(40):
            self.up.set("/big/%d" % i, headers=[("Cache-Control", "max-age=60")], body=body)
            self.assertEqual(self.get("/big/%d" % i).status, 200)
        entries = self.admin_call("GET", "/cache/stats")[1]["entries"]
        self.assertGreater(entries, 0)
        self.assertLess(entries, 40)
        self.assertEqual(self.gh.metric("gatehouse_cache_entries"), entries)
        self.assertEqual(self.gh.metric("gatehouse_cache_evictions_total"), 40 - entries)
        stored = self.gh.metric("gatehouse_cache_stored_bytes")
        self.assertGreater(stored, entries * len(body))
        self.assertLessEqual(stored, 1024 * 1024)
        self.assertEqual(self.admin_call("POST", "/cache/purge?all"), (200, {"purged": entries}))
        self.assertEqual(self.gh.metric("gatehouse_cache_entries"), 0)
        self.assertEqual(self.gh.metric("gatehouse_cache_stored_bytes"), 0)
        self.assertEqual(self.gh.metric("gatehouse_cache_evictions_total"), 40 - entries)

    def test_entries_survive_a_reload(self):
        gh = self.start()
        self.up.set("/kept", headers=[("Cache-Control", "max-age=60")], body=b"before")
        self.get("/kept")
        before = gh.output().count("configuration reloaded")
        gh.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5 * SLOW
        while gh.output().count("configuration reloaded") == before and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertGreater(gh.output().count("configuration reloaded"), before, gh.output())
        r = self.get("/kept")
        self.assertEqual(r.body, b"before")
        self.assertIn("hit", r.header("Cache-Status"))
        self.assertEqual(self.up.count("/kept"), 1)

    def test_set_cookie_is_stored_only_when_configured(self):
        self.start()
        self.up.set("/ck", headers=[("Cache-Control", "max-age=60"), ("Set-Cookie", "s=1")])
        self.get("/ck")
        self.get("/ck")
        self.assertEqual(self.up.count("/ck"), 2)

    def test_store_set_cookie_stores_it(self):
        self.start({"store_set_cookie": True})
        self.up.set("/ck", headers=[("Cache-Control", "max-age=60"), ("Set-Cookie", "s=1")])
        self.get("/ck")
        r = self.get("/ck")
        self.assertEqual(r.header("Set-Cookie"), "s=1")
        self.assertEqual(self.up.count("/ck"), 1)

    def test_authorization_requests_are_stored_only_when_the_response_allows(self):
        self.start()
        self.up.set("/private", headers=[("Cache-Control", "max-age=60")])
        self.up.set("/shared", headers=[("Cache-Control", "public, max-age=60")])
        for _ in range(2):
            self.get("/private", {"Authorization": "Bearer x"})
            self.get("/shared", {"Authorization": "Bearer x"})
        self.assertEqual(self.up.count("/private"), 2)
        self.assertEqual(self.up.count("/shared"), 1)
