"""A tiny upstream for tests that must know exactly which requests reached
it: every request (method, path, headers) is recorded, and each answers 200
with a small JSON body. Runs in a thread of the test process on a port
chosen by the kernel; stop() shuts it down."""

import http.server
import json
import threading


class CountingUpstream:
    def __init__(self, extra_headers=()):
        self.requests = []  # (method, path, {lowercase name: value})
        self.lock = threading.Lock()
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
                body = json.dumps({"secret": "upstream-data", "method": self.command}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in extra_headers:
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = handle_one

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.address = "127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def seen(self):
        with self.lock:
            return list(self.requests)

    def methods(self):
        return [m for m, _, _ in self.seen()]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
