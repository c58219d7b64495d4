"""The access log against a real Gatehouse: one JSON (or text) line per
exchange, proxied or answered by Gatehouse itself (404, 401, 400), with the
verified JWT claims; SIGUSR1 reopens the file after a rotation; a reload
that changes the path moves the log; SIGTERM loses no line already queued.

The writer batches lines (up to 50 ms), so tests poll the file for the
lines they expect rather than reading it once."""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import (GATEHOUSE_BIN, SLOW, GatehouseTestCase, RawClient, assert_stops_cleanly, curl, free_port,
                     simple_config)
import tls_certs
from test_jwt import API_AUDIENCE, bearer, good_claims, hs_token, request

SECRET = b"access-log-test-secret-0123456789abcdef"
ISSUER = "https://signer.test/access-log"


def read_lines(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    return [line for line in data.decode("utf-8").split("\n") if line]


def wait_for_lines(path, n, timeout=10.0):
    """The file's lines once it has at least `n` (fails the caller's
    assertion with what it has on timeout)."""
    deadline = time.monotonic() + timeout * SLOW
    lines = read_lines(path)
    while len(lines) < n and time.monotonic() < deadline:
        time.sleep(0.02)
        lines = read_lines(path)
    return lines


def json_lines(path, n):
    return [json.loads(line) for line in wait_for_lines(path, n)]


class AccessLogTest(GatehouseTestCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="gatehouse-access-log-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.log = os.path.join(self.dir, "access.log")

    def config(self, upstream, **access_log):
        cfg = simple_config([upstream.address])
        cfg["routes"] = [
            {"name": "inspect", "match": {"path_prefix": "/inspect"}, "upstream": "app"},
            {"name": "bytes", "match": {"path_prefix": "/bytes/"}, "upstream": "app"},
            {"name": "quiet", "match": {"path": "/quiet"}, "upstream": "app", "access_log": "off"},
        ]
        cfg["access_log"] = dict({"path": self.log}, **access_log)
        return cfg

    def test_proxied_and_local_replies_are_json_lines(self):
        upstream = self.start_upstream()
        gh = self.start_gatehouse(self.config(
            upstream, fields=["default", "request_header:x-test", "response_header:content-type"]))
        client = RawClient(gh.port)
        r = client.request("GET", "/inspect?q=1&x=%22", headers={"User-Agent": "test-agent/1.0",
                                                                "X-Test": 'a "quoted" \\ value'})
        self.assertEqual(r.status, 200)
        inspect_bytes = len(r.raw_head) + 4 + len(r.body)
        r = client.request("POST", "/inspect", body="x" * 300)
        self.assertEqual(r.status, 200)
        r = client.request("GET", "/bytes/1000")
        self.assertEqual(len(r.body), 1000)
        self.assertEqual(client.request("GET", "/quiet").status, 404)  # the upstream's 404, not logged
        self.assertEqual(client.request("GET", "/nowhere").status, 404)  # no route: Gatehouse's own
        client.close()

        lines = json_lines(self.log, 4)
        self.assertEqual(len(lines), 4, lines)
        get, post, size, missing = lines
        self.assertEqual(get["method"], "GET")
        self.assertEqual(get["path"], "/inspect")
        self.assertEqual(get["query"], "q=1&x=%22")
        self.assertEqual(get["protocol"], "HTTP/1.1")
        self.assertEqual(get["status"], 200)
        self.assertEqual(get["bytes_sent"], inspect_bytes)
        self.assertEqual(get["request_body_bytes"], 0)
        self.assertEqual(get["route"], "inspect")
        self.assertEqual(get["listener"], "public")
        self.assertEqual(get["upstream"], "app")
        self.assertEqual(get["upstream_address"], upstream.address)
        self.assertEqual(get["client_ip"], "127.0.0.1")
        self.assertEqual(get["user_agent"], "test-agent/1.0")
        self.assertEqual(get["request_header:x-test"], 'a "quoted" \\ value')
        self.assertEqual(get["response_header:content-type"], "application/json")
        self.assertIsNone(get["tls_version"])
        self.assertGreater(get["duration_ms"], 0)
        self.assertGreaterEqual(get["duration_ms"], get["upstream_duration_ms"])
        self.assertRegex(get["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(len(get["request_id"]), len(post["request_id"]))
        self.assertNotEqual(get["request_id"], post["request_id"])

        self.assertEqual((post["method"], post["request_body_bytes"], post["status"]), ("POST", 300, 200))
        self.assertEqual((size["path"], size["route"]), ("/bytes/1000", "bytes"))
        self.assertGreater(size["bytes_sent"], 1000)

        self.assertEqual(missing["status"], 404)
        self.assertEqual(missing["path"], "/nowhere")
        self.assertIsNone(missing["route"])
        self.assertIsNone(missing["upstream"])
        self.assertIsNone(missing["upstream_duration_ms"])
        self.assertEqual(gh.metric("gatehouse_access_log_dropped_total"), 0)
        assert_stops_cleanly(self, gh)

    def test_malformed_request_and_client_gone_are_logged(self):
        upstream = self.start_upstream()
        gh = self.start_gatehouse(self.config(upstream))
        with socket.create_connection(("127.0.0.1", gh.port), timeout=5 * SLOW) as s:
            s.sendall(b"GET /inspect HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n")
            self.assertIn(b" 400 ", s.recv(65536))
        # A client that leaves while the upstream is still thinking.
        with socket.create_connection(("127.0.0.1", gh.port), timeout=5 * SLOW) as s:
            s.sendall(b"GET /inspect?leaving HTTP/1.1\r\nHost: t\r\n\r\n")
        lines = json_lines(self.log, 2)
        self.assertEqual(len(lines), 2, lines)
        bad = [line for line in lines if line["status"] == 400]
        self.assertEqual(len(bad), 1, lines)
        self.assertEqual((bad[0]["method"], bad[0]["path"]), ("GET", "/inspect"))
        self.assertIsNone(bad[0]["protocol"])  # the head never completed
        self.assertIsNone(bad[0]["route"])
        self.assertEqual(bad[0]["client_ip"], "127.0.0.1")
        gone = [line for line in lines if line["query"] == "leaving"]
        self.assertEqual(len(gone), 1, lines)
        # Either the response made it out before the close was noticed, or
        # nginx's 499 says the client left first.
        self.assertIn(gone[0]["status"], (200, 499))

    def test_jwt_claims_and_refusals(self):
        upstream = self.start_upstream()
        cfg = self.config(upstream, fields=["status", "route", "claim:sub", "claim:role", "path"])
        cfg["routes"].insert(0, {
            "name": "private", "match": {"path_prefix": "/bytes/"}, "upstream": "app",
            "policies": [{"jwt": {"issuers": [{"issuer": ISSUER, "audiences": [API_AUDIENCE],
                                               "algorithms": ["HS256"], "secret": SECRET.decode()}]}}]})
        gh = self.start_gatehouse(cfg)
        token = hs_token(SECRET, good_claims(ISSUER, sub="alice", role="admin"))
        self.assertEqual(request(gh.port, "GET", "/bytes/3", bearer(token))[0], 200)
        self.assertEqual(request(gh.port, "GET", "/bytes/3")[0], 401)
        forged = hs_token(b"not-the-secret-0123456789abcdef0123", good_claims(ISSUER, sub="mallory"))
        self.assertEqual(request(gh.port, "GET", "/bytes/3", bearer(forged))[0], 401)
        lines = json_lines(self.log, 3)
        self.assertEqual(lines, [
            {"status": 200, "route": "private", "claim:sub": "alice", "claim:role": "admin",
             "path": "/bytes/3"},
            {"status": 401, "route": "private", "claim:sub": None, "claim:role": None, "path": "/bytes/3"},
            # Only verified claims are logged: a forged token's are not.
            {"status": 401, "route": "private", "claim:sub": None, "claim:role": None, "path": "/bytes/3"},
        ])

    def test_text_format(self):
        upstream = self.start_upstream()
        gh = self.start_gatehouse(self.config(
            upstream, format="text", template='$method $uri $status "$request_header:x-note" $route'))
        client = RawClient(gh.port)
        client.request("GET", "/bytes/5?a=b", headers={"X-Note": 'say "hi"\tthere \\o/'})
        client.request("GET", "/missing")
        client.close()
        self.assertEqual(wait_for_lines(self.log, 2), [
            'GET /bytes/5?a=b 200 "say \\x22hi\\x22\\x09there \\x5Co/" bytes',
            'GET /missing 404 "-" -',
        ])

    def test_sigusr1_reopens_the_file_after_a_rename(self):
        upstream = self.start_upstream()
        gh = self.start_gatehouse(self.config(upstream, fields=["path"]))
        self.assertEqual(request(gh.port, "GET", "/bytes/1")[0], 200)
        self.assertEqual(len(wait_for_lines(self.log, 1)), 1)
        rotated = self.log + ".1"
        os.rename(self.log, rotated)
        gh.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 10 * SLOW
        while not os.path.exists(self.log) and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertTrue(os.path.exists(self.log), gh.output())
        self.assertEqual(request(gh.port, "GET", "/bytes/2")[0], 200)
        self.assertEqual(json_lines(self.log, 1), [{"path": "/bytes/2"}])
        self.assertEqual(json_lines(rotated, 1), [{"path": "/bytes/1"}])
        self.assertIn("reopened", gh.output())
        assert_stops_cleanly(self, gh)

    def test_reload_moves_the_log_and_rejects_an_unopenable_path(self):
        upstream = self.start_upstream()
        cfg = self.config(upstream, fields=["path"])
        gh = self.start_gatehouse(cfg)
        self.assertEqual(request(gh.port, "GET", "/bytes/1")[0], 200)
        self.assertEqual(len(wait_for_lines(self.log, 1)), 1)

        def reload(path):
            cfg["access_log"]["path"] = path
            with open(gh.config_path, "w") as f:
                f.write(json.dumps(cfg).replace("{port}", str(gh.port)).replace("{admin_port}", str(gh.admin_port)))
            before = gh.output().count("reload")
            gh.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 10 * SLOW
            while gh.output().count("reload") == before and time.monotonic() < deadline:
                time.sleep(0.02)

        reload(os.path.join(self.dir, "missing-dir", "access.log"))
        self.assertIn("reload rejected: cannot open access log", gh.output())
        moved = os.path.join(self.dir, "moved.log")
        reload(moved)
        self.assertIn("configuration reloaded", gh.output())
        self.assertEqual(request(gh.port, "GET", "/bytes/2")[0], 200)
        self.assertEqual(json_lines(moved, 1), [{"path": "/bytes/2"}])
        self.assertEqual(json_lines(self.log, 1), [{"path": "/bytes/1"}])

    def test_an_unopenable_path_stops_the_start(self):
        upstream = self.start_upstream()
        cfg = self.config(upstream)
        cfg["access_log"]["path"] = os.path.join(self.dir, "missing-dir", "access.log")
        text = json.dumps(cfg).replace("{port}", str(free_port())).replace("{admin_port}", str(free_port()))
        config_path = os.path.join(self.dir, "gatehouse.yaml")
        with open(config_path, "w") as f:
            f.write(text)
        r = subprocess.run([GATEHOUSE_BIN, "--config", config_path], capture_output=True, text=True,
                           timeout=10 * SLOW)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("cannot open access log `%s`: No such file or directory" % cfg["access_log"]["path"],
                      r.stderr)
        # `gatehouse check` validates the config without touching the file system for the log.
        r = subprocess.run([GATEHOUSE_BIN, "check", "--config", config_path], capture_output=True, text=True,
                           timeout=10 * SLOW)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_tls_version_and_resumption(self):
        upstream = self.start_upstream()
        pki = tls_certs.TestPki(self.dir)
        crt, key = pki.issue("localhost", "localhost", dns=["localhost"])
        cfg = self.config(upstream, fields=["path", "tls_version", "tls_resumed", "bytes_sent"])
        cfg["listeners"][0]["tls"] = {"certificates": [{"cert_file": crt, "key_file": key}]}
        gh = self.start_gatehouse(cfg)
        r = curl("--cacert", pki.ca_crt, "--resolve", "localhost:%d:127.0.0.1" % gh.port, "--tlsv1.3",
                 "-o", "/dev/null", "-w", "%{http_code}", "https://localhost:%d/bytes/10" % gh.port)
        self.assertEqual(r.stdout, b"200", r.stderr)
        line, = json_lines(self.log, 1)
        self.assertEqual((line["path"], line["tls_version"], line["tls_resumed"]), ("/bytes/10", "TLSv1.3", False))
        self.assertGreater(line["bytes_sent"], 10)

    def test_a_request_cut_off_by_the_drain_is_logged_before_exit(self):
        upstream = self.start_upstream()
        cfg = self.config(upstream, fields=["path", "status", "upstream_address", "bytes_sent"])
        cfg["drain_timeout"] = "200ms"
        cfg["routes"].append({"name": "slow", "match": {"path_prefix": "/delay/"}, "upstream": "app"})
        gh = self.start_gatehouse(cfg)
        client = RawClient(gh.port)
        client.send("GET /delay/10000 HTTP/1.1\r\nHost: t\r\n\r\n")
        time.sleep(0.3 * SLOW)  # the request reaches the upstream
        gh.proc.send_signal(signal.SIGTERM)
        self.assertEqual(gh.proc.wait(timeout=15 * SLOW), 0, gh.output())
        client.close()
        # Written by the exiting process: no response was sent, so nginx's 499.
        self.assertEqual([json.loads(line) for line in read_lines(self.log)], [
            {"path": "/delay/10000", "status": 499, "upstream_address": upstream.address,
             "bytes_sent": 0}])

    def test_sigterm_loses_no_queued_line(self):
        upstream = self.start_upstream()
        gh = self.start_gatehouse(self.config(upstream, fields=["path"]))
        n = 300
        client = RawClient(gh.port)
        for i in range(n):
            self.assertEqual(client.request("GET", "/bytes/%d" % i).status, 200)
        # At once: the last lines are still in the writer's batch.
        gh.proc.send_signal(signal.SIGTERM)
        client.close()
        self.assertEqual(gh.proc.wait(timeout=15 * SLOW), 0, gh.output())
        lines = [json.loads(line) for line in read_lines(self.log)]
        self.assertEqual([line["path"] for line in lines], ["/bytes/%d" % i for i in range(n)])


if __name__ == "__main__":
    unittest.main()
