"""Interim (1xx) responses through the real binary: 102 and 103 from the
upstream reach HTTP/1.1 clients before the final response (RFC 9110
§15.2), with hop-by-hop fields removed and Via added; HTTP/1.0 clients and
100 Continue (which Gatehouse answers itself) get none; the cache stores
only the final response."""

import time

from harness import GatehouseTestCase, RawClient, simple_config
from raw_upstream import RawUpstream


class InterimUpstream(RawUpstream):
    """Answers every request with the interim responses given (each a bytes
    head, sent with `gap` seconds before it) and then `200 ok` with
    `Cache-Control: max-age=60`. Counts requests."""

    def __init__(self, interims, gap=0.0):
        self.interims = interims
        self.gap = gap
        self.count = 0
        super().__init__()

    def answer(self, conn, number, method, path):
        with self.lock:
            self.count += 1
        out = b""
        for head in self.interims:
            if self.gap:
                conn.sendall(out)
                out = b""
                time.sleep(self.gap)
            out += head
        out += b"HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 2\r\n\r\nok"
        conn.sendall(out)


EARLY_HINTS = (b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n"
               b"Connection: x-hop\r\nX-Hop: 1\r\nX-Hint: yes\r\n\r\n")
PROCESSING = b"HTTP/1.1 102 Processing\r\n\r\n"
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class InterimResponsesTest(GatehouseTestCase):

    def start(self, interims, gap=0.0, policies=None):
        self.up = InterimUpstream(interims, gap)
        self.addCleanup(self.up.close)
        cfg = simple_config([self.up.address])
        if policies:
            cfg["routes"][0]["policies"] = policies
        self.gh = self.start_gatehouse(cfg)
        c = RawClient(self.gh.port)
        self.addCleanup(c.close)
        return c

    def test_early_hints_come_before_the_final_response(self):
        c = self.start([EARLY_HINTS])
        c.send(b"GET /a HTTP/1.1\r\nHost: test\r\n\r\n")
        hints = c.read_response()
        self.assertEqual((hints.status, hints.reason), (103, "Early Hints"))
        self.assertEqual(hints.header("Link"), "</style.css>; rel=preload; as=style")
        self.assertEqual(hints.header("X-Hint"), "yes")
        self.assertIsNone(hints.header("X-Hop"))  # named in its Connection: hop-by-hop
        self.assertIsNone(hints.header("Connection"))
        self.assertIn("gatehouse", hints.header("Via"))
        final = c.read_response()
        self.assertEqual((final.status, final.body), (200, b"ok"))
        self.assertIsNone(final.header("Link"))
        self.assertIsNone(final.header("X-Hint"))
        # The connection goes on: the next exchange is whole too.
        c.send(b"GET /b HTTP/1.1\r\nHost: test\r\n\r\n")
        self.assertEqual(c.read_response().status, 103)
        self.assertEqual(c.read_response().body, b"ok")
        self.assertEqual(c.buf, b"")

    def test_several_interims_in_order_in_one_read_or_apart(self):
        for gap in (0.0, 0.2):
            with self.subTest(gap=gap):
                c = self.start([PROCESSING, EARLY_HINTS], gap=gap)
                c.send(b"GET /a HTTP/1.1\r\nHost: test\r\n\r\n")
                self.assertEqual(c.read_response().status, 102)
                self.assertEqual(c.read_response().status, 103)
                self.assertEqual(c.read_response().body, b"ok")

    def test_an_http10_client_gets_the_final_response_only(self):
        c = self.start([PROCESSING, EARLY_HINTS])
        c.send(b"GET /a HTTP/1.0\r\nHost: test\r\n\r\n")
        final = c.read_response()
        self.assertEqual((final.status, final.body), (200, b"ok"))

    def test_100_continue_from_the_upstream_is_not_forwarded(self):
        c = self.start([CONTINUE, EARLY_HINTS])
        c.send(b"GET /a HTTP/1.1\r\nHost: test\r\n\r\n")
        self.assertEqual(c.read_response().status, 103)
        self.assertEqual(c.read_response().status, 200)

    def test_the_cache_stores_the_final_response_only(self):
        c = self.start([EARLY_HINTS], policies=[{"cache": {}}])
        c.send(b"GET /a HTTP/1.1\r\nHost: test\r\n\r\n")
        self.assertEqual(c.read_response().status, 103)
        stored = c.read_response()
        self.assertIn("stored", stored.header("Cache-Status"))
        c.send(b"GET /a HTTP/1.1\r\nHost: test\r\n\r\n")
        hit = c.read_response()
        self.assertEqual((hit.status, hit.body), (200, b"ok"))  # no interim: nothing went upstream
        self.assertIn("hit", hit.header("Cache-Status"))
        self.assertIsNone(hit.header("Link"))
        self.assertIsNone(hit.header("X-Hint"))
        self.assertEqual(self.up.count, 1)


if __name__ == "__main__":
    import unittest
    unittest.main()
