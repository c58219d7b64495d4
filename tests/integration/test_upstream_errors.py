"""What clients see when upstreams fail: refused connections, connections
closed or reset without a response, slow responses, unreachable targets,
passive marking of failed targets, and stale pooled connections."""

import signal
import socket
import time
import unittest

from harness import (SLOW, UPSTREAM_BIN, GatehouseTestCase, Process, RawClient, free_port, refused_port,
                     simple_config, wait_for_port)
from raw_upstream import RawUpstream


def dead_address():
    """127.0.0.1:PORT that refuses connections for the whole test run."""
    return "127.0.0.1:%d" % refused_port()


class OkUpstream(RawUpstream):
    """Answers every request with 200 "ok", recording (connection number,
    method, path)."""

    def answer(self, conn, number, method, path):
        self.record(number, method, path)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


class StrayBytesUpstream(OkUpstream):
    """Answers /no-content with a 204 and, a moment later, bytes that belong
    to no response (as an origin that sends a body with a 204 does), and
    anything else as OkUpstream."""

    def answer(self, conn, number, method, path):
        if path != "/no-content":
            super().answer(conn, number, method, path)
            return
        self.record(number, method, path)
        conn.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")
        time.sleep(0.1)
        conn.sendall(b"stray bytes")


class DropsSecondRequestUpstream(RawUpstream):
    """Answers the first request on each connection with 200 and the body it
    got, keeping the connection; reads the second and closes without a
    response, as an origin whose keep-alive timeout fires just as a reused
    connection's request arrives. Records (connection, method, path, body)."""

    def answer_with_body(self, conn, number, method, path, body):
        self.record(number, method, path, body)
        with self.lock:
            first = sum(1 for r in self.requests if r[0] == number) == 1
        if not first:
            return False
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        return True


