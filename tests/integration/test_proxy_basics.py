"""Basic proxying through the real binaries: forwarding of methods and bodies,
the request the upstream sees (hop-by-hop removal, X-Forwarded-*, Via,
X-Request-Id), response header handling, routing and the `headers` policy."""

import email.utils
import hashlib
import re
import time
import unittest

from harness import GatehouseTestCase, RawClient, SLOW, simple_config

UUID_V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
IMF_FIXDATE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                         r"\d{4} \d\d:\d\d:\d\d GMT$")


def seen(info, name):
    """Values of header `name` in an /inspect JSON, in order (case-insensitive)."""
    return [v for n, v in info["headers"] if n.lower() == name.lower()]


def seen_names(info):
    return [n.lower() for n, _ in info["headers"]]


class ProxyBasicsTest(GatehouseTestCase):

    def client(self, port, timeout=10.0):
        """A RawClient closed when the test ends, passed or not."""
        c = RawClient(port, timeout)
        self.addCleanup(c.close)
        return c

    def start_simple(self, **listener_options):
        upstream = self.start_upstream()
        cfg = simple_config([upstream.address])
        cfg["listeners"][0].update(listener_options)
        return upstream, self.start_gatehouse(cfg)

    def inspect(self, gh, headers=None, method="GET", body=None, path="/inspect", host="test"):
        c = self.client(gh.port)
        try:
            r = c.request(method, path, headers=headers, body=body, host=host)
        finally:
            c.close()
        self.assertEqual(r.status, 200, r.body)
        return r, r.json()

    # --- forwarding ---------------------------------------------------------

    def test_get_forwarded_with_exact_body(self):
        _, gh = self.start_simple()
        c = self.client(gh.port)
        for n in (0, 1, 1000, 100000):
            r = c.request("GET", "/bytes/%d" % n)
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header("content-length"), str(n))
            self.assertEqual(r.body, b"x" * n)
        c.close()

    def test_status_passed_through(self):
        _, gh = self.start_simple()
        c = self.client(gh.port)
        for status in (201, 404, 418, 503):
            r = c.request("GET", "/status/%d" % status)
            self.assertEqual(r.status, status)
            self.assertEqual(r.json(), {"status": status})
        c.close()

    def test_post_content_length_body_reaches_upstream(self):
        _, gh = self.start_simple()
        body = bytes(range(256)) * 40 + b"tail"
        r, info = self.inspect(gh, method="POST", body=body, path="/inspect?a=1&b=two")
        self.assertEqual(info["method"], "POST")
        self.assertEqual(info["target"], "/inspect?a=1&b=two")
        self.assertEqual(info["version"], "1.1")
        self.assertEqual(info["body_length"], len(body))
        self.assertEqual(info["body_sha256"], hashlib.sha256(body).hexdigest())
        self.assertEqual(seen(info, "content-length"), [str(len(body))])
        self.assertEqual(seen(info, "transfer-encoding"), [])

    def test_bodiless_statuses_passed_through(self):
        _, gh = self.start_simple()
        c = self.client(gh.port)
        for status in (204, 304):
            r = c.request("GET", "/status/%d" % status)
            self.assertEqual(r.status, status)
            self.assertIsNone(r.header("transfer-encoding"))
            self.assertIn(r.header("content-length"), (None, "0"))
        # Nothing followed the bodiless responses on the connection.
        r = c.request("GET", "/bytes/4")
        self.assertEqual(r.body, b"xxxx")
        self.assertEqual(c.buf, b"")
        c.close()

    def test_absolute_form_target_forwarded_in_origin_form(self):
        _, gh = self.start_simple()
        c = self.client(gh.port)
        c.send("GET http://example.com/inspect?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n")
        r = c.read_response()
        c.close()
        self.assertEqual(r.status, 200, r.body)
        info = r.json()
        self.assertEqual(info["target"], "/inspect?q=1")
        self.assertEqual(seen(info, "host"), ["example.com"])

    def test_http10_request_without_host_gets_one_upstream(self):
        # HTTP/1.0 allows a request without Host; the proxy speaks HTTP/1.1 to
        # the upstream, where Host is mandatory (RFC 9112 section 3.2).
        _, gh = self.start_simple()
        c = self.client(gh.port)
        c.send("GET /inspect HTTP/1.0\r\n\r\n")
        r = c.read_response()
        c.close()
        self.assertEqual(r.status, 200, r.body)
        info = r.json()
        self.assertEqual(len(seen(info, "host")), 1, info["headers"])
        self.assertEqual(seen(info, "x-forwarded-for"), ["127.0.0.1"])

    def test_request_headers_seen_by_upstream(self):
        _, gh = self.start_simple()
        r, info = self.inspect(gh, host="api.test:8080", headers={
            "Connection": "close, X-Secret-Hop",
            "X-Secret-Hop": "1",
            "Keep-Alive": "5",
            "TE": "trailers",
            "Upgrade": "foo",
            "Proxy-Authorization": "x",
            "Proxy-Connection": "keep-alive",
            "X-End-To-End": "kept",
            "User-Agent": "gatehouse-tests",
        })
        names = seen_names(info)
        for hop in ("connection", "x-secret-hop", "keep-alive", "te", "upgrade",
                    "proxy-authorization", "proxy-connection"):
            self.assertNotIn(hop, names, "hop-by-hop header %s was forwarded" % hop)
        self.assertEqual(seen(info, "x-end-to-end"), ["kept"])
        self.assertEqual(seen(info, "user-agent"), ["gatehouse-tests"])
        self.assertEqual(seen(info, "host"), ["api.test:8080"])
        self.assertEqual(seen(info, "x-forwarded-for"), ["127.0.0.1"])
        self.assertEqual(seen(info, "x-forwarded-proto"), ["http"])
        self.assertEqual(seen(info, "x-forwarded-host"), ["api.test:8080"])
        via = seen(info, "via")
        self.assertEqual(len(via), 1)
        self.assertIn("1.1 gatehouse", via[0])

    def test_via_appended_to_client_via(self):
        _, gh = self.start_simple()
        _, info = self.inspect(gh, headers={"Via": "1.0 corp-proxy"})
        self.assertEqual(seen(info, "via"), ["1.0 corp-proxy, 1.1 gatehouse"])

    def test_untrusted_forwarded_headers_replaced(self):
        _, gh = self.start_simple()
        _, info = self.inspect(gh, host="real.test", headers={
            "X-Forwarded-For": "203.0.113.7, 198.51.100.1",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "spoofed.test",
        })
        self.assertEqual(seen(info, "x-forwarded-for"), ["127.0.0.1"])
        self.assertEqual(seen(info, "x-forwarded-proto"), ["http"])
        self.assertEqual(seen(info, "x-forwarded-host"), ["real.test"])

    def test_trusted_forwarded_headers_appended_and_kept(self):
        _, gh = self.start_simple(trusted_proxies=["127.0.0.1/32"])
        _, info = self.inspect(gh, host="real.test", headers={
            "X-Forwarded-For": "203.0.113.7",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "orig.example.com",
        })
        self.assertEqual(seen(info, "x-forwarded-for"), ["203.0.113.7, 127.0.0.1"])
        self.assertEqual(seen(info, "x-forwarded-proto"), ["https"])
        self.assertEqual(seen(info, "x-forwarded-host"), ["orig.example.com"])

    def test_trusted_peer_without_forwarded_host(self):
        # The common case behind a load balancer that only sets X-Forwarded-For:
        # X-Forwarded-Host must then be copied from Host, intact.
        _, gh = self.start_simple(trusted_proxies=["127.0.0.1/32"])
        _, info = self.inspect(gh, host="real.test", headers={"X-Forwarded-For": "203.0.113.7"})
        self.assertEqual(seen(info, "x-forwarded-for"), ["203.0.113.7, 127.0.0.1"])
        self.assertEqual(seen(info, "x-forwarded-proto"), ["http"])
        self.assertEqual(seen(info, "x-forwarded-host"), ["real.test"])
        self.assertEqual(seen(info, "host"), ["real.test"])
        # Without any client-sent values, a trusted peer gets what any other gets.
        _, info = self.inspect(gh, host="real.test")
        self.assertEqual(seen(info, "x-forwarded-for"), ["127.0.0.1"])
        self.assertEqual(seen(info, "x-forwarded-proto"), ["http"])
        self.assertEqual(seen(info, "x-forwarded-host"), ["real.test"])

    # --- X-Request-Id ----------------------------------------------------------

    def test_request_id_generated(self):
        _, gh = self.start_simple()
        r1, info1 = self.inspect(gh)
        rid = r1.header("x-request-id")
        self.assertIsNotNone(rid)
        self.assertRegex(rid, UUID_V4)
        self.assertEqual(r1.header_all("x-request-id"), [rid])
        self.assertEqual(seen(info1, "x-request-id"), [rid])
        r2, info2 = self.inspect(gh)
        self.assertRegex(r2.header("x-request-id"), UUID_V4)
        self.assertNotEqual(r2.header("x-request-id"), rid)
        self.assertEqual(seen(info2, "x-request-id"), [r2.header("x-request-id")])

    def test_unacceptable_request_id_replaced(self):
        _, gh = self.start_simple()
        for bad in ('has"quote', "a" * 201, "back\\slash"):
            with self.subTest(request_id=bad):
                r, info = self.inspect(gh, headers={"X-Request-Id": bad})
                rid = r.header("x-request-id")
                self.assertRegex(rid, UUID_V4)
                self.assertEqual(seen(info, "x-request-id"), [rid])

    def test_request_id_passed_through(self):
        _, gh = self.start_simple()
        r, info = self.inspect(gh, headers={"X-Request-Id": "client-chosen-id-42"})
        self.assertEqual(seen(info, "x-request-id"), ["client-chosen-id-42"])
        self.assertEqual(r.header_all("x-request-id"), ["client-chosen-id-42"])

    # --- the response ----------------------------------------------------------

    def test_response_hop_by_hop_removed_and_connection_kept(self):
        _, gh = self.start_simple()
        c = self.client(gh.port)
        r = c.request("GET", "/headers?Connection=close&Keep-Alive=timeout%3D5&X-Kept=1"
                             "&Proxy-Authenticate=Basic&Upgrade=foo")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("x-kept"), "1")
        self.assertIsNone(r.header("keep-alive"))
        self.assertIsNone(r.header("proxy-authenticate"))
        self.assertIsNone(r.header("upgrade"))
        self.assertNotIn("close", (r.header("connection") or "").lower())
        via = r.header_all("via")
        self.assertEqual(len(via), 1)
        self.assertIn("1.1 gatehouse", via[0])
        # The client connection is still usable (the upstream one was not reused).
        r = c.request("GET", "/bytes/3")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"xxx")
        c.close()

    def test_response_headers_named_by_connection_removed(self):
        _, gh = self.start_simple()
        c = self.client(gh.port)
        r = c.request("GET", "/headers?Connection=X-Private&X-Private=secret&X-Kept=1")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("x-kept"), "1")
        self.assertIsNone(r.header("x-private"))
        self.assertIsNone(r.header("connection"))
        c.close()

    def test_via_on_response(self):
        _, gh = self.start_simple()
        c = self.client(gh.port)
        r = c.request("GET", "/bytes/1")
        self.assertEqual(r.header_all("via"), ["1.1 gatehouse"])
        r = c.request("GET", "/headers?Via=1.1%20origin-cache")
        self.assertEqual(r.header_all("via"), ["1.1 origin-cache, 1.1 gatehouse"])
        c.close()

    def test_head_gets_headers_without_body(self):
        upstream, gh = self.start_simple()
        direct = self.client(upstream.port)
        expected = direct.request("HEAD", "/bytes/100")
        direct.close()
        self.assertEqual(expected.header("content-length"), "100")
        c = self.client(gh.port)
        r = c.request("HEAD", "/bytes/100")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"")
        self.assertEqual(r.header("content-length"), expected.header("content-length"))
        # No body bytes were sent: the next response on the connection parses cleanly.
        r = c.request("GET", "/bytes/5")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"xxxxx")
        self.assertEqual(c.buf, b"")
        c.close()

    # --- Date (RFC 9110 §6.6.1) --------------------------------------------

    def assert_current_date(self, r):
        dates = r.header_all("date")
        self.assertEqual(len(dates), 1, r.headers)
        self.assertRegex(dates[0], IMF_FIXDATE)
        sent = email.utils.parsedate_to_datetime(dates[0]).timestamp()
        self.assertLess(abs(sent - time.time()), 5 * SLOW)

    def test_date_added_to_a_response_without_one(self):
        upstream, gh = self.start_simple()
        direct = self.client(upstream.port)
        self.assertIsNone(direct.request("GET", "/bytes/1").header("date"))
        direct.close()
        c = self.client(gh.port)
        self.assert_current_date(c.request("GET", "/bytes/1"))
        c.close()

    def test_upstream_date_passed_through(self):
        _, gh = self.start_simple()
        c = self.client(gh.port)
        r = c.request("GET", "/headers?Date=Sun,%2006%20Nov%201994%2008:49:37%20GMT")
        self.assertEqual(r.header_all("date"), ["Sun, 06 Nov 1994 08:49:37 GMT"])
        c.close()

    def test_admin_responses_carry_a_date(self):
        # (The gateway's own replies on the public port: test_no_route_is_404_json.)
        _, gh = self.start_simple()
        admin = self.client(gh.admin_port)
        r = admin.request("GET", "/metrics")
        self.assertEqual(r.status, 200)
        self.assert_current_date(r)
        admin.close()

    # --- routing -----------------------------------------------------------------

    def test_no_route_is_404_json(self):
        upstream = self.start_upstream()
        cfg = simple_config([upstream.address])
        cfg["routes"][0]["match"] = {"host": "only.test"}
        gh = self.start_gatehouse(cfg)
        c = self.client(gh.port)
        r = c.request("GET", "/bytes/10", host="other.test")
        self.assertEqual(r.status, 404)
        self.assert_current_date(r)
        self.assertIn("application/json", r.header("content-type") or "")
        body = r.json()
        self.assertEqual(set(body), {"error"})
        self.assertEqual(body["error"]["code"], "not_found")
        self.assertIsInstance(body["error"]["message"], str)
        self.assertTrue(body["error"]["message"])
        self.assertRegex(r.header("x-request-id"), UUID_V4)
        self.assertEqual(body["error"]["request_id"], r.header("x-request-id"))
        # A 404 for a body-less request leaves the connection usable.
        r = c.request("GET", "/bytes/2", host="only.test")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"xx")
        # A client-chosen id appears in the error body too.
        r = c.request("GET", "/", host="nope.test", headers={"X-Request-Id": "abc-123"})
        self.assertEqual(r.status, 404)
        self.assertEqual(r.header("x-request-id"), "abc-123")
        self.assertEqual(r.json()["error"]["request_id"], "abc-123")
        c.close()

    def routing_gatehouse(self):
        a = self.start_upstream()
        b = self.start_upstream()
        routes = [
            {"name": "host-exact", "match": {"host": "exact.test"}, "upstream": "b"},
            {"name": "host-wild", "match": {"host": "*.example.com"}, "upstream": "b"},
            {"name": "path-exact", "match": {"path": "/bytes/7"}, "upstream": "b"},
            {"name": "prefix", "match": {"path_prefix": "/status/"}, "upstream": "b"},
            {"name": "regex", "match": {"path_regex": "/bytes/1[0-9]"}, "upstream": "b"},
            {"name": "post-only", "match": {"path": "/inspect", "methods": ["POST"]},
             "upstream": "b"},
            {"name": "get-only", "match": {"path_prefix": "/headers", "methods": ["GET"]},
             "upstream": "b"},
            # First match in file order wins over a later, more specific route.
            {"name": "first", "match": {"path_prefix": "/bytes/5"}, "upstream": "b"},
            {"name": "later", "match": {"path": "/bytes/55"}, "upstream": "a"},
            {"name": "catch-all", "match": {"path_prefix": "/"}, "upstream": "a"},
        ]
        cfg = {
            "workers": 1,
            "listeners": [{"name": "public", "address": "127.0.0.1:{port}"}],
            "admin": {"address": "127.0.0.1:{admin_port}"},
            "upstreams": {"a": {"targets": [a.address]}, "b": {"targets": [b.address]}},
            "routes": routes,
        }
        return a, b, self.start_gatehouse(cfg)

    def test_routing(self):
        a, b, gh = self.routing_gatehouse()
        cases = [
            # (method, path, host, expected upstream)
            ("GET", "/bytes/1", "exact.test", b),
            ("GET", "/bytes/1", "EXACT.test", b),
            ("GET", "/bytes/1", "exact.test:8080", b),
            ("GET", "/bytes/1", "exact.test.other", a),
            ("GET", "/bytes/1", "a.example.com", b),
            ("GET", "/bytes/1", "a.b.example.com", b),
            ("GET", "/bytes/1", "A.Example.COM:81", b),
            ("GET", "/bytes/1", "example.com", a),
            ("GET", "/bytes/1", "badexample.com", a),
            ("GET", "/bytes/7", "test", b),
            ("GET", "/bytes/7?q=1", "test", b),
            ("GET", "/bytes/70", "test", a),
            ("GET", "/status/200", "test", b),
            ("GET", "/status/201?x=y", "test", b),
            ("GET", "/bytes/12", "test", b),
            ("GET", "/bytes/123", "test", a),
            ("GET", "/bytes/2", "test", a),
            ("POST", "/inspect", "test", b),
            ("GET", "/inspect", "test", a),
            ("PUT", "/inspect", "test", a),
            ("GET", "/headers?X-A=1", "test", b),
            ("HEAD", "/headers?X-A=1", "test", b),
            ("POST", "/headers?X-A=1", "test", a),
            ("GET", "/bytes/5", "test", b),
            ("GET", "/bytes/55", "test", b),
        ]
        c = self.client(gh.port)
        for method, path, host, expected in cases:
            with self.subTest(method=method, path=path, host=host):
                body = b"p" if method in ("POST", "PUT") else None
                r = c.request(method, path, host=host, body=body)
                self.assertLess(r.status, 300, r.body)
                self.assertEqual(r.header("x-upstream-port"), str(expected.port),
                                 "expected upstream %s" % ("a" if expected is a else "b"))
        c.close()

    def test_method_restricted_route_without_fallback_is_404(self):
        upstream = self.start_upstream()
        cfg = simple_config([upstream.address])
        cfg["routes"][0]["match"] = {"path_prefix": "/", "methods": ["POST"]}
        gh = self.start_gatehouse(cfg)
        c = self.client(gh.port)
        r = c.request("GET", "/inspect")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["error"]["code"], "not_found")
        r = c.request("HEAD", "/inspect")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.body, b"")
        r = c.request("POST", "/inspect", body=b"abc")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["body_length"], 3)
        c.close()

    # --- the headers policy --------------------------------------------------

    def test_headers_policy(self):
        upstream = self.start_upstream()
        cfg = simple_config([upstream.address])
        cfg["routes"][0]["policies"] = [{"headers": {
            "request": {
                "remove": ["X-Remove-Me"],
                "set": {"X-Env": "prod"},
                "add": {"X-Added": "one"},
            },
            "response": {
                "remove": ["X-Drop"],
                "set": {"Cache-Control": "no-store"},
            },
        }}]
        gh = self.start_gatehouse(cfg)
        c = self.client(gh.port)
        r = c.request("GET", "/inspect", headers={
            "X-Remove-Me": "1", "X-Env": "dev", "X-Added": "zero", "X-Other": "o"})
        self.assertEqual(r.status, 200)
        info = r.json()
        self.assertEqual(seen(info, "x-remove-me"), [])
        self.assertEqual(seen(info, "x-env"), ["prod"])
        self.assertEqual(seen(info, "x-added"), ["zero", "one"])
        self.assertEqual(seen(info, "x-other"), ["o"])
        self.assertEqual(r.header_all("cache-control"), ["no-store"])

        r = c.request("GET", "/headers?X-Drop=1&Cache-Control=public&X-Stay=2")
        self.assertEqual(r.status, 200)
        self.assertIsNone(r.header("x-drop"))
        self.assertEqual(r.header_all("cache-control"), ["no-store"])
        self.assertEqual(r.header("x-stay"), "2")
        c.close()


if __name__ == "__main__":
    unittest.main()
