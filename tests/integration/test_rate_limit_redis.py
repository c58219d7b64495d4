"""The `rate_limit` policy's Redis store through the real binaries and a real
redis-server started here (127.0.0.1, a port chosen at run time, nothing
persisted): two Gatehouse processes sharing one Redis admit the global limit
in total; with Redis stopped, each `on_store_error` behaves as configured
(local_fallback with the limit divided by expected_instances, fail_open,
fail_closed), counts in the fallback metric and logs once per state change;
counting resumes in Redis when it comes back; AUTH with requirepass; TLS to a
TLS-only redis-server (and a CA that does not vouch for it fails closed)."""

import contextlib
import os
import shutil
import socket
import ssl
import tempfile
import time
import unittest

from harness import (GatehouseTestCase, Process, RawClient, SLOW, assert_stops_cleanly, free_port, simple_config,
                     start_listening, wait_for_port)
from tls_certs import TestPki

REDIS_SERVER = shutil.which("redis-server")
UNREACHABLE = "is unreachable"
RECOVERED = "answers again"


def redis_command(port, *args, password=None, tls=None):
    """Sends one command (after AUTH when `password`) and returns the decoded reply;
    over TLS when `tls` is an ssl.SSLContext (the server name is `redis.test`)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5 * SLOW) as raw, \
            (tls.wrap_socket(raw, server_hostname="redis.test") if tls else contextlib.nullcontext(raw)) as s:
        f = s.makefile("rb")
        commands = ([("AUTH", password)] if password else []) + [args]
        for cmd in commands:
            data = b"*%d\r\n" % len(cmd)
            for a in cmd:
                a = str(a).encode()
                data += b"$%d\r\n%s\r\n" % (len(a), a)
            s.sendall(data)
        replies = [read_reply(f) for _ in commands]
        return replies[-1]


def read_reply(f):
    line = f.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data.decode()
    if kind == b"*":
        return [read_reply(f) for _ in range(int(rest))]
    raise RuntimeError("unexpected reply %r" % line)


@unittest.skipIf(REDIS_SERVER is None, "redis-server is not installed (scripts/install-deps installs it)")
class RateLimitRedisTest(GatehouseTestCase):

    def start_redis(self, port=None, password=None):
        """A redis-server on `port` (restarting one on the port it had), or
        on a free port, chosen again when it was taken meanwhile."""
        chosen = {"port": port}
        p = Process.__new__(Process)

        def start():
            chosen["port"] = port or free_port()
            args = [REDIS_SERVER, "--port", str(chosen["port"]), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no"]
            if password:
                args += ["--requirepass", password]
            Process.__init__(p, args, "redis")
        try:
            start_listening(p, start, lambda: chosen["port"])
        finally:
            if hasattr(p, "proc"):
                self._processes.append(p)
        return p, chosen["port"]

    def start(self, redis_port, rate_limit_extra=None, workers=2, env=None, redis_extra=None, limit="10/h"):
        up = self.start_upstream()
        cfg = simple_config([up.address], workers=workers)
        redis = {"address": "127.0.0.1:%d" % redis_port, "timeout": "%dms" % int(250 * SLOW)}
        redis.update(redis_extra or {})
        rl = {"key": "client_ip", "limit": limit, "store": "redis", "redis": redis}
        rl.update(rate_limit_extra or {})
        rl = {k: v for k, v in rl.items() if v is not None}
        cfg["routes"][0]["policies"] = [{"rate_limit": rl}]
        return self.start_gatehouse(cfg, env=env)

    def client(self, gh):
        c = RawClient(gh.port)
        self.addCleanup(c.close)
        return c

    def statuses(self, gh, n):
        c = self.client(gh)
        return [c.request("GET", "/bytes/1").status for _ in range(n)]

    def wait_for_log(self, gh, text, count=1, timeout=5.0):
        deadline = time.monotonic() + timeout * SLOW
        while time.monotonic() < deadline:
            if gh.output().count(text) >= count:
                return
            time.sleep(0.02)
        self.fail("no %r in the log:\n%s" % (text, gh.output()))

    def test_two_instances_sharing_one_redis_admit_the_global_limit_in_total(self):
        _, port = self.start_redis()
        a = self.start(port)
        b = self.start(port)
        ca, cb = self.client(a), self.client(b)
        allowed = 0
        for i in range(30):
            r = (ca if i % 2 == 0 else cb).request("GET", "/bytes/1")
            self.assertIn(r.status, (200, 429), r.body)
            if r.status == 200:
                allowed += 1
                self.assertEqual(r.header("X-RateLimit-Remaining"), str(10 - allowed))
                self.assertEqual(r.header("RateLimit-Policy"), '"10/h";q=10;w=3600')
            else:
                self.assertEqual(r.json()["error"]["code"], "rate_limited")
                self.assertGreaterEqual(int(r.header("Retry-After")), 1)
                self.assertEqual(r.header("X-RateLimit-Remaining"), "0")
        self.assertEqual(allowed, 10)
        for gh in (a, b):
            self.assertEqual(gh.metric("gatehouse_rate_limit_decisions_total", route="all", result="fallback"), 0)
            self.assertGreater(gh.metric("gatehouse_rate_limit_store_duration_seconds_count", route="all"), 0)
        # One hash per client key, which expires by itself.
        keys = redis_command(port, "KEYS", "gatehouse:rl:*")
        self.assertEqual(len(keys), 1, keys)
        self.assertTrue(keys[0].endswith(":127.0.0.1"), keys)
        ttl = redis_command(port, "PTTL", keys[0])
        self.assertGreater(ttl, 0)
        self.assertLessEqual(ttl, 3600 * 1000 + 1000)
        # Redis connections do not hold up a drain (idle ones close).
        started = time.monotonic()
        self.assertEqual(a.stop(), 0)
        self.assertLess(time.monotonic() - started, 5 * SLOW, a.output())

    def test_sliding_and_fixed_windows_and_several_limits_count_in_redis(self):
        _, port = self.start_redis()
        for algorithm in ("sliding_window", "fixed_window", "token_bucket"):
            gh = self.start(port, {"algorithm": algorithm, "limit": None, "limits": ["4/h", "2/m"]})
            c = self.client(gh)
            self.assertEqual([c.request("GET", "/bytes/1").status for _ in range(2)], [200, 200], algorithm)
            for _ in range(2):
                r = c.request("GET", "/bytes/1")
                self.assertEqual(r.status, 429, algorithm)
                # All or none: the refused requests consumed nothing from 4/h.
                self.assertIn('"4/h";r=2;', r.header("RateLimit"), algorithm)
                self.assertIn('"2/m";r=0;', r.header("RateLimit"), algorithm)
                self.assertGreaterEqual(int(r.header("Retry-After")), 1)
            gh.stop()

    def test_token_bucket_bursts_up_to_its_capacity_then_refills(self):
        _, port = self.start_redis()
        gh = self.start(port, {"limit": "1/s", "burst": 3})
        c = self.client(gh)
        self.assertEqual([c.request("GET", "/bytes/1").status for _ in range(4)], [200, 200, 200, 429])
        time.sleep(1.05)  # one token per second
        self.assertEqual(c.request("GET", "/bytes/1").status, 200)
        # A Redis connection reopened after an idle close does not hold up
        # the drain either.
        c.close()
        started = time.monotonic()
        assert_stops_cleanly(self, gh)
        self.assertLess(time.monotonic() - started, 5 * SLOW, gh.output())

    def stop_redis_and_check_fallback(self, on_store_error, extra=None):
        redis, port = self.start_redis()
        rl = {"on_store_error": on_store_error}
        rl.update(extra or {})
        gh = self.start(port, rl)
        self.assertEqual(self.statuses(gh, 3), [200, 200, 200])
        redis.stop()
        return gh, port

    def test_local_fallback_enforces_the_limit_divided_by_expected_instances_then_redis_resumes(self):
        gh, port = self.stop_redis_and_check_fallback("local_fallback", {"expected_instances": 2})
        # 10/h over 2 instances: 5 admitted locally, whatever Redis had counted.
        statuses = self.statuses(gh, 12)
        self.assertEqual(statuses, [200] * 5 + [429] * 7)
        self.assertEqual(gh.metric("gatehouse_rate_limit_decisions_total", route="all", result="fallback"), 12)
        self.wait_for_log(gh, UNREACHABLE)
        self.assertEqual(gh.output().count(UNREACHABLE), 1, gh.output())

        # Redis comes back (empty): once reconnected (backoff at most 2s),
        # Redis counts again from a fresh 10/h.
        self.start_redis(port)
        c = self.client(gh)
        deadline = time.monotonic() + 10 * SLOW
        allowed = 0
        while time.monotonic() < deadline:
            r = c.request("GET", "/bytes/1")
            if r.status == 200:
                allowed = 1
                break
            time.sleep(0.05)
        self.assertEqual(allowed, 1, "Redis counting never resumed:\n" + gh.output())
        fallback_before = gh.metric("gatehouse_rate_limit_decisions_total", route="all", result="fallback")
        # On the same connection, so on the worker that has reconnected: another
        # worker may still be inside its backoff (up to 2s) and fall back.
        statuses = [c.request("GET", "/bytes/1").status for _ in range(12)]
        self.assertEqual(statuses, [200] * 9 + [429] * 3)
        self.assertEqual(gh.metric("gatehouse_rate_limit_decisions_total", route="all", result="fallback"),
                         fallback_before)
        self.wait_for_log(gh, RECOVERED)
        self.assertEqual(gh.output().count(RECOVERED), 1, gh.output())
        self.assertEqual(gh.output().count(UNREACHABLE), 1, gh.output())

    def test_fail_open_admits_everything_while_redis_is_down(self):
        gh, _ = self.stop_redis_and_check_fallback("fail_open", {"limit": "3/h"})
        statuses = self.statuses(gh, 10)
        self.assertEqual(statuses, [200] * 10)
        self.assertEqual(gh.metric("gatehouse_rate_limit_decisions_total", route="all", result="fallback"), 10)
        self.wait_for_log(gh, UNREACHABLE)
        self.assertEqual(gh.output().count(UNREACHABLE), 1, gh.output())

    def test_fail_closed_answers_503_while_redis_is_down(self):
        gh, _ = self.stop_redis_and_check_fallback("fail_closed")
        c = self.client(gh)
        for _ in range(5):
            r = c.request("GET", "/bytes/1")
            self.assertEqual(r.status, 503, r.body)
            self.assertEqual(r.json()["error"]["code"], "rate_limit_store_unavailable")
            self.assertIsNone(r.header("X-RateLimit-Remaining"))
        self.assertEqual(gh.metric("gatehouse_rate_limit_decisions_total", route="all", result="fallback"), 5)
        self.wait_for_log(gh, UNREACHABLE)
        self.assertEqual(gh.output().count(UNREACHABLE), 1, gh.output())

    def test_auth_with_requirepass(self):
        _, port = self.start_redis(password="s3cret-pw")
        env = os.environ.copy()
        env["REDIS_PASSWORD"] = "s3cret-pw"
        gh = self.start(port, {"limit": "3/h", "on_store_error": "fail_closed"}, env=env,
                        redis_extra={"password": "${REDIS_PASSWORD}"})
        self.assertEqual(self.statuses(gh, 5), [200, 200, 200, 429, 429])
        self.assertEqual(gh.metric("gatehouse_rate_limit_decisions_total", route="all", result="fallback"), 0)
        self.assertEqual(len(redis_command(port, "KEYS", "gatehouse:rl:*", password="s3cret-pw")), 1)

        # A wrong password is a store error: fail_closed refuses.
        env["REDIS_PASSWORD"] = "wrong"
        bad = self.start(port, {"limit": "3/h", "on_store_error": "fail_closed"}, env=env,
                         redis_extra={"password": "${REDIS_PASSWORD}"})
        self.assertEqual(self.statuses(bad, 2), [503, 503])
        self.wait_for_log(bad, UNREACHABLE)

    def start_tls_redis(self, pki, password):
        crt, key = pki.issue("redis", "redis.test", dns=("redis.test",))
        port = free_port()
        args = [REDIS_SERVER, "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
                "--tls-cert-file", crt, "--tls-key-file", key, "--tls-ca-cert-file", pki.ca_crt,
                "--tls-auth-clients", "no", "--requirepass", password, "--save", "", "--appendonly", "no"]
        p = Process(args, "redis-tls")
        self._processes.append(p)
        wait_for_port(port, proc=p.proc)
        return port

    def test_tls_to_a_tls_only_redis(self):
        directory = tempfile.mkdtemp(prefix="gatehouse-redis-tls-")
        self.addCleanup(shutil.rmtree, directory, True)
        pki = TestPki(directory)
        port = self.start_tls_redis(pki, "tls-pw")
        env = os.environ.copy()
        env["REDIS_PASSWORD"] = "tls-pw"
        tls = {"ca_file": pki.ca_crt, "server_name": "redis.test"}
        gh = self.start(port, {"limit": "3/m", "on_store_error": "fail_closed"}, env=env,
                        redis_extra={"password": "${REDIS_PASSWORD}", "tls": tls})
        self.assertEqual(self.statuses(gh, 5), [200, 200, 200, 429, 429], gh.output())
        self.assertEqual(gh.metric("gatehouse_rate_limit_decisions_total", route="all", result="fallback"), 0)
        context = ssl.create_default_context(cafile=pki.ca_crt)
        keys = redis_command(port, "KEYS", "gatehouse:rl:*", password="tls-pw", tls=context)
        self.assertEqual(len(keys), 1, keys)

        # A CA that does not vouch for the server: every handshake fails, so
        # Redis is unreachable and fail_closed refuses.
        other_dir = tempfile.mkdtemp(prefix="gatehouse-redis-tls-other-")
        self.addCleanup(shutil.rmtree, other_dir, True)
        other = TestPki(other_dir)
        bad = self.start(port, {"limit": "3/m", "on_store_error": "fail_closed"}, env=env,
                         redis_extra={"password": "${REDIS_PASSWORD}",
                                      "tls": {"ca_file": other.ca_crt, "server_name": "redis.test"}})
        self.assertEqual(self.statuses(bad, 2), [503, 503])
        self.wait_for_log(bad, UNREACHABLE)
        self.assertIn("TLS handshake", bad.output())
        # Neither the open TLS connections nor the failed handshakes hold up a drain.
        for g in (gh, bad):
            started = time.monotonic()
            assert_stops_cleanly(self, g)
            self.assertLess(time.monotonic() - started, 5 * SLOW, g.output())


if __name__ == "__main__":
    unittest.main()
