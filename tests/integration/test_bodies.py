"""Request and response bodies through the real binaries: chunked in both
directions, large bodies, close-delimited upstream bodies, Expect:
100-continue, max_body_size and streaming of slow bodies."""

import hashlib
import os
import shutil
import tempfile
import time
import unittest

from harness import SLOW, GatehouseTestCase, RawClient, curl, simple_config


def seen(info, name):
    """Values of header `name` in an /inspect JSON, in order (case-insensitive)."""
    return [v for n, v in info["headers"] if n.lower() == name.lower()]


def chunked(*pieces, trailers=""):
    out = b""
    for p in pieces:
        out += b"%x\r\n" % len(p) + p + b"\r\n"
    return out + b"0\r\n" + trailers.encode() + b"\r\n"


def sha(data):
    return hashlib.sha256(data).hexdigest()


def file_sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class BodiesTest(GatehouseTestCase):

    def client(self, port, timeout=10.0):
        """A RawClient closed when the test ends, passed or not."""
        c = RawClient(port, timeout)
        self.addCleanup(c.close)
        return c

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="gatehouse-bodies-")

    def tearDown(self):
        super().tearDown()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start_simple(self, upstream_options=None, **route_options):
        upstream = self.start_upstream()
        cfg = simple_config([upstream.address], **(upstream_options or {}))
        cfg["routes"][0].update(route_options)
        return upstream, self.start_gatehouse(cfg)

    # --- chunked requests -------------------------------------------------------

    def test_chunked_request_with_extensions(self):
        _, gh = self.start_simple()
        c = self.client(gh.port)
        body = b"hello world, chunked! 0123456789"
        c.send(b"POST /inspect HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n")
        c.send(b"5;ext=1\r\nhello\r\n")
        c.send(b"7;flag;name=value\r\n world,\r\n")
        c.send(b"9;q=\"quoted; value\"\r\n chunked!\r\n")
        c.send(b"000B\r\n 0123456789\r\n")
        c.send(b"0;last=1\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.status, 200, r.body)
        info = r.json()
        self.assertEqual(info["body_length"], len(body))
        self.assertEqual(info["body_sha256"], sha(body))
        self.assertEqual(seen(info, "transfer-encoding"), ["chunked"])
        self.assertEqual(seen(info, "content-length"), [])
        # The connection is usable afterwards.
        r = c.request("GET", "/bytes/3")
        self.assertEqual(r.body, b"xxx")
        c.close()

    def test_chunked_request_with_trailers(self):
        _, gh = self.start_simple()
        c = self.client(gh.port)
        pieces = [os.urandom(n) for n in (1, 100, 4096, 17)]
        body = b"".join(pieces)
        c.send(b"POST /inspect HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n"
               b"Trailer: X-Checksum\r\n\r\n"
               + chunked(*pieces, trailers="X-Checksum: abc\r\nX-Other: 1\r\n"))
        r = c.read_response()
        self.assertEqual(r.status, 200, r.body)
        info = r.json()
        self.assertEqual(info["body_length"], len(body))
        self.assertEqual(info["body_sha256"], sha(body))
        self.assertEqual(seen(info, "transfer-encoding"), ["chunked"])
        self.assertEqual(seen(info, "content-length"), [])
        # Nothing of the trailer section leaked into the next request.
        r = c.request("GET", "/inspect")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["method"], "GET")
        self.assertEqual(r.json()["body_length"], 0)
        c.close()

    def test_large_chunked_request_sent_in_pieces(self):
        _, gh = self.start_simple()
        c = self.client(gh.port)
        body = os.urandom(300 * 1024)
        c.send(b"POST /inspect HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n")
        for i in range(0, len(body), 7000):
            c.send(chunked(body[i:i + 7000])[:-5])  # without the last chunk
        c.send(b"0\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["body_length"], len(body))
        self.assertEqual(r.json()["body_sha256"], sha(body))
        c.close()

    # --- responses ---------------------------------------------------------------

    def test_chunked_response(self):
        _, gh = self.start_simple()
        c = self.client(gh.port)
        r = c.request("GET", "/chunked?n=5&size=1000")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("transfer-encoding"), "chunked")
        self.assertIsNone(r.header("content-length"))
        self.assertEqual(r.body, b"y" * 5000)
        r = c.request("GET", "/bytes/2")
        self.assertEqual(r.body, b"xx")
        c.close()

    def test_echo_5mib_chunked_both_ways_with_curl(self):
        # A stalled exchange fails in seconds rather than after the default 30 s.
        _, gh = self.start_simple(upstream_options={"timeout": "10s"}, max_body_size="16MiB")
        src = os.path.join(self.tmp, "in.bin")
        dst = os.path.join(self.tmp, "out.bin")
        head = os.path.join(self.tmp, "head.txt")
        with open(src, "wb") as f:
            f.write(os.urandom(5 * 1024 * 1024))
        p = curl("--data-binary", "@" + src, "-H", "Transfer-Encoding: chunked",
                 "-H", "Content-Type: application/octet-stream",
                 "-o", dst, "-D", head, "-w", "%{http_code}", gh.url("/echo?chunked=1"),
                 timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, b"200")
        with open(head, "rb") as f:
            self.assertIn(b"transfer-encoding: chunked", f.read().lower())
        self.assertEqual(os.path.getsize(dst), 5 * 1024 * 1024)
        self.assertEqual(file_sha(dst), file_sha(src))

    def test_download_20mib(self):
        _, gh = self.start_simple()
        n = 20 * 1024 * 1024
        dst = os.path.join(self.tmp, "out.bin")
        head = os.path.join(self.tmp, "head.txt")
        p = curl("-o", dst, "-D", head, "-w", "%{http_code} %{size_download}",
                 gh.url("/bytes/%d" % n), timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, b"200 %d" % n)
        with open(head, "rb") as f:
            self.assertIn(b"content-length: %d" % n, f.read().lower())
        self.assertEqual(file_sha(dst), sha(b"x" * n))

    def test_close_delimited_body_rechunked_for_http11(self):
        _, gh = self.start_simple()
        c = self.client(gh.port)
        for _ in range(2):
            r = c.request("GET", "/until-close?size=3000")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header("transfer-encoding"), "chunked")
            self.assertIsNone(r.header("content-length"))
            self.assertNotIn("close", (r.header("connection") or "").lower())
            self.assertEqual(r.body, b"x" * 3000)
        self.assertFalse(c.is_closed(timeout=0.3))
        c.close()

    def test_close_delimited_body_passed_to_http10(self):
        _, gh = self.start_simple()
        c = self.client(gh.port)
        c.send("GET /until-close?size=3000 HTTP/1.0\r\nHost: test\r\n\r\n")
        r = c.read_response()  # reads to the close: it must come
        self.assertEqual(r.status, 200)
        self.assertIsNone(r.header("transfer-encoding"))
        self.assertIsNone(r.header("content-length"))
        self.assertEqual(r.body, b"x" * 3000)
        c.close()

    # --- Expect: 100-continue ------------------------------------------------------

    def test_expect_100_continue(self):
        _, gh = self.start_simple()
        c = self.client(gh.port)
        body = os.urandom(5000)
        c.send(b"POST /inspect HTTP/1.1\r\nHost: test\r\nContent-Length: 5000\r\n"
               b"Expect: 100-continue\r\n\r\n")
        interim = c.read_response()
        self.assertEqual(interim.status, 100)
        self.assertEqual(interim.raw_head, b"HTTP/1.1 100 Continue")
        c.send(body)
        r = c.read_response()
        self.assertEqual(r.status, 200, r.body)
        info = r.json()
        self.assertEqual(info["body_length"], 5000)
        self.assertEqual(info["body_sha256"], sha(body))
        self.assertEqual(seen(info, "expect"), [])
        # The next request on the connection gets no stray 100.
        r = c.request("POST", "/inspect", body=b"abc")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["body_length"], 3)
        c.close()

    def test_expect_100_continue_chunked(self):
        _, gh = self.start_simple()
        c = self.client(gh.port)
        c.send(b"POST /inspect HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n"
               b"Expect: 100-continue\r\n\r\n")
        self.assertEqual(c.read_response().status, 100)
        c.send(chunked(b"abc", b"defg"))
        r = c.read_response()
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["body_length"], 7)
        self.assertEqual(r.json()["body_sha256"], sha(b"abcdefg"))
        self.assertEqual(seen(r.json(), "expect"), [])
        c.close()

    # --- max_body_size ---------------------------------------------------------------

    def assert_413_and_closed(self, c):
        r = c.read_response()
        self.assertEqual(r.status, 413, r.body)
        self.assertEqual(r.json()["error"]["code"], "content_too_large")
        self.assertEqual(r.json()["error"]["request_id"], r.header("x-request-id"))
        self.assertEqual((r.header("connection") or "").lower(), "close")
        self.assertTrue(c.is_closed(timeout=5))

    def test_content_length_over_limit_413(self):
        _, gh = self.start_simple(max_body_size="1KiB")
        c = self.client(gh.port)
        c.send(b"POST /inspect HTTP/1.1\r\nHost: test\r\nContent-Length: 2048\r\n\r\n"
               + b"b" * 2048)
        self.assert_413_and_closed(c)
        c.close()

    def test_content_length_over_limit_413_before_body(self):
        # Refused on the head alone: the client does not have to send the body.
        _, gh = self.start_simple(max_body_size="1KiB")
        c = self.client(gh.port)
        c.send(b"POST /inspect HTTP/1.1\r\nHost: test\r\nContent-Length: 1025\r\n"
               b"Expect: 100-continue\r\n\r\n")
        self.assert_413_and_closed(c)
        c.close()

    def test_chunked_over_limit_413(self):
        _, gh = self.start_simple(max_body_size="1KiB")
        c = self.client(gh.port)
        c.send(b"POST /inspect HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
               + chunked(b"c" * 1000, b"c" * 1000))
        self.assert_413_and_closed(c)
        c.close()

    def test_chunked_over_limit_413_streamed(self):
        _, gh = self.start_simple(max_body_size="1KiB")
        c = self.client(gh.port)
        c.send(b"POST /inspect HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n")
        c.send(b"200\r\n" + b"c" * 512 + b"\r\n")
        c.send(b"200\r\n" + b"c" * 512 + b"\r\n")
        c.send(b"1\r\nc\r\n")
        c.send(b"0\r\n\r\n")
        self.assert_413_and_closed(c)
        c.close()

    def test_body_of_exactly_the_limit_passes(self):
        _, gh = self.start_simple(max_body_size="1KiB")
        c = self.client(gh.port)
        body = os.urandom(1024)
        r = c.request("POST", "/inspect", body=body)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["body_length"], 1024)
        self.assertEqual(r.json()["body_sha256"], sha(body))
        c.send(b"POST /inspect HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
               + chunked(body[:1000], body[1000:]))
        r = c.read_response()
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["body_length"], 1024)
        self.assertEqual(r.json()["body_sha256"], sha(body))
        c.close()

    # --- streaming --------------------------------------------------------------------

    def test_slow_upstream_body_streams(self):
        _, gh = self.start_simple()
        c = self.client(gh.port, timeout=10)
        start = time.monotonic()
        c.send("GET /slow-body?chunks=5&interval=100 HTTP/1.1\r\nHost: test\r\n\r\n")
        while b"\r\n\r\n" not in c.buf:
            c._fill()
        raw_head, _, c.buf = c.buf.partition(b"\r\n\r\n")
        head_at = time.monotonic() - start
        self.assertIn(b"transfer-encoding: chunked", raw_head.lower())
        size = int(c._line().split(b";")[0], 16)
        self.assertGreater(size, 0)
        first = c._exact(size)
        first_at = time.monotonic() - start
        self.assertTrue(set(first) <= {ord("s")}, first)
        # The upstream sends a 16-byte chunk every 100 ms, the whole body over
        # about 500 ms; its first bytes must not wait for the rest.
        self.assertLess(head_at, 0.3 * SLOW)
        self.assertLess(first_at, 0.45 * SLOW)
        c._line()
        body = first
        while True:
            size = int(c._line().split(b";")[0], 16)
            if size == 0:
                self.assertEqual(c._line(), b"")
                break
            body += c._exact(size)
            c._line()
        total = time.monotonic() - start
        self.assertEqual(body, b"s" * 80)
        # Buffering would deliver every chunk at once, at the end: the first
        # chunk must come well (about 400 ms) before the last one.
        self.assertGreater(total - first_at, 0.25)
        c.close()


if __name__ == "__main__":
    unittest.main()
