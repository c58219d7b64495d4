"""A raw HTTP/1.1 upstream for tests that need bytes no well-behaved server
library would send: it accepts connections on 127.0.0.1, reads request
heads (requests without bodies) one after another on each connection, and
lets a subclass write whatever it likes for each."""

import socket
import threading


class RawUpstream:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.address = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def answer(self, conn, number, method, path):
        """Writes the response to one request; `number` counts connections
        from 1. Runs on the connection's own thread."""
        raise NotImplementedError

    def close(self):
        self.sock.close()

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
        data = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                head, _, data = data.partition(b"\r\n\r\n")
                method, path = head.split(b" ")[:2]
                self.answer(conn, number, method.decode(), path.decode())
