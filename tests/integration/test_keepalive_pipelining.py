"""Connection management through the real binaries: client keep-alive,
upstream connection pooling, pipelining, HTTP/1.0, Connection: close and
round-robin balancing."""

import unittest

from harness import GatehouseTestCase, RawClient, simple_config


class KeepAlivePipeliningTest(GatehouseTestCase):

    def client(self, port, timeout=10.0):
        """A RawClient closed when the test ends, passed or not."""
        c = RawClient(port, timeout)
        self.addCleanup(c.close)
        return c

    def start_simple(self, upstreams=1):
        targets = [self.start_upstream() for _ in range(upstreams)]
        gh = self.start_gatehouse(simple_config([u.address for u in targets]))
        return targets, gh

    def test_sequential_requests_share_one_upstream_connection(self):
        _, gh = self.start_simple()
        c = self.client(gh.port)
        connections, counts = [], []
        for i in range(5):
            r = c.request("GET", "/bytes/%d" % (10 + i))
            self.assertEqual(r.status, 200)
            self.assertEqual(r.body, b"x" * (10 + i))
            self.assertNotIn("close", (r.header("connection") or "").lower())
            connections.append(r.header("x-upstream-connection"))
            counts.append(r.header("x-upstream-request"))
        c.close()
        self.assertIsNotNone(connections[0])
        self.assertEqual(len(set(connections)), 1, connections)
        self.assertEqual(counts, ["1", "2", "3", "4", "5"])

    def test_pooled_upstream_connection_reused_across_client_connections(self):
        _, gh = self.start_simple()
        seen = []
        for _ in range(3):
            c = self.client(gh.port)
            r = c.request("GET", "/bytes/4")
            self.assertEqual(r.status, 200)
            seen.append((r.header("x-upstream-connection"), r.header("x-upstream-request")))
            c.close()
        self.assertEqual(len({conn for conn, _ in seen}), 1, seen)
        self.assertEqual([n for _, n in seen], ["1", "2", "3"])

    def test_pipelined_requests_answered_in_order(self):
        _, gh = self.start_simple()
        c = self.client(gh.port)
        c.send("GET /delay/200 HTTP/1.1\r\nHost: test\r\nX-Request-Id: p1\r\n\r\n"
               "GET /bytes/10 HTTP/1.1\r\nHost: test\r\nX-Request-Id: p2\r\n\r\n"
               "GET /status/201 HTTP/1.1\r\nHost: test\r\nX-Request-Id: p3\r\n\r\n")
        r1 = c.read_response()
        r2 = c.read_response()
        r3 = c.read_response()
        self.assertEqual((r1.status, r2.status, r3.status), (200, 200, 201))
        self.assertEqual([r.header("x-request-id") for r in (r1, r2, r3)], ["p1", "p2", "p3"])
        self.assertEqual(r1.json(), {"delayed_ms": 200})
        self.assertEqual(r2.body, b"x" * 10)
        self.assertEqual(r3.json(), {"status": 201})
        # Still usable, and nothing extra was sent.
        self.assertEqual(c.buf, b"")
        r4 = c.request("GET", "/bytes/1")
        self.assertEqual(r4.body, b"x")
        c.close()

    def test_pipelined_request_after_post_with_body(self):
        _, gh = self.start_simple()
        c = self.client(gh.port)
        c.send("POST /inspect HTTP/1.1\r\nHost: test\r\nContent-Length: 11\r\n\r\nhello world"
               "POST /inspect HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
               "3\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n"
               "GET /bytes/7 HTTP/1.1\r\nHost: test\r\n\r\n")
        r1 = c.read_response()
        r2 = c.read_response()
        r3 = c.read_response()
        self.assertEqual((r1.status, r2.status, r3.status), (200, 200, 200))
        self.assertEqual(r1.json()["body_length"], 11)
        self.assertEqual(r1.json()["method"], "POST")
        self.assertEqual(r2.json()["body_length"], 5)
        self.assertEqual(r3.body, b"x" * 7)
        self.assertFalse(c.is_closed(timeout=0.3))
        c.close()

    def test_many_pipelined_requests_beyond_one_read(self):
        # About 20 KiB of pipelined heads: more than one read of the proxy's
        # buffer, so heads are split across reads.
        _, gh = self.start_simple()
        c = self.client(gh.port)
        n = 60
        c.send("".join("GET /bytes/%d HTTP/1.1\r\nHost: test\r\nX-Pad: %s\r\n\r\n" % (i, "p" * 300)
                       for i in range(n)))
        for i in range(n):
            r = c.read_response()
            self.assertEqual(r.status, 200)
            self.assertEqual(r.body, b"x" * i)
        self.assertEqual(c.buf, b"")
        c.close()

    def test_thousands_of_pipelined_answers_from_the_cache(self):
        # Answers from the cache are written within the read that parsed
        # their requests: each write the socket takes at once completes once
        # that handler is over, and the next pipelined request is served from
        # there, in a loop, not by calling deeper. Thousands in one send must
        # all come back, in order, with nothing left over (and no crash).
        upstream = self.start_upstream()
        cfg = simple_config([upstream.address])
        cfg["routes"][0]["policies"] = [{"cache": {"default_ttl": "60s"}}]
        gh = self.start_gatehouse(cfg)
        c = self.client(gh.port, timeout=30.0)
        c.send("GET /bytes/3 HTTP/1.1\r\nHost: test\r\n\r\n")
        self.assertEqual(c.read_response().body, b"xxx")
        n = 3000
        c.send("".join("GET /bytes/3 HTTP/1.1\r\nHost: test\r\nX-N: %d\r\n\r\n" % i for i in range(n)))
        for i in range(n):
            r = c.read_response()
            self.assertEqual(r.status, 200, i)
            self.assertEqual(r.body, b"xxx")
            self.assertIn("hit", r.header("cache-status"))
        self.assertEqual(c.buf, b"")
        self.assertFalse(c.is_closed(timeout=0.3))

    def test_http10_response_then_close(self):
        _, gh = self.start_simple()
        c = self.client(gh.port)
        c.send("GET /bytes/10 HTTP/1.0\r\nHost: test\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"x" * 10)
        self.assertNotIn("keep-alive", (r.header("connection") or "").lower())
        self.assertTrue(c.is_closed())
        c.close()

    def test_http10_keep_alive_stays_open(self):
        _, gh = self.start_simple()
        c = self.client(gh.port)
        for n in (10, 20):
            c.send("GET /bytes/%d HTTP/1.0\r\nHost: test\r\nConnection: keep-alive\r\n\r\n" % n)
            r = c.read_response()
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header("connection").lower(), "keep-alive")
            self.assertEqual(r.header("content-length"), str(n))
            self.assertEqual(r.body, b"x" * n)
        self.assertFalse(c.is_closed(timeout=0.3))
        c.close()

    def test_http10_keep_alive_without_length_closes(self):
        # A body that can only be delimited by the close cannot keep a 1.0
        # connection alive, whatever the client asked for.
        _, gh = self.start_simple()
        c = self.client(gh.port)
        c.send("GET /chunked?n=3&size=10 HTTP/1.0\r\nHost: test\r\nConnection: keep-alive\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.status, 200)
        self.assertIsNone(r.header("transfer-encoding"))
        self.assertNotIn("keep-alive", (r.header("connection") or "").lower())
        self.assertEqual(r.body, b"y" * 30)
        c.close()

    def test_client_connection_close(self):
        _, gh = self.start_simple()
        c = self.client(gh.port)
        r = c.request("GET", "/bytes/10", headers={"Connection": "close"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"x" * 10)
        self.assertEqual(r.header("connection").lower(), "close")
        self.assertTrue(c.is_closed())
        c.close()

    def test_connection_close_after_pipelined_requests(self):
        # Requests pipelined after one with Connection: close are not served.
        _, gh = self.start_simple()
        c = self.client(gh.port)
        c.send("GET /bytes/1 HTTP/1.1\r\nHost: test\r\n\r\n"
               "GET /bytes/2 HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
               "GET /bytes/3 HTTP/1.1\r\nHost: test\r\n\r\n")
        r1 = c.read_response()
        r2 = c.read_response()
        self.assertEqual((r1.body, r2.body), (b"x", b"xx"))
        self.assertEqual(r2.header("connection").lower(), "close")
        self.assertTrue(c.is_closed())
        self.assertEqual(c.buf, b"")
        c.close()

    def test_round_robin_over_two_upstreams(self):
        (a, b), gh = self.start_simple(upstreams=2)
        ports = []
        for _ in range(4):
            c = self.client(gh.port)
            r = c.request("GET", "/bytes/1")
            self.assertEqual(r.status, 200)
            ports.append(r.header("x-upstream-port"))
            c.close()
        self.assertEqual(set(ports), {str(a.port), str(b.port)}, ports)
        self.assertNotEqual(ports[0], ports[1])
        self.assertEqual(ports[0], ports[2])
        self.assertEqual(ports[1], ports[3])

    def test_round_robin_on_one_client_connection(self):
        (a, b), gh = self.start_simple(upstreams=2)
        c = self.client(gh.port)
        ports = [c.request("GET", "/bytes/1").header("x-upstream-port") for _ in range(4)]
        c.close()
        self.assertEqual(set(ports), {str(a.port), str(b.port)}, ports)
        self.assertEqual(ports[0], ports[2])
        self.assertEqual(ports[1], ports[3])
        self.assertNotEqual(ports[0], ports[1])


if __name__ == "__main__":
    unittest.main()