class UpstreamErrorsTest(GatehouseTestCase):

    def client_through(self, upstream):
        """Gatehouse in front of a RawUpstream, and a client: (upstream, client)."""
        self.addCleanup(upstream.close)
        gh = self.start_gatehouse(simple_config([upstream.address]))
        c = RawClient(gh.port)
        self.addCleanup(c.close)
        return upstream, c

    def get(self, gh, path, headers=None):
        c = RawClient(gh.port)
        try:
            return c.request("GET", path, headers=headers)
        finally:
            c.close()

    def assert_error(self, resp, status, code):
        self.assertEqual(resp.status, status, resp.raw_head)
        self.assertTrue((resp.header("content-type") or "").startswith("application/json"),
                        resp.raw_head)
        body = resp.json()
        self.assertEqual(body["error"]["code"], code, body)
        self.assertTrue(body["error"]["message"])
        request_id = resp.header("x-request-id")
        self.assertTrue(request_id, resp.raw_head)
        self.assertEqual(body["error"]["request_id"], request_id)
        return body

    # --- refused, closed, reset -----------------------------------------------

    def test_refused_connection_is_502(self):
        gh = self.start_gatehouse(simple_config([dead_address()]))
        for _ in range(3):  # a lone target is never skipped: each attempt is 502
            self.assert_error(self.get(gh, "/bytes/1"), 502, "bad_gateway")
        self.assertEqual(gh.metric("gatehouse_upstream_connect_errors_total", upstream="app"), 3)
        self.assertEqual(gh.metric("gatehouse_requests_total", route="all", status_class="5xx"), 3)

    def test_upstream_closing_without_response_is_502(self):
        up = self.start_upstream()
        gh = self.start_gatehouse(simple_config([up.address]))
        self.assert_error(self.get(gh, "/close"), 502, "bad_gateway")
        # The client connection survives a bodiless request's upstream failure.
        c = RawClient(gh.port)
        self.assert_error(c.request("GET", "/close"), 502, "bad_gateway")
        self.assertEqual(c.request("GET", "/bytes/5").body, b"xxxxx")
        c.close()

    def test_upstream_reset_is_502(self):
        up = self.start_upstream()
        gh = self.start_gatehouse(simple_config([up.address]))
        self.assert_error(self.get(gh, "/reset"), 502, "bad_gateway")
        self.assertEqual(self.get(gh, "/bytes/2").status, 200)

    def test_reset_after_pooled_reuse_is_still_502(self):
        # The stale-connection retry must not hide a real failure: /reset on a
        # reused connection is retried once on a fresh one, which fails too.
        up = self.start_upstream()
        gh = self.start_gatehouse(simple_config([up.address]))
        c = RawClient(gh.port)
        self.assertEqual(c.request("GET", "/bytes/1").status, 200)
        self.assert_error(c.request("GET", "/reset"), 502, "bad_gateway")
        c.close()

    # --- timeouts ----------------------------------------------------------------

    def test_slow_response_is_504_after_timeout(self):
        up = self.start_upstream()
        gh = self.start_gatehouse(simple_config([up.address], timeout="500ms"))
        start = time.monotonic()
        resp = self.get(gh, "/delay/3000")
        elapsed = time.monotonic() - start
        self.assert_error(resp, 504, "gateway_timeout")
        self.assertGreaterEqual(elapsed, 0.45)
        self.assertLess(elapsed, 2.0 * SLOW)
        # A response within the timeout is fine.
        self.assertEqual(self.get(gh, "/delay/100").status, 200)

    def test_timeout_after_the_response_started_truncates_it(self):
        # Once the head went out, a status can no longer be sent: the client
        # must see its connection closed without a terminating chunk, never
        # a response that looks complete.
        up = self.start_upstream()
        gh = self.start_gatehouse(simple_config([up.address], timeout="500ms"))
        c = RawClient(gh.port)
        c.send(b"GET /slow-body?chunks=5&interval=1500 HTTP/1.1\r\nHost: t\r\n\r\n")
        start = time.monotonic()
        data = b""
        c.sock.settimeout(5 * SLOW)
        closed = False
        try:
            while True:
                chunk = c.sock.recv(65536)
                if not chunk:
                    closed = True
                    break
                data += chunk
        except (socket.timeout, TimeoutError):
            pass
        except ConnectionResetError:
            closed = True
        c.close()
        self.assertTrue(closed, "connection left open after the upstream timed out")
        self.assertLess(time.monotonic() - start, 3.0 * SLOW)
        self.assertTrue(data.startswith(b"HTTP/1.1 200 "), data[:200])
        self.assertIn(b"transfer-encoding: chunked", data.lower())
        self.assertFalse(data.endswith(b"0\r\n\r\n"), "a truncated body was terminated: %r" % data)
        self.assertEqual(data.count(b"HTTP/1.1 "), 1, "an error was appended: %r" % data)

    def test_upstream_closing_mid_body_truncates_the_response(self):
        # /until-close has no length: the close ends the body, so that one is
        # complete. A declared length cut short is not: use a delay on a
        # chunked body and kill the upstream in the middle.
        up = self.start_upstream()
        gh = self.start_gatehouse(simple_config([up.address]))
        c = RawClient(gh.port)
        c.send(b"GET /slow-body?chunks=10&interval=300 HTTP/1.1\r\nHost: t\r\n\r\n")
        c.sock.settimeout(5 * SLOW)
        data = c.sock.recv(65536)
        self.assertTrue(data.startswith(b"HTTP/1.1 200 "), data[:200])
        up.stop(signal.SIGKILL)
        closed = False
        try:
            while True:
                chunk = c.sock.recv(65536)
                if not chunk:
                    closed = True
                    break
                data += chunk
        except (socket.timeout, TimeoutError):
            pass
        except ConnectionResetError:
            closed = True
        c.close()
        self.assertTrue(closed)
        self.assertFalse(data.endswith(b"0\r\n\r\n"), "a truncated body was terminated: %r" % data)

    def test_connect_timeout_is_504(self):
        # A listening socket whose accept queue is full drops new SYNs on
        # Linux, so a connect to it hangs: the only reliable way to get a
        # connect timeout on loopback.
        blackhole = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        blackhole.bind(("127.0.0.1", 0))
        blackhole.listen(0)
        self.addCleanup(blackhole.close)
        port = blackhole.getsockname()[1]
        fillers = []
        self.addCleanup(lambda: [f.close() for f in fillers])
        full = False
        for _ in range(16):
            f = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            f.settimeout(0.3)
            fillers.append(f)
            try:
                f.connect(("127.0.0.1", port))
            except (socket.timeout, TimeoutError):
                full = True
                break
            except OSError:
                break
        if not full:
            self.skipTest("cannot fill a listen backlog on this system")
        gh = self.start_gatehouse(simple_config(["127.0.0.1:%d" % port], connect_timeout="300ms"))
        start = time.monotonic()
        resp = self.get(gh, "/bytes/1")
        elapsed = time.monotonic() - start
        self.assert_error(resp, 504, "gateway_timeout")
        self.assertGreaterEqual(elapsed, 0.25)
        self.assertLess(elapsed, 2.0 * SLOW)
        self.assertEqual(gh.metric("gatehouse_upstream_connect_errors_total", upstream="app"), 1)

    # --- several targets -------------------------------------------------------------

    def test_all_targets_down_then_503(self):
        gh = self.start_gatehouse(simple_config([dead_address(), dead_address()]))
        self.assert_error(self.get(gh, "/bytes/1"), 502, "bad_gateway")
        self.assertEqual(gh.metric("gatehouse_upstream_connect_errors_total", upstream="app"), 2)
        # Both targets are marked down for fail_timeout (10s by default).
        start = time.monotonic()
        self.assert_error(self.get(gh, "/bytes/1"), 503, "service_unavailable")
        self.assertLess(time.monotonic() - start, 1.0 * SLOW)  # no connect was tried
        self.assertEqual(gh.metric("gatehouse_upstream_connect_errors_total", upstream="app"), 2)

    def test_targets_are_tried_again_after_fail_timeout(self):
        gh = self.start_gatehouse(simple_config([dead_address(), dead_address()],
                                                fail_timeout="1s"))
        self.assert_error(self.get(gh, "/bytes/1"), 502, "bad_gateway")
        self.assert_error(self.get(gh, "/bytes/1"), 503, "service_unavailable")
        time.sleep(1.3)
        self.assert_error(self.get(gh, "/bytes/1"), 502, "bad_gateway")
        self.assertEqual(gh.metric("gatehouse_upstream_connect_errors_total", upstream="app"), 4)

    def test_dead_target_is_skipped_and_live_one_serves(self):
        up = self.start_upstream()
        for order in ("dead first", "live first"):
            with self.subTest(order):
                targets = [dead_address(), up.address]
                if order == "live first":
                    targets.reverse()
                gh = self.start_gatehouse(simple_config(targets))
                for i in range(8):
                    resp = self.get(gh, "/bytes/4")
                    self.assertEqual(resp.status, 200, "request %d: %r" % (i, resp.raw_head))
                    self.assertEqual(resp.header("x-upstream-port"), str(up.port))
                errors = gh.metric("gatehouse_upstream_connect_errors_total", upstream="app")
                self.assertIsNotNone(errors)
                # Tried at most once: afterwards it is marked down for fail_timeout.
                self.assertEqual(errors, 1)
                gh.stop()

    # --- stale pooled connections --------------------------------------------------

    def test_pooled_connection_closed_by_restarted_upstream(self):
        port = free_port()
        args = [UPSTREAM_BIN, "--listen", "127.0.0.1:%d" % port, "--threads", "1"]
        first = Process(args, "upstream")
        self._processes.append(first)
        wait_for_port(port, proc=first.proc)
        gh = self.start_gatehouse(simple_config(["127.0.0.1:%d" % port]))

        c = RawClient(gh.port)
        resp = c.request("GET", "/bytes/3")
        self.assertEqual(resp.status, 200)
        # Gatehouse's probe connection from wait_for_port is not proxied; the
        # first upstream connection serves this first request.
        self.assertEqual(resp.header("x-upstream-request"), "1")
        resp = c.request("GET", "/bytes/3")
        self.assertEqual(resp.header("x-upstream-request"), "2", "the pooled connection was not reused")

        # The upstream restarts: the pooled connection is now closed.
        self.assertEqual(first.stop(), 0)
        second = Process(args, "upstream")
        self._processes.append(second)
        wait_for_port(port, proc=second.proc)

        for i in range(3):
            resp = c.request("GET", "/bytes/3")
            self.assertEqual(resp.status, 200, "request %d after the restart" % i)
            self.assertEqual(resp.body, b"xxx")
        c.close()

    def test_stray_bytes_on_a_pooled_connection_are_not_read_as_a_response(self):
        # Bytes an upstream sent after a complete response (a 204 with a
        # body) wait on the pooled connection; a safe request that reuses it
        # goes again on a fresh connection, an unsafe one gets a 502 (the
        # upstream may have acted on it), and neither gets those bytes.
        up, c = self.client_through(StrayBytesUpstream())
        self.assertEqual(c.request("GET", "/no-content").status, 204)
        time.sleep(0.3)  # the stray bytes arrive; the pool reuses without a probe for 1 s
        resp = c.request("GET", "/ok")
        self.assertEqual((resp.status, resp.body), (200, b"ok"))
        # The stale connection's thread may record the request it also got
        # after the fresh one answered it.
        self.assertEqual(up.recorded(3), [(1, "GET", "/no-content"), (1, "GET", "/ok"), (2, "GET", "/ok")])

        self.assertEqual(c.request("GET", "/no-content").status, 204)
        time.sleep(0.3)
        self.assert_error(c.request("POST", "/ok"), 502, "bad_gateway")
        self.assertEqual(up.recorded(5), [(1, "GET", "/no-content"), (1, "GET", "/ok"), (2, "GET", "/no-content"),
                                          (2, "GET", "/ok"), (2, "POST", "/ok")])

    def test_an_idempotent_request_with_a_body_is_resent_when_a_reused_connection_closes(self):
        # The reused connection closes after taking the request, before any
        # response byte: PUT and DELETE (idempotent) go again, body and all,
        # on a fresh connection, as bodiless requests do; POST gets a 502
        # (the upstream may have acted on it).
        up, c = self.client_through(DropsSecondRequestUpstream())
        resp = c.request("PUT", "/a", body=b"first")
        self.assertEqual((resp.status, resp.body), (200, b"first"))
        resp = c.request("PUT", "/b", body=b"second")
        self.assertEqual((resp.status, resp.body), (200, b"second"))
        self.assertEqual(up.recorded(3, ordered=True), [(1, "PUT", "/a", b"first"), (1, "PUT", "/b", b"second"),
                                          (2, "PUT", "/b", b"second")])

        self.assert_error(c.request("POST", "/c", body=b"third"), 502, "bad_gateway")
        self.assertEqual(up.recorded(4, ordered=True)[3:], [(2, "POST", "/c", b"third")])

        # A chunked body, re-framed as it was sent the first time.
        chunked = {"Transfer-Encoding": "chunked"}
        resp = c.request("DELETE", "/d", headers=chunked, body=b"3\r\none\r\n0\r\n\r\n")
        self.assertEqual((resp.status, resp.body), (200, b"one"))
        resp = c.request("DELETE", "/e", headers=chunked, body=b"3\r\ntwo\r\n5\r\n-more\r\n0\r\n\r\n")
        self.assertEqual((resp.status, resp.body), (200, b"two-more"))
        self.assertEqual(up.recorded(7, ordered=True)[4:], [(3, "DELETE", "/d", b"one"), (3, "DELETE", "/e", b"two-more"),
                                              (4, "DELETE", "/e", b"two-more")])

    def test_a_request_that_cannot_be_resent_reuses_only_a_recently_used_connection(self):
        # An upstream's keep-alive timeout may fire while a request on a
        # long-idle connection is on its way: a POST (not resent) then takes
        # a new connection; a GET (resent if need be) reuses the idle one.
        up, c = self.client_through(OkUpstream())
        self.assertEqual(c.request("POST", "/a", body=b"1").status, 200)
        self.assertEqual(c.request("POST", "/b", body=b"2").status, 200)
        time.sleep(1.3)
        self.assertEqual(c.request("POST", "/c", body=b"3").status, 200)
        self.assertEqual(c.request("GET", "/d").status, 200)
        time.sleep(1.3)
        self.assertEqual(c.request("GET", "/e").status, 200)
        time.sleep(1.3)
        self.assertEqual(c.request("PUT", "/f", body=b"6").status, 200)  # a small PUT can be resent too
        self.assertEqual(up.recorded(6, ordered=True), [(1, "POST", "/a"), (1, "POST", "/b"), (2, "POST", "/c"),
                                                        (2, "GET", "/d"), (2, "GET", "/e"), (2, "PUT", "/f")])

    def test_many_stale_pooled_connections(self):
        # Many pooled connections closed at once: whichever path finds them
        # stale (the idle probe or the retry after a failed reuse), every
        # request must succeed.
        port = free_port()
        args = [UPSTREAM_BIN, "--listen", "127.0.0.1:%d" % port, "--threads", "2"]
        first = Process(args, "upstream")
        self._processes.append(first)
        wait_for_port(port, proc=first.proc)
        gh = self.start_gatehouse(simple_config(["127.0.0.1:%d" % port]))
        clients = [RawClient(gh.port) for _ in range(4)]
        for c in clients:
            c.send("GET /delay/200 HTTP/1.1\r\nHost: t\r\n\r\n")
        for c in clients:
            self.assertEqual(c.read_response().status, 200)
        first.stop()
        second = Process(args, "upstream")
        self._processes.append(second)
        wait_for_port(port, proc=second.proc)
        for c in clients:
            c.send("GET /bytes/2 HTTP/1.1\r\nHost: t\r\n\r\n")
        for i, c in enumerate(clients):
            resp = c.read_response()
            self.assertEqual(resp.status, 200, "client %d" % i)
            c.close()

    # --- request ids on errors -------------------------------------------------------

    def test_errors_carry_the_request_id(self):
        gh = self.start_gatehouse(simple_config([dead_address()]))
        resp = self.get(gh, "/bytes/1")
        body = self.assert_error(resp, 502, "bad_gateway")
        self.assertRegex(body["error"]["request_id"],
                         r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        # A client-supplied id is kept.
        resp = self.get(gh, "/bytes/1", headers={"X-Request-Id": "client-id-42"})
        body = self.assert_error(resp, 502, "bad_gateway")
        self.assertEqual(resp.header("x-request-id"), "client-id-42")
        self.assertEqual(body["error"]["request_id"], "client-id-42")
        # Each request gets its own id.
        ids = {self.get(gh, "/x").header("x-request-id") for _ in range(5)}
        self.assertEqual(len(ids), 5)

    def test_timeout_error_carries_request_id(self):
        up = self.start_upstream()
        gh = self.start_gatehouse(simple_config([up.address], timeout="200ms"))
        resp = self.get(gh, "/delay/2000", headers={"X-Request-Id": "slow-1"})
        body = self.assert_error(resp, 504, "gateway_timeout")
        self.assertEqual(body["error"]["request_id"], "slow-1")
        self.assertEqual(resp.header("x-request-id"), "slow-1")


if __name__ == "__main__":
    unittest.main()
