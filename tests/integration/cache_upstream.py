"""A scriptable upstream for the cache tests, in a thread of the test
process on a port the kernel picks. Every request (method, path, headers)
is recorded, so a test proves what did and did not reach the upstream.

Each path answers what set() gave it (200 "hello" by default). A response
with an ETag answers a matching If-None-Match with 304 (as an origin that
knows its validators does); `delay` holds the answer that many seconds."""

import http.server
import threading
import time


class CacheUpstream:
    def __init__(self):
        self.requests = []  # (method, path, {lowercase name: value})
        self.lock = threading.Lock()
        self.responses = {}
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
                    owner.requests.append((self.command, self.path,
                                           {k.lower(): v for k, v in self.headers.items()}))
                    spec = dict(owner.responses.get(self.path, {}))
                if spec.get("delay"):
                    time.sleep(spec["delay"])
                status = spec.get("status", 200)
                headers = list(spec.get("headers", ()))
                body = spec.get("body", b"hello")
                etag = next((v for n, v in headers if n.lower() == "etag"), None)
                inm = self.headers.get("If-None-Match")
                if etag is not None and inm is not None and status == 200 and \
                        etag.strip("W/") in [t.strip().strip("W/") for t in inm.split(",")]:
                    self.send_response(304)
                    for name, value in headers:
                        if name.lower() in ("etag", "cache-control", "expires", "vary", "x-version"):
                            self.send_header(name, value)
                    self.end_headers()
                    return
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_one

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.address = "127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def set(self, path, status=200, headers=(), body=b"hello", delay=0):
        with self.lock:
            self.responses[path] = {"status": status, "headers": list(headers), "body": body, "delay": delay}

    def seen(self, path=None):
        with self.lock:
            return [r for r in self.requests if path is None or r[1] == path]

    def count(self, path=None):
        return len(self.seen(path))

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
