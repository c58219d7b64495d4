"""A scriptable upstream for the cache tests: a CountingUpstream (every
request recorded, so a test proves what did and did not reach the upstream)
whose paths answer what set() gave them (200 "hello" by default). A
response with an ETag answers a matching If-None-Match with 304 (as an
origin that knows its validators does); `delay` holds the answer that many
seconds; `chunked` sends the body in chunks of 1000 bytes; `bare_304`
answers any conditional request with a 304 that carries no header at all
(as origins that drop validators from 304s do); `no_date` sends no Date
field (as origins without a clock do); `ranges` answers a GET with one
`Range: bytes=first-last` with a 206 of those bytes (as file servers do)."""

import re
import time

from counting_upstream import CountingUpstream


class CacheUpstream(CountingUpstream):
    def __init__(self):
        self.responses = {}
        self.arrivals = {}  # path -> [time.monotonic() of each request]
        super().__init__()

    def set(self, path, status=200, headers=(), body=b"hello", delay=0, chunked=False, bare_304=False,
            no_date=False, ranges=False):
        with self.lock:
            self.responses[path] = {"status": status, "headers": list(headers), "body": body, "delay": delay,
                                    "chunked": chunked, "bare_304": bare_304, "no_date": no_date,
                                    "ranges": ranges}

    def answer(self, handler):
        with self.lock:
            spec = dict(self.responses.get(handler.path, {}))
            self.arrivals.setdefault(handler.path, []).append(time.monotonic())
        if spec.get("delay"):
            time.sleep(spec["delay"])
        status = spec.get("status", 200)
        headers = list(spec.get("headers", ()))
        body = spec.get("body", b"hello")
        if spec.get("bare_304") and ("If-None-Match" in handler.headers or "If-Modified-Since" in handler.headers):
            handler.send_response_only(304)
            handler.end_headers()
            return
        etag = next((v for n, v in headers if n.lower() == "etag"), None)
        inm = handler.headers.get("If-None-Match")
        if etag is not None and inm is not None and status == 200 and \
                etag.strip("W/") in [t.strip().strip("W/") for t in inm.split(",")]:
            handler.send_response(304)
            for name, value in headers:
                if name.lower() in ("etag", "cache-control", "expires", "vary", "x-version"):
                    handler.send_header(name, value)
            handler.end_headers()
            return
        match = re.fullmatch(r"bytes=(\d+)-(\d+)", handler.headers.get("Range", ""))
        if spec.get("ranges") and status == 200 and handler.command == "GET" and match:
            first, last = int(match.group(1)), min(int(match.group(2)), len(body) - 1)
            headers.append(("Content-Range", "bytes %d-%d/%d" % (first, last, len(body))))
            status, body = 206, body[first:last + 1]
        if spec.get("no_date"):
            handler.send_response_only(status)
        else:
            handler.send_response(status)
        for name, value in headers:
            handler.send_header(name, value)
        if spec.get("chunked"):
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            if handler.command != "HEAD":
                for i in range(0, len(body), 1000):
                    piece = body[i:i + 1000]
                    handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                handler.wfile.write(b"0\r\n\r\n")
            return
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)
