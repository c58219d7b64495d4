"""A small RFC 6455 WebSocket client for the integration tests (the stdlib
has none, and Debian's python3-websockets serves only the system Python).

Speaks the client side exactly: a random Sec-WebSocket-Key whose
Sec-WebSocket-Accept is checked, masked frames, fragmented messages
reassembled, pings answered, the close handshake.
"""

import base64
import hashlib
import os
import socket
import struct

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class HandshakeError(Exception):
    def __init__(self, status, head):
        super().__init__("handshake failed with status %s" % status)
        self.status = status
        self.head = head


class WebSocket:
    def __init__(self, port, path, host="127.0.0.1", timeout=10.0, headers=None):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ["GET %s HTTP/1.1" % path, "Host: %s:%d" % (host, port), "Upgrade: websocket",
                 "Connection: Upgrade", "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13"]
        for name, value in (headers or {}).items():
            lines.append("%s: %s" % (name, value))
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = self._read_head()
        status_line = head.split(b"\r\n", 1)[0].decode()
        status = int(status_line.split(" ")[1])
        self.response_headers = {}
        for line in head.split(b"\r\n")[1:]:
            if b":" in line:
                name, value = line.split(b":", 1)
                self.response_headers[name.decode().strip().lower()] = value.decode().strip()
        if status != 101:
            self.sock.close()
            raise HandshakeError(status, head)
        expected = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        if self.response_headers.get("sec-websocket-accept") != expected:
            raise AssertionError("wrong Sec-WebSocket-Accept: %r" % self.response_headers)

    def _read_head(self):
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the handshake: %r" % self.buf)
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        return head

    def _exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send_frame(self, opcode, payload, fin=True):
        header = bytes([(0x80 if fin else 0) | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_text(self, text):
        self.send_frame(OP_TEXT, text.encode())

    def _frame(self):
        b0, b1 = self._exact(2)
        n = b1 & 0x7F
        if b1 & 0x80:
            raise AssertionError("a server frame must not be masked")
        if n == 126:
            n = struct.unpack("!H", self._exact(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._exact(8))[0]
        return bool(b0 & 0x80), b0 & 0x0F, self._exact(n)

    def recv(self):
        """The next message as (opcode, bytes); control frames other than
        close are handled here. A close comes back as (OP_CLOSE, payload)."""
        opcode, parts = None, []
        while True:
            fin, op, payload = self._frame()
            if op == OP_PING:
                self.send_frame(OP_PONG, payload)
                continue
            if op == OP_PONG:
                continue
            if op == OP_CLOSE:
                return OP_CLOSE, payload
            if op != OP_CONT:
                opcode = op
            parts.append(payload)
            if fin:
                return opcode, b"".join(parts)

    def recv_text(self):
        op, data = self.recv()
        if op != OP_TEXT:
            raise AssertionError("expected a text message, got opcode %s: %r" % (op, data))
        return data.decode()

    def close(self, code=1000):
        """The close handshake: send a close, wait for the peer's."""
        try:
            self.send_frame(OP_CLOSE, struct.pack("!H", code))
            while True:
                op, _ = self.recv()
                if op == OP_CLOSE:
                    break
        except (ConnectionError, OSError):
            pass
        finally:
            self.sock.close()
