"""A tiny upstream for tests that must know exactly which requests reached
it: every request (method, path, headers) is recorded, and each answers 200
with a small JSON body (a subclass may answer otherwise: override answer()).
Runs in a thread of the test process on a port chosen by the kernel; stop()
shuts it down."""

import http.server
import json
import threading


class CountingUpstream:
    def __init__(self, extra_headers=()):
        self.requests = []  # (method, path, {lowercase name: value})
        self.lock = threading.Lock()
        self.extra_headers = list(extra_headers)
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_one(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                with owner.lock:
                    owner.requests.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
                owner.answer(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = handle_one

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.address = "127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, handler):
        """Writes the response to the recorded request `handler`."""
        body = json.dumps({"secret": "upstream-data", "method": handler.command}).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        for name, value in self.extra_headers:
            handler.send_header(name, value)
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)

    def seen(self, path=None):
        with self.lock:
            return [r for r in self.requests if path is None or r[1] == path]

    def count(self, path=None):
        return len(self.seen(path))

    def methods(self):
        return [m for m, _, _ in self.seen()]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
