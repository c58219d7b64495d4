#!/usr/bin/env python3
"""Send N sequential GET requests over ONE keep-alive connection.

Used by scripts/bench to count the instructions a proxy executes per request
under callgrind: a fixed, tiny, deterministic client, so the only thing that
changes between two runs is the number of requests. Every response must be
200 with exactly the expected Content-Length; anything else is an error (a
proxy that answers 502 quickly must not look cheap).

Usage: keepalive_client.py --port P --requests N [--path /bytes/1024]
                           [--expect-bytes 1024] [--timeout 60] [--unique-paths]

--unique-paths adds "?u=<n>" to each request's path, so that every request
asks for a URL no earlier one did (a cache's miss that stores each response).
"""
import argparse
import socket
import sys


class ProtocolError(Exception):
    pass


class Connection:
    def __init__(self, port: int, timeout: float) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ProtocolError("connection closed by the server")
        self.buf += chunk

    def read_head(self) -> bytes:
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                head = bytes(self.buf[:end])
                del self.buf[: end + 4]
                return head
            if len(self.buf) > 64 * 1024:
                raise ProtocolError("response head larger than 64 KiB")
            self._fill()

    def read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data


def one_request(conn: Connection, request: bytes, expect_bytes: int) -> None:
    conn.sock.sendall(request)
    head = conn.read_head()
    lines = head.split(b"\r\n")
    status = lines[0].split(b" ", 2)
    if len(status) < 2 or status[1] != b"200":
        raise ProtocolError(f"unexpected status line: {lines[0]!r}")
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"connection" and b"close" in value.lower():
            raise ProtocolError("server asked to close the connection")
        elif name == b"transfer-encoding":
            raise ProtocolError("chunked response; expected Content-Length")
    if length is None:
        raise ProtocolError("response has no Content-Length")
    if length != expect_bytes:
        raise ProtocolError(f"Content-Length {length}, expected {expect_bytes}")
    conn.read_exact(length)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--path", default="/bytes/1024")
    parser.add_argument("--expect-bytes", type=int, default=1024)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--unique-paths", action="store_true")
    args = parser.parse_args()

    request = f"GET {args.path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    done = 0
    try:
        conn = Connection(args.port, args.timeout)
        for done in range(args.requests):
            if args.unique_paths:
                request = f"GET {args.path}?u={done} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
            one_request(conn, request, args.expect_bytes)
        done = args.requests
        conn.sock.close()
    except (OSError, ProtocolError, ValueError) as exc:
        print(f"keepalive_client: request {done + 1}/{args.requests}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
