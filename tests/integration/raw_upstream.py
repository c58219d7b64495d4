"""A raw HTTP/1.1 upstream for tests that need bytes no well-behaved server
library would send: it accepts connections on 127.0.0.1, reads requests
(bodies by Content-Length or chunked) one after another on each
connection, and lets a subclass write whatever it likes for each."""

import socket
import threading
import time

from harness import SLOW


class RawUpstream:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.address = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.connections = 0
        self.requests = []  # what record() was given, in arrival order
        threading.Thread(target=self._accept, daemon=True).start()

    def answer(self, conn, number, method, path):
        """Writes the response to one request; `number` counts connections
        from 1. Runs on the connection's own thread."""
        raise NotImplementedError

    def answer_with_body(self, conn, number, method, path, body):
        """As answer(), with the request's body (b"" when it had none).
        Returns False to stop serving the connection (it is closed)."""
        self.answer(conn, number, method, path)
        return True

    def close(self):
        self.sock.close()

    def record(self, *entry):
        """Notes one request (any tuple a test wants to compare later)."""
        with self.lock:
            self.requests.append(entry)

    def recorded(self, n, ordered=False):
        """The recorded requests once `n` have arrived (or after 5 s):
        sorted, or in arrival order when `ordered`."""
        deadline = time.monotonic() + 5 * SLOW
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.requests) >= n:
                    break
            time.sleep(0.01)
        with self.lock:
            return list(self.requests) if ordered else sorted(self.requests)

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                number = self.connections
            threading.Thread(target=self._serve, args=(conn, number), daemon=True).start()

    def _serve(self, conn, number):
        reader = _Reader(conn)
        with conn:
            while True:
                head = reader.until(b"\r\n\r\n")
                if head is None:
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, path = lines[0].split(" ")[:2]
                fields = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    fields[name.strip().lower()] = value.strip()
                body = b""
                if "chunked" in fields.get("transfer-encoding", "").lower():
                    while True:
                        size_line = reader.until(b"\r\n")
                        if size_line is None:
                            return
                        size = int(size_line.split(b";")[0], 16)
                        chunk = reader.exactly(size + 2)
                        if chunk is None:
                            return
                        if size == 0:
                            break  # no trailer fields expected
                        body += chunk[:-2]
                elif "content-length" in fields:
                    body = reader.exactly(int(fields["content-length"]))
                    if body is None:
                        return
                if not self.answer_with_body(conn, number, method, path, body):
                    return


class _Reader:
    """Buffered reads from a socket; None once the peer has closed."""

    def __init__(self, conn):
        self.conn = conn
        self.data = b""

    def _fill(self):
        chunk = self.conn.recv(4096)
        self.data += chunk
        return bool(chunk)

    def until(self, delimiter):
        while delimiter not in self.data:
            if not self._fill():
                return None
        out, _, self.data = self.data.partition(delimiter)
        return out

    def exactly(self, n):
        while len(self.data) < n:
            if not self._fill():
                return None
        out, self.data = self.data[:n], self.data[n:]
        return out
