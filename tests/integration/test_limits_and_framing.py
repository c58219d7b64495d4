"""Listener limits (header size, URI size, header and idle timeouts) and the
rejection of ambiguous or malformed request framing, driven over raw sockets.

Every rejected request must be answered by Gatehouse itself (a JSON error,
`Connection: close`, then the connection closes) and must never reach the
upstream: the upstream's view is checked through Gatehouse's own metrics
(no upstream response completed, no 2xx on the route) and through the
upstream's per-connection request counter on a control request afterwards.
"""

import socket
import time
import unittest

from harness import SLOW, GatehouseTestCase, RawClient, simple_config


def read_until_close(client, timeout=5.0):
    """Everything the peer sends until it closes; (bytes, closed)."""
    client.sock.settimeout(timeout * SLOW)
    data = client.buf
    client.buf = b""
    try:
        while True:
            chunk = client.sock.recv(65536)
            if not chunk:
                return data, True
            data += chunk
    except (socket.timeout, TimeoutError):
        return data, False
    except ConnectionResetError:
        return data, True


class LimitsAndFramingTest(GatehouseTestCase):

    def start(self, **listener_options):
        self.upstream = self.start_upstream()
        cfg = simple_config([self.upstream.address])
        cfg["listeners"][0].update(listener_options)
        self.gh = self.start_gatehouse(cfg)
        return self.gh

    # --- helpers -------------------------------------------------------------

    def assert_json_error(self, resp, status, code):
        self.assertEqual(resp.status, status, resp.raw_head)
        self.assertTrue((resp.header("content-type") or "").startswith("application/json"),
                        resp.raw_head)
        body = resp.json()
        self.assertEqual(body["error"]["code"], code, body)
        self.assertTrue(body["error"]["message"], body)
        request_id = resp.header("x-request-id")
        self.assertTrue(request_id, resp.raw_head)
        self.assertEqual(body["error"]["request_id"], request_id)

    def assert_rejected_and_closed(self, raw, status, code, name=""):
        """Sends `raw` on a new connection: exactly one error response, then EOF."""
        c = RawClient(self.gh.port)
        try:
            c.send(raw)
            resp = c.read_response()
            self.assert_json_error(resp, status, code)
            self.assertEqual((resp.header("connection") or "").lower(), "close", resp.raw_head)
            rest, closed = read_until_close(c)
            self.assertTrue(closed, "%s: connection not closed after the error" % name)
            self.assertEqual(rest, b"", "%s: bytes after the error response: %r" % (name, rest))
            return resp
        finally:
            c.close()

    def upstream_responses(self):
        """Upstream responses Gatehouse completed (0 when none yet)."""
        return self.gh.metric("gatehouse_upstream_duration_seconds_count", upstream="app") or 0

    def route_2xx(self):
        """2xx answers on route `all`, whatever the method."""
        _, text = self.gh.admin("/metrics")
        total = 0.0
        for line in text.splitlines():
            if (line.startswith("gatehouse_requests_total{") and 'route="all"' in line
                    and 'status_class="2xx"' in line):
                total += float(line.rpartition(" ")[2])
        return total

    def assert_nothing_forwarded(self, name="", before=(0, 0)):
        """No upstream response and no 2xx since `before` (a snapshot())."""
        self.assertEqual(self.upstream_responses(), before[0],
                         "%s: a request reached the upstream" % name)
        self.assertEqual(self.route_2xx(), before[1], "%s: a request was answered 2xx" % name)

    def snapshot(self):
        return (self.upstream_responses(), self.route_2xx())

    def assert_upstream_untouched(self):
        """A control request: the upstream serves its first request on that
        connection, and it is the first upstream response Gatehouse saw."""
        c = RawClient(self.gh.port)
        try:
            resp = c.request("GET", "/inspect")
        finally:
            c.close()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.header("x-upstream-request"), "1", resp.raw_head)
        self.assertEqual(self.upstream_responses(), 1)
        self.assertEqual(self.route_2xx(), 1)

    # --- header section size -------------------------------------------------

    def test_header_section_over_max_header_size_is_431(self):
        self.start(max_header_size="4KiB")
        # Just under the limit passes (so the limit, not something else, decides).
        c = RawClient(self.gh.port)
        resp = c.request("GET", "/inspect", headers={"X-Pad": "a" * 3000})
        c.close()
        self.assertEqual(resp.status, 200)

        big = ("GET /inspect HTTP/1.1\r\nHost: test\r\nX-Big: %s\r\n\r\n" % ("a" * 5120)).encode()
        self.assert_rejected_and_closed(big, 431, "header_fields_too_large", "one big header")

        # The same head in small pieces: the limit counts across reads.
        c = RawClient(self.gh.port)
        try:
            for i in range(0, len(big), 200):
                c.send(big[i:i + 200])
        except (BrokenPipeError, ConnectionResetError):
            pass  # rejected before the end was sent
        resp = c.read_response()
        self.assert_json_error(resp, 431, "header_fields_too_large")
        self.assertTrue(c.is_closed())
        c.close()

        many = "GET /inspect HTTP/1.1\r\nHost: test\r\n"
        many += "".join("X-H%03d: %s\r\n" % (i, "b" * 40) for i in range(120))  # ~6 KiB
        self.assert_rejected_and_closed((many + "\r\n").encode(), 431, "header_fields_too_large",
                                        "many headers")
        self.assertEqual(self.upstream_responses(), 1)  # only the first request

    def test_default_header_limit_and_heads_spanning_many_reads(self):
        # 32 KiB by default; a head larger than one read buffer is reassembled
        # intact, whether it arrives at once or in small pieces.
        self.start()
        value = "".join(chr(ord("a") + i % 26) for i in range(30000))
        c = RawClient(self.gh.port)
        resp = c.request("GET", "/inspect", headers={"X-Big": value})
        c.close()
        self.assertEqual(resp.status, 200)
        seen = dict((k.lower(), v) for k, v in resp.json()["headers"])
        self.assertEqual(seen["x-big"], value)

        raw = ("GET /inspect HTTP/1.1\r\nHost: test\r\nX-Big: %s\r\n\r\n" % value).encode()
        c = RawClient(self.gh.port)
        for i in range(0, len(raw), 4000):
            c.send(raw[i:i + 4000])
            time.sleep(0.005)
        resp = c.read_response()
        c.close()
        self.assertEqual(resp.status, 200)
        self.assertEqual(dict((k.lower(), v) for k, v in resp.json()["headers"])["x-big"], value)

        too_big = ("GET /inspect HTTP/1.1\r\nHost: test\r\nX-Big: %s\r\n\r\n" % ("a" * 33000)).encode()
        self.assert_rejected_and_closed(too_big, 431, "header_fields_too_large")

    def test_request_target_over_max_uri_size_is_414(self):
        self.start(max_uri_size="1KiB")
        c = RawClient(self.gh.port)
        resp = c.request("GET", "/inspect?pad=" + "x" * 900)
        c.close()
        self.assertEqual(resp.status, 200)

        raw = ("GET /inspect?pad=%s HTTP/1.1\r\nHost: test\r\n\r\n" % ("x" * 1100)).encode()
        self.assert_rejected_and_closed(raw, 414, "uri_too_long")
        self.assertEqual(self.upstream_responses(), 1)

    # --- timeouts ------------------------------------------------------------

    def test_partial_head_times_out_with_408(self):
        self.start(header_timeout="1s")
        c = RawClient(self.gh.port)
        start = time.monotonic()
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\n")
        resp = c.read_response()
        elapsed = time.monotonic() - start
        self.assert_json_error(resp, 408, "request_timeout")
        self.assertEqual((resp.header("connection") or "").lower(), "close")
        self.assertGreaterEqual(elapsed, 0.8)
        self.assertLess(elapsed, 3.0 * SLOW)
        rest, closed = read_until_close(c)
        self.assertTrue(closed)
        self.assertEqual(rest, b"")
        c.close()
        self.assert_nothing_forwarded()

    def test_header_timeout_covers_the_whole_head_not_each_read(self):
        # A client trickling one byte at a time (slowloris) still gets 408
        # about header_timeout after the head began.
        self.start(header_timeout="1s")
        c = RawClient(self.gh.port)
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        start = time.monotonic()
        got = b""
        c.sock.settimeout(0.2)
        while time.monotonic() - start < 4.0 * SLOW:
            try:
                c.sock.sendall(b"a")
            except OSError:
                break
            try:
                chunk = c.sock.recv(65536)
                if not chunk:
                    break
                got += chunk
                if b"\r\n\r\n" in got:
                    break
            except (socket.timeout, TimeoutError):
                pass
            except ConnectionResetError:
                break
        elapsed = time.monotonic() - start
        self.assertTrue(got.startswith(b"HTTP/1.1 408 "), got[:200])
        self.assertLess(elapsed, 2.5 * SLOW)
        c.close()

    def test_idle_keep_alive_connection_closed_silently_after_idle_timeout(self):
        self.start(idle_timeout="1s")
        c = RawClient(self.gh.port)
        resp = c.request("GET", "/bytes/10")
        self.assertEqual(resp.status, 200)
        self.assertNotEqual((resp.header("connection") or "").lower(), "close")
        start = time.monotonic()
        rest, closed = read_until_close(c, timeout=5.0)
        elapsed = time.monotonic() - start
        self.assertTrue(closed, "idle connection not closed")
        self.assertEqual(rest, b"", "an idle close must not send a response")
        self.assertGreaterEqual(elapsed, 0.8)
        self.assertLess(elapsed, 3.0 * SLOW)
        c.close()

    def test_connection_within_idle_timeout_is_reused(self):
        self.start(idle_timeout="2s")
        c = RawClient(self.gh.port)
        self.assertEqual(c.request("GET", "/bytes/1").status, 200)
        time.sleep(0.5)
        self.assertEqual(c.request("GET", "/bytes/1").status, 200)
        c.close()

    # --- ambiguous and malformed framing --------------------------------------

    BAD_REQUESTS = [
        ("CL and TE chunked",
         b"POST /inspect HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("TE chunked and CL",
         b"POST /inspect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
         b"Content-Length: 5\r\n\r\n0\r\n\r\n"),
        ("two different Content-Length",
         b"POST /inspect HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
        ("Content-Length list",
         b"POST /inspect HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\nab"),
        ("Content-Length not a number",
         b"POST /inspect HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"),
        ("Content-Length with a sign",
         b"POST /inspect HTTP/1.1\r\nHost: x\r\nContent-Length: +2\r\n\r\nab"),
        ("bad chunk size",
         b"POST /inspect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n"),
        ("chunk size overflow",
         b"POST /inspect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"fffffffffffffffff1\r\nab\r\n0\r\n\r\n"),
        ("obs-fold continuation line",
         b"GET /inspect HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n  b\r\n\r\n"),
        ("bare CR in a header value",
         b"GET /inspect HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n"),
        ("bare LF line endings",
         b"GET /inspect HTTP/1.1\nHost: x\n\n"),
        ("bare LF after a header",
         b"GET /inspect HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n"),
        ("Transfer-Encoding gzip only",
         b"POST /inspect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc"),
        ("Transfer-Encoding chunked twice",
         b"POST /inspect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("Transfer-Encoding chunked then gzip",
         b"POST /inspect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"),
        ("missing Host on HTTP/1.1",
         b"GET /inspect HTTP/1.1\r\nX-A: b\r\n\r\n"),
        ("two Host headers",
         b"GET /inspect HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        ("NUL in a header value",
         b"GET /inspect HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n"),
        ("whitespace between field name and colon",
         b"GET /inspect HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n"),
        ("header line without colon",
         b"GET /inspect HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n"),
    ]

    def test_malformed_framing_is_rejected_and_never_forwarded(self):
        self.start()
        failed = False
        for name, raw in self.BAD_REQUESTS:
            with self.subTest(name):
                before = self.snapshot()
                try:
                    self.assert_rejected_and_closed(raw, 400, "bad_request", name)
                finally:
                    after = self.snapshot()
                    failed = failed or after != before
                self.assert_nothing_forwarded(name, before)
        if not failed:
            self.assert_upstream_untouched()

    def test_http2_request_line_is_rejected(self):
        self.start()
        c = RawClient(self.gh.port)
        c.send(b"GET /inspect HTTP/2.0\r\nHost: x\r\n\r\n")
        resp = c.read_response()
        self.assertIn(resp.status, (400, 505), resp.raw_head)
        self.assert_json_error(resp, resp.status,
                               "bad_request" if resp.status == 400 else "http_version_not_supported")
        rest, closed = read_until_close(c)
        self.assertTrue(closed)
        self.assertEqual(rest, b"")
        c.close()
        # The HTTP/2 connection preface is not HTTP/1.1 either.
        c = RawClient(self.gh.port)
        c.send(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        resp = c.read_response()
        self.assertIn(resp.status, (400, 505), resp.raw_head)
        rest, closed = read_until_close(c)
        self.assertTrue(closed)
        c.close()
        self.assert_nothing_forwarded()
        self.assert_upstream_untouched()

    def test_http10_without_host_is_accepted(self):
        # Host is required from HTTP/1.1 on only: the check above is not
        # blanket. The request goes upstream as HTTP/1.1, which requires a
        # Host header, so Gatehouse must supply one.
        self.start()
        c = RawClient(self.gh.port)
        c.send(b"GET /inspect HTTP/1.0\r\n\r\n")
        resp = c.read_response()
        c.close()
        self.assertEqual(resp.status, 200, resp.raw_head + resp.body)
        seen = {name.lower(): value for name, value in resp.json()["headers"]}
        self.assertIn("host", seen)
        self.assertTrue(seen["host"])

    def test_cl_te_smuggling_attempt_is_rejected(self):
        self.start()
        smuggled = b"GET /bytes/7 HTTP/1.1\r\nHost: x\r\n\r\n"
        body = b"0\r\n\r\n" + smuggled
        raw = (b"POST /inspect HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n" + body)
        c = RawClient(self.gh.port)
        c.send(raw)
        data, closed = read_until_close(c)
        c.close()
        self.assertTrue(closed)
        self.assertTrue(data.startswith(b"HTTP/1.1 400 "), data[:200])
        self.assertEqual(data.count(b"HTTP/1.1 "), 1, "more than one response: %r" % data)
        self.assert_nothing_forwarded()
        self.assert_upstream_untouched()

    def test_te_cl_smuggling_attempt_is_rejected(self):
        self.start()
        smuggled = b"GET /bytes/7 HTTP/1.1\r\nHost: x\r\n\r\n"
        chunk = b"%x\r\n" % len(smuggled) + smuggled + b"\r\n0\r\n\r\n"
        raw = (b"POST /inspect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
               b"Content-Length: 3\r\n\r\n" + chunk)
        c = RawClient(self.gh.port)
        c.send(raw)
        data, closed = read_until_close(c)
        c.close()
        self.assertTrue(closed)
        self.assertTrue(data.startswith(b"HTTP/1.1 400 "), data[:200])
        self.assertEqual(data.count(b"HTTP/1.1 "), 1, "more than one response: %r" % data)
        self.assert_nothing_forwarded()
        self.assert_upstream_untouched()

    def test_error_after_a_good_request_on_the_same_connection(self):
        # A keep-alive connection that sends a good request and then a bad
        # one gets the good response, the 400, and a close.
        self.start()
        c = RawClient(self.gh.port)
        good = c.request("GET", "/bytes/3")
        self.assertEqual(good.status, 200)
        c.send(b"POST /inspect HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
        resp = c.read_response()
        self.assert_json_error(resp, 400, "bad_request")
        # Each exchange has its own request id, even one that failed to parse.
        self.assertNotEqual(resp.header("x-request-id"), good.header("x-request-id"))
        rest, closed = read_until_close(c)
        c.close()
        self.assertTrue(closed)
        self.assertEqual(rest, b"")
        self.assertEqual(self.upstream_responses(), 1)


if __name__ == "__main__":
    unittest.main()
