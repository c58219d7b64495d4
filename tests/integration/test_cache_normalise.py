"""The `cache` policy's value normalisation through the real binary: Vary
values that RFC 9111 §4.1 lets a cache treat as equal select the stored
variant (list spacing for any field, field lines combined, Accept-Language
case and order), values that differ do not, except that a variant in one
language serves a request whose single first choice is that language; an
Expires whose names are in the wrong case still makes a response fresh (RFC
9111 §4.2). Each test says how many requests reached the upstream."""

from cache_upstream import CacheUpstream
from harness import GatehouseTestCase, RawClient, simple_config


class CacheNormaliseTest(GatehouseTestCase):

    def setUp(self):
        super().setUp()
        self.up = CacheUpstream()
        self.addCleanup(self.up.stop)
        cfg = simple_config([self.up.address], workers=1)
        cfg["routes"][0]["policies"] = [{"cache": {}}]
        self.gh = self.start_gatehouse(cfg)

    def raw_get(self, path, header_lines):
        """A GET with the given header lines sent as they are (repeats and spacing kept)."""
        c = RawClient(self.gh.port)
        try:
            c.send("GET %s HTTP/1.1\r\nHost: test\r\n%s\r\n" % (path, "".join(l + "\r\n" for l in header_lines)))
            return c.read_response()
        finally:
            c.close()

    def assert_served(self, path, header_lines, hit):
        r = self.raw_get(path, header_lines)
        self.assertEqual(r.status, 200)
        status = r.header("Cache-Status")
        if hit:
            self.assertRegex(status, r"^gatehouse; hit", header_lines)
        else:
            self.assertRegex(status, r"fwd=(uri|vary)-miss", header_lines)

    def test_list_spacing_and_field_lines_do_not_make_a_new_variant(self):
        self.up.set("/foo", headers=[("Cache-Control", "max-age=3600"), ("Vary", "Foo")])
        self.assert_served("/foo", ["Foo: 1,2"], hit=False)
        self.assert_served("/foo", ["Foo:  1, 2 "], hit=True)
        self.assert_served("/foo", ["Foo: 1 ,2"], hit=True)
        self.assert_served("/foo", ["Foo: 1", "Foo: 2"], hit=True)
        self.assertEqual(self.up.count("/foo"), 1)
        self.assert_served("/foo", ["Foo: 1 2"], hit=False)
        self.assert_served("/foo", ["Foo: 2,1"], hit=False)
        self.assertEqual(self.up.count("/foo"), 3)

    def test_quoted_commas_stay_data(self):
        self.up.set("/q", headers=[("Cache-Control", "max-age=3600"), ("Vary", "Foo")])
        self.assert_served("/q", ['Foo: x="a,b"'], hit=False)
        self.assert_served("/q", ['Foo: x="a, b"'], hit=False)
        self.assert_served("/q", ['Foo: x="a,b" '], hit=True)
        self.assertEqual(self.up.count("/q"), 2)

    def test_accept_language_case_and_order_do_not_make_a_new_variant(self):
        self.up.set("/l", headers=[("Cache-Control", "max-age=3600"), ("Vary", "Accept-Language")])
        self.assert_served("/l", ["Accept-Language: en, de"], hit=False)
        for same in (["Accept-Language: de, en"], ["Accept-Language: eN, De"], ["Accept-Language: DE;q=1.0, en"],
                     ["Accept-Language: de", "Accept-Language: en"]):
            self.assert_served("/l", same, hit=True)
        self.assertEqual(self.up.count("/l"), 1)
        self.assert_served("/l", ["Accept-Language: en, de;q=0.5"], hit=False)
        self.assert_served("/l", ["Accept-Language: de;q=0.50, EN"], hit=True)
        self.assertEqual(self.up.count("/l"), 2)

    def test_a_variant_is_selected_by_its_content_language(self):
        # cache-tests vary-normalise-lang-select: a German variant stored for
        # "en, de" serves a request whose one first choice is German.
        self.up.set("/s", headers=[("Cache-Control", "max-age=5000"), ("Vary", "Accept-Language"),
                                   ("Content-Language", "de")])
        self.assert_served("/s", ["Accept-Language: en, de"], hit=False)
        self.assert_served("/s", ["Accept-Language: fr;q=0.5, de;q=1.0"], hit=True)
        self.assert_served("/s", ["Accept-Language: DE"], hit=True)
        self.assertEqual(self.up.count("/s"), 1)
        # Another language first, a tie at the top, or no Accept-Language: the origin chooses.
        self.assert_served("/s", ["Accept-Language: fr, de;q=0.5"], hit=False)
        self.assertEqual(self.up.count("/s"), 2)
        self.assert_served("/s", ["Accept-Language: de, it"], hit=False)
        self.assert_served("/s", [], hit=False)
        self.assertEqual(self.up.count("/s"), 4)

    def test_expires_with_names_in_the_wrong_case_is_a_valid_date(self):
        for path, expires in (("/w", "THU, 18 Aug 2050 02:01:18 GMT"), ("/m", "Thu, 18 AUG 2050 02:01:18 GMT"),
                              ("/z", "Thu, 18 Aug 2050 02:01:18 gMT")):
            self.up.set(path, headers=[("Expires", expires)])
            self.raw_get(path, [])
            r = self.raw_get(path, [])
            self.assertRegex(r.header("Cache-Status"), r"^gatehouse; hit; ttl=\d+$", expires)
            self.assertEqual(self.up.count(path), 1, expires)
        # Still invalid, so already expired (RFC 9111 §5.3): not reused.
        self.up.set("/bad", headers=[("Expires", "Thu, 18 Aug 2050 02:01:18 UTC")])
        self.raw_get("/bad", [])
        self.raw_get("/bad", [])
        self.assertEqual(self.up.count("/bad"), 2)
