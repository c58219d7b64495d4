#!/usr/bin/env python3
"""Make N sequential HTTPS requests, each on a NEW connection with a full TLS
handshake (no session resumption), for scripts/bench's callgrind count of
the instructions a proxy spends per handshake. With --resume, every
connection after the first resumes the session (the ticket) the previous
one received, as wrk and browsers do, and must be reported as resumed.

Each request is `GET PATH` with `Connection: close`; the response must be 200
with exactly the expected body length, read to EOF.

Usage: tls_handshake_client.py --port P --requests N --cafile CERT [--resume]
                               [--path /bytes/1024] [--expect-bytes 1024]
"""
import argparse
import socket
import ssl
import sys


def one_request(ctx: ssl.SSLContext, port: int, path: str, expect: int, timeout: float,
                session=None):
    """Returns the session the server gave this connection (None without tickets)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as tls:
            tls.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
            data = bytearray()
            while True:
                chunk = tls.recv(65536)
                if not chunk:
                    break
                data += chunk
            if session is not None and not tls.session_reused:
                raise RuntimeError("the server did not resume the offered session")
            new_session = tls.session
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0]
    if b" 200 " not in status + b" ":
        raise RuntimeError(f"unexpected status line {status!r}")
    if len(body) != expect:
        raise RuntimeError(f"expected {expect} body bytes, got {len(body)}")
    return new_session


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--requests", type=int, required=True)
    p.add_argument("--cafile", required=True)
    p.add_argument("--path", default="/bytes/1024")
    p.add_argument("--expect-bytes", type=int, default=1024)
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--resume", action="store_true")
    args = p.parse_args()
    ctx = ssl.create_default_context(cafile=args.cafile)
    if not args.resume:
        # Every connection must pay for a full handshake.
        ctx.options |= ssl.OP_NO_TICKET
    session = None
    for i in range(args.requests):
        try:
            # Without `session=`, wrap_socket never resumes.
            received = one_request(ctx, args.port, args.path, args.expect_bytes, args.timeout,
                                   session if args.resume else None)
            if args.resume:
                if received is None:
                    raise RuntimeError("the server sent no session ticket")
                session = received
        except (OSError, RuntimeError, ssl.SSLError) as exc:
            print(f"request {i + 1}: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
