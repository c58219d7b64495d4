"""Graceful shutdown on SIGTERM / SIGINT: in-flight requests finish, new
connections are refused, /readyz reports draining, idle connections close at
once, and drain_timeout bounds the whole drain."""

import signal
import socket
import subprocess
import threading
import time
import unittest
import urllib.error
import urllib.request

from harness import SLOW, GatehouseTestCase, RawClient, simple_config


def connection_refused(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return True


def wait_until(predicate, timeout, interval=0.02):
    deadline = time.monotonic() + timeout * SLOW
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def readyz(admin_port):
    """The /readyz status, or None when the admin listener no longer answers."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/readyz" % admin_port,
                                    timeout=2 * SLOW) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, ConnectionError, OSError):
        return None


def wait_exit(gh, timeout):
    """The exit code, or None when the process is still running after `timeout`."""
    try:
        return gh.proc.wait(timeout=timeout * SLOW)
    except subprocess.TimeoutExpired:
        return None


class ResponseReader(threading.Thread):
    """Reads one response on a RawClient in the background."""

    def __init__(self, client):
        super().__init__(daemon=True)
        self.client = client
        self.response = None
        self.error = None
        self.finished_at = None

    def run(self):
        try:
            self.response = self.client.read_response()
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e
        self.finished_at = time.monotonic()


class ShutdownTest(GatehouseTestCase):

    def start(self, **top_level):
        self.upstream = self.start_upstream()
        cfg = simple_config([self.upstream.address])
        cfg.update(top_level)
        return self.start_gatehouse(cfg)

    def start_in_flight(self, gh, path):
        """A request sent and (as far as we can tell) forwarded upstream."""
        c = RawClient(gh.port)
        c.send("GET %s HTTP/1.1\r\nHost: test\r\n\r\n" % path)
        self.sent_at = time.monotonic()
        reader = ResponseReader(c)
        reader.start()
        # Give Gatehouse time to read the request and forward it.
        time.sleep(0.3 * SLOW)
        return c, reader

    def check_graceful_drain(self, sig):
        gh = self.start()
        c, reader = self.start_in_flight(gh, "/delay/1500")
        signalled = time.monotonic()
        gh.proc.send_signal(sig)

        # New connections are refused soon after the signal.
        self.assertTrue(wait_until(lambda: connection_refused(gh.port), 2.0),
                        "the listener still accepts connections while draining")
        # The admin listener reports draining (or is already gone).
        status = readyz(gh.admin_port)
        self.assertIn(status, (503, None))
        if reader.finished_at is None:
            self.assertEqual(status, 503, "/readyz must answer 503 while a request is in flight")
        self.assertIsNone(gh.proc.poll(), "exited before the in-flight request finished")

        reader.join(10 * SLOW)
        self.assertIsNone(reader.error, "in-flight request failed: %r" % reader.error)
        self.assertEqual(reader.response.status, 200)
        self.assertEqual((reader.response.header("connection") or "").lower(), "close")
        # It ran its full 1.5 s upstream delay, ending after the signal.
        self.assertGreaterEqual(reader.finished_at - self.sent_at, 1.4)
        self.assertGreater(reader.finished_at, signalled)
        c.close()

        code = wait_exit(gh, 5.0)
        self.assertEqual(code, 0, gh.output())
        self.assertGreaterEqual(time.monotonic(), reader.finished_at)

    def test_sigterm_lets_in_flight_request_finish(self):
        self.check_graceful_drain(signal.SIGTERM)

    def test_sigint_behaves_like_sigterm(self):
        self.check_graceful_drain(signal.SIGINT)

    def test_readyz_is_ready_before_the_signal(self):
        gh = self.start()
        self.assertEqual(readyz(gh.admin_port), 200)

    def test_drain_timeout_bounds_the_shutdown(self):
        gh = self.start(drain_timeout="1s")
        c, reader = self.start_in_flight(gh, "/delay/10000")
        signalled = time.monotonic()
        gh.proc.send_signal(signal.SIGTERM)
        code = wait_exit(gh, 4.0)
        elapsed = time.monotonic() - signalled
        self.assertIsNotNone(code, "still running 4s after SIGTERM with drain_timeout 1s")
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertLess(elapsed, 4.0 * SLOW)
        # The client sees its connection closed, never a forged response.
        reader.join(5 * SLOW)
        self.assertIsNone(reader.response, "got a response: %r" % (
            reader.response and reader.response.raw_head))
        self.assertIsInstance(reader.error, (ConnectionError, OSError))
        c.close()

    def test_idle_keep_alive_connection_closes_promptly(self):
        gh = self.start()
        c = RawClient(gh.port)
        resp = c.request("GET", "/bytes/3")
        self.assertEqual(resp.status, 200)
        self.assertNotEqual((resp.header("connection") or "").lower(), "close")
        signalled = time.monotonic()
        gh.proc.send_signal(signal.SIGTERM)
        self.assertTrue(c.is_closed(timeout=2.0), "idle connection not closed on SIGTERM")
        self.assertLess(time.monotonic() - signalled, 1.5 * SLOW)
        code = wait_exit(gh, 2.0)
        self.assertEqual(code, 0, gh.output())
        self.assertLess(time.monotonic() - signalled, 2.0 * SLOW)
        c.close()

    def test_connected_client_that_sent_nothing_does_not_delay_exit(self):
        gh = self.start()
        c = RawClient(gh.port)
        time.sleep(0.1)
        signalled = time.monotonic()
        gh.proc.send_signal(signal.SIGTERM)
        self.assertTrue(c.is_closed(timeout=2.0))
        self.assertEqual(wait_exit(gh, 2.0), 0, gh.output())
        self.assertLess(time.monotonic() - signalled, 2.0 * SLOW)
        c.close()

    def test_sigterm_with_no_connections_exits_at_once(self):
        gh = self.start()
        time.sleep(0.2 * SLOW)  # see test_sigterm_right_after_startup_is_graceful
        signalled = time.monotonic()
        gh.proc.send_signal(signal.SIGTERM)
        self.assertEqual(wait_exit(gh, 2.0), 0, gh.output())
        self.assertLess(time.monotonic() - signalled, 1.0 * SLOW)
        self.assertTrue(connection_refused(gh.port))
        self.assertTrue(connection_refused(gh.admin_port))

    def test_sigterm_right_after_startup_is_graceful(self):
        # Once the listener accepts connections, SIGTERM must drain and exit 0,
        # never kill the process by the default signal action (-15): the
        # handler has to be in place before the port opens. A race, so tried
        # many times.
        self.upstream = self.start_upstream()
        codes = []
        for _ in range(25):
            gh = self.start_gatehouse(simple_config([self.upstream.address]))
            gh.proc.send_signal(signal.SIGTERM)
            codes.append(wait_exit(gh, 5.0))
        self.assertEqual(codes, [0] * len(codes),
                         "negative codes: killed by the signal before its handler was installed")

    def test_client_mid_head_at_sigterm_is_not_waited_for_past_drain_timeout(self):
        gh = self.start(drain_timeout="1s")
        c = RawClient(gh.port)
        c.send(b"GET /bytes/1 HTTP/1.1\r\nHost: t\r\n")  # head never finished
        time.sleep(0.2 * SLOW)
        signalled = time.monotonic()
        gh.proc.send_signal(signal.SIGTERM)
        self.assertIsNotNone(wait_exit(gh, 4.0), "still running 4s after SIGTERM")
        self.assertLess(time.monotonic() - signalled, 4.0 * SLOW)
        c.close()


if __name__ == "__main__":
    unittest.main()
