"""Integration tests for gatehouse-api's background work (issue 3): the
welcome-email outbox delivered to a webhook with retries, backoff and a dead
state, jobs surviving a restart, and the expired refresh token cleanup.

A small http.server on 127.0.0.1 plays the webhook sink. bcrypt runs at cost
4 and the backoff base is a few milliseconds so retries come quickly.
"""

import http.server
import json
import os
import shutil
import sqlite3
import tempfile
import threading
import time
import unittest

from harness import SLOW, assert_stops_cleanly, free_port
from test_api_posts import Api

PASSWORD = "correct horse battery"


class Sink:
    """Answers the first `failures` POSTs with 500 (all of them when
    failures is None), then 200; records every body."""

    def __init__(self, failures=0, port=None):
        self.failures = failures
        self.bodies = []
        self.paths = []
        self.headers = []
        self.lock = threading.Lock()
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with sink.lock:
                    sink.bodies.append(json.loads(body))
                    sink.paths.append(self.path)
                    sink.headers.append({k.lower(): v for k, v in self.headers.items()})
                    n = len(sink.bodies)
                fail = sink.failures is None or n <= sink.failures
                status = 500 if fail else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"no" if fail else b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port or 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self):
        return "http://127.0.0.1:%d/hooks/outbox" % self.port

    def count(self):
        with self.lock:
            return len(self.bodies)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class OutboxTestCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="gatehouse-api-outbox-")
        self.db_path = os.path.join(self.dir, "api.db")
        self.processes = []
        self.sinks = []
        self.api = None

    def tearDown(self):
        try:
            for p in self.processes:
                assert_stops_cleanly(self, p)
        finally:
            for s in self.sinks:
                s.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def sink(self, **kwargs):
        s = Sink(**kwargs)
        self.sinks.append(s)
        return s

    def start(self, webhook_url=None, extra=()):
        args = ["--outbox-backoff-base-ms", "20", "--outbox-poll-ms", "20"]
        if webhook_url:
            args += ["--webhook-url", webhook_url]
        self.api = Api(self.db_path, trust_gateway_headers=False, extra_args=args + list(extra))
        self.processes.append(self.api)

    def stop(self):
        self.assertEqual(self.api.stop(), 0, self.api.output())
        self.processes.remove(self.api)

    def register(self, email="alice@example.com", username="alice"):
        status, _, user = self.api.json("POST", "/api/auth/register",
                                        {"email": email, "username": username, "password": PASSWORD})
        self.assertEqual(status, 201, user)
        return user

    def jobs(self):
        with sqlite3.connect(self.db_path, timeout=10) as db:
            return db.execute("SELECT id, kind, payload, attempts, state, last_error FROM outbox"
                              " ORDER BY id").fetchall()

    def wait_for(self, predicate, what, timeout=10):
        deadline = time.monotonic() + timeout * SLOW
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.02)
        self.fail("timed out waiting for %s; outbox %r; api output:\n%s"
                  % (what, self.jobs(), self.api.output()[-3000:] if self.api else ""))


class OutboxTest(OutboxTestCase):
    def test_register_enqueues_in_the_same_transaction(self):
        self.start()  # no webhook: the worker is off, the job stays pending
        user = self.register()
        jobs = self.jobs()
        self.assertEqual(len(jobs), 1)
        _, kind, payload, attempts, state, last_error = jobs[0]
        self.assertEqual(kind, "welcome_email")
        self.assertEqual(json.loads(payload),
                         {"userId": user["id"], "email": "alice@example.com", "username": "alice"})
        self.assertEqual((attempts, state, last_error), (0, "pending", None))
        # A refused registration queues nothing.
        status, _, _ = self.api.json("POST", "/api/auth/register",
                                     {"email": "ALICE@example.com", "username": "alice2", "password": PASSWORD})
        self.assertEqual(status, 409)
        self.assertEqual(len(self.jobs()), 1)

    def test_fails_twice_then_delivered(self):
        sink = self.sink(failures=2)
        self.start(sink.url())
        user = self.register()
        self.wait_for(lambda: self.jobs() and self.jobs()[0][4] == "delivered", "delivery")
        time.sleep(0.2)  # nothing more is sent once delivered
        self.assertEqual(sink.count(), 3)
        job_id, _, _, attempts, state, last_error = self.jobs()[0]
        self.assertEqual((attempts, state, last_error), (3, "delivered", None))
        final = sink.bodies[-1]
        self.assertEqual(final["email"], "alice@example.com")
        self.assertEqual(final["username"], "alice")
        self.assertEqual(final["userId"], user["id"])
        self.assertEqual(final["kind"], "welcome_email")
        self.assertEqual(final["jobId"], job_id)
        self.assertEqual(sink.paths, ["/hooks/outbox"] * 3)
        self.assertEqual(sink.headers[-1]["content-type"], "application/json")

    def test_always_failing_ends_dead(self):
        sink = self.sink(failures=None)
        self.start(sink.url(), ["--outbox-max-attempts", "3"])
        self.register()
        self.wait_for(lambda: self.jobs() and self.jobs()[0][4] == "dead", "dead letter")
        self.stop()
        _, _, _, attempts, state, last_error = self.jobs()[0]
        self.assertEqual((attempts, state), (3, "dead"))
        self.assertEqual(last_error, "HTTP 500")
        self.assertEqual(sink.count(), 3)

    def test_webhook_settings_from_the_config_file(self):
        sink = self.sink(failures=None)
        config = os.path.join(self.dir, "api.yaml")
        with open(config, "w") as f:
            f.write("webhook_url: %s\noutbox_max_attempts: 2\n" % sink.url())
        self.start(extra=["--config", config])
        self.register()
        self.wait_for(lambda: self.jobs() and self.jobs()[0][4] == "dead", "dead letter")
        self.stop()
        self.assertEqual(self.jobs()[0][3:5], (2, "dead"))
        self.assertEqual(sink.count(), 2)

    def test_unreachable_webhook_retries_and_restart_delivers(self):
        port = free_port()  # nothing listens there yet
        self.start("http://127.0.0.1:%d/hooks/outbox" % port)
        self.register()
        self.wait_for(lambda: self.jobs() and self.jobs()[0][3] >= 1, "a failed attempt")
        self.stop()
        _, _, _, attempts, state, last_error = self.jobs()[0]
        self.assertEqual(state, "pending")
        self.assertIn("connect", last_error)
        sink = self.sink(port=port)
        self.start(sink.url())
        self.wait_for(lambda: self.jobs()[0][4] == "delivered", "delivery after restart")
        self.assertEqual(sink.bodies[-1]["email"], "alice@example.com")


class CleanupTest(OutboxTestCase):
    def test_expired_refresh_tokens_are_deleted(self):
        self.start(extra=["--cleanup-interval-ms", "50"])
        user = self.register()
        now = int(time.time() * 1000)
        with sqlite3.connect(self.db_path, timeout=10) as db:
            db.execute("INSERT INTO refresh_tokens (user_id, token_hash, expires_at)"
                       " VALUES (?, 'expired', ?)", (user["id"], now - 1))
            db.execute("INSERT INTO refresh_tokens (user_id, token_hash, expires_at)"
                       " VALUES (?, 'live', ?)", (user["id"], now + 3600_000))

        def hashes():
            with sqlite3.connect(self.db_path, timeout=10) as db:
                return sorted(r[0] for r in db.execute("SELECT token_hash FROM refresh_tokens"))

        self.wait_for(lambda: hashes() == ["live"], "cleanup")
        self.wait_for(lambda: "expired refresh token" in self.api.output(), "cleanup log")


if __name__ == "__main__":
    unittest.main()
