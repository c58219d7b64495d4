"""Shared harness for Gatehouse integration tests.

Starts the real binaries (gatehouse, gatehouse-upstream) on ports chosen at
run time, on 127.0.0.1 only, and offers raw-socket and curl clients. Every
process started here is stopped in tearDown; nothing is mocked.

Binary paths come from the environment that CTest sets (GATEHOUSE_BIN,
GATEHOUSE_UPSTREAM_BIN); run a file by hand with those set, e.g.
  GATEHOUSE_BIN=build/bin/gatehouse GATEHOUSE_UPSTREAM_BIN=build/bin/gatehouse-upstream \
    python3 -m unittest -v test_proxy_basics
"""

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import time
import unittest
import urllib.request

GATEHOUSE_BIN = os.environ.get("GATEHOUSE_BIN", "build/bin/gatehouse")
UPSTREAM_BIN = os.environ.get("GATEHOUSE_UPSTREAM_BIN", "build/bin/gatehouse-upstream")
SOURCE_DIR = os.environ.get(
    "GATEHOUSE_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

# Sanitizer builds are several times slower; waits scale with this.
SLOW = float(os.environ.get("GATEHOUSE_TEST_SLOWDOWN", "1"))

# Every temporary file and directory this test process makes (its children's
# logs, configs, stores) goes in one directory, removed when the process
# exits: a run leaves nothing behind in /tmp. A failing test puts the output
# it needs into its assertion message; set GATEHOUSE_KEEP_TEST_FILES=1 to
# keep the files as well (the directory is printed).
RUN_DIR = tempfile.mkdtemp(prefix="gatehouse-it-")
tempfile.tempdir = RUN_DIR
if os.environ.get("GATEHOUSE_KEEP_TEST_FILES"):
    atexit.register(lambda: print("test files kept in", RUN_DIR))
else:
    atexit.register(shutil.rmtree, RUN_DIR, ignore_errors=True)


def free_port():
    """A TCP port that was free a moment ago (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def held_listener_port():
    """(port, socket): a port for a Gatehouse listener, kept bound with
    SO_REUSEPORT (not listening) until the socket is closed. Gatehouse binds
    its listeners with SO_REUSEPORT, so two Gatehouses that picked the same
    free_port() (tests run in parallel processes) would both bind it and share
    its connections silently; while this socket holds the port, no other
    process's free_port() or held_listener_port() returns it, and only
    processes of this user that set SO_REUSEPORT can bind it."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1], s


# Sockets bound by refused_port(), held for the life of the test process.
_REFUSING_SOCKETS = []


def refused_port():
    """A TCP port on 127.0.0.1 that refuses connections for as long as this
    test process runs: it stays bound without listening, so no other test
    running in parallel can start listening on it (as a merely free port could)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    _REFUSING_SOCKETS.append(s)
    return s.getsockname()[1]


class ExitedBeforeListening(RuntimeError):
    pass


def wait_for_port(port, timeout=10.0, proc=None):
    deadline = time.monotonic() + timeout * SLOW
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ExitedBeforeListening("process exited with %s before listening" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("nothing listening on port %d" % port)


class Process:
    """A child process whose output goes to a temporary log file."""

    def __init__(self, args, name, env=None):
        self.name = name
        self.log = tempfile.NamedTemporaryFile(prefix=name + "-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=env or os.environ.copy())

    def output(self):
        with open(self.log.name, "r", errors="replace") as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=15.0):
        """Signals the process and returns its exit code (kills it on timeout)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout * SLOW)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


# A port from free_port() can be taken before the child binds it (another
# test's outgoing connection may get it as its ephemeral source port), so a
# child that fails for that reason is started again on fresh ports.
START_ATTEMPTS = 5


def start_listening(process, start, port_of):
    """Calls start() (which picks ports and starts the child) until the
    child listens on port_of(), retrying only when it exited because an
    address was in use; any other early exit raises with the child's output."""
    for attempt in range(START_ATTEMPTS):
        start()
        try:
            wait_for_port(port_of(), proc=process.proc)
            return
        except ExitedBeforeListening as e:
            output = process.output()
            if "Address already in use" in output and attempt + 1 < START_ATTEMPTS:
                continue
            raise ExitedBeforeListening("%s: %s\n%s" % (process.name, e, output)) from None


class Upstream(Process):
    def __init__(self, threads=1):
        def start():
            self.port = free_port()
            Process.__init__(self, [UPSTREAM_BIN, "--listen", "127.0.0.1:%d" % self.port,
                                    "--threads", str(threads)], "upstream")
        start_listening(self, start, lambda: self.port)

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port


class Gatehouse(Process):
    """Gatehouse started from a YAML text or a config dict; the placeholders
    {port} and {admin_port} are replaced by the ports chosen for it."""

    def __init__(self, config, env=None):
        self.dir = tempfile.mkdtemp(prefix="gatehouse-test-")
        self.config_path = os.path.join(self.dir, "gatehouse.yaml")
        yaml_text = config if isinstance(config, str) else json.dumps(config, indent=2)

        self._port_hold = None

        def start():
            self._release_port()
            self.port, self._port_hold = held_listener_port()
            self.admin_port = free_port()
            while self.admin_port == self.port:
                self.admin_port = free_port()
            text = textwrap.dedent(yaml_text).replace("{port}", str(self.port)) \
                                             .replace("{admin_port}", str(self.admin_port))
            with open(self.config_path, "w") as f:
                f.write(text)
            Process.__init__(self, [GATEHOUSE_BIN, "--config", self.config_path], "gatehouse",
                             env=env)
        start_listening(self, start, lambda: self.port)

    def _release_port(self):
        if self._port_hold is not None:
            self._port_hold.close()
            self._port_hold = None

    def stop(self, *args, **kwargs):
        try:
            return Process.stop(self, *args, **kwargs)
        finally:
            self._release_port()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def admin(self, path):
        """(status, body text) of a GET on the admin listener."""
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.admin_port, path),
                                        timeout=5 * SLOW) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def metric(self, name, /, **labels):
        """The value of one sample in /metrics, or None when absent."""
        _, text = self.admin("/metrics")
        for line in text.splitlines():
            if line.startswith("#") or not line.startswith(name):
                continue
            head, _, value = line.rpartition(" ")
            if head.split("{")[0] != name:
                continue
            wanted = all('%s="%s"' % (k, v) in head for k, v in labels.items())
            if wanted:
                return float(value)
        return None


def simple_config(upstream_addresses, workers=1, **upstream_options):
    """A config dict (YAML is a superset of JSON) with one route `all` sending
    everything to one upstream group `app`. Tests adjust the dict as needed:
    cfg["listeners"][0]["header_timeout"] = "1s", cfg["routes"][0]["policies"] = [...]."""
    upstream = {"targets": list(upstream_addresses)}
    upstream.update(upstream_options)
    return {
        "workers": workers,
        "listeners": [{"name": "public", "address": "127.0.0.1:{port}"}],
        "admin": {"address": "127.0.0.1:{admin_port}"},
        "upstreams": {"app": upstream},
        "routes": [{"name": "all", "match": {"path_prefix": "/"}, "upstream": "app"}],
    }


class RawResponse:
    def __init__(self, status, reason, headers, body, raw_head):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value) in order
        self.body = body
        self.raw_head = raw_head

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body)


class RawClient:
    """A blocking HTTP/1.1 client over one socket, for exact bytes on the wire."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout * SLOW)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed by peer")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def _exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_response(self, head_request=False):
        """Reads one response (interim 1xx responses are returned too)."""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        raw_head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = raw_head.decode("latin-1").split("\r\n")
        version, status, *reason = lines[0].split(" ", 2)
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        status = int(status)
        resp = RawResponse(status, reason[0] if reason else "", headers, b"", raw_head)
        if head_request or status < 200 or status in (204, 304):
            return resp
        te = resp.header("transfer-encoding")
        cl = resp.header("content-length")
        if te is not None and "chunked" in te.lower():
            body = b""
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line() != b"":
                        pass
                    break
                body += self._exact(size)
                self._line()
            resp.body = body
        elif cl is not None:
            resp.body = self._exact(int(cl))
        else:
            while True:
                try:
                    self._fill()
                except ConnectionError:
                    break
            resp.body, self.buf = self.buf, b""
        return resp

    def request(self, method, path, headers=None, body=None, host="test"):
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s" % host]
        for k, v in (headers or {}).items():
            lines.append("%s: %s" % (k, v))
        if body is not None and not any(k.lower() in ("content-length", "transfer-encoding")
                                        for k in (headers or {})):
            lines.append("Content-Length: %d" % len(body))
        data = ("\r\n".join(lines) + "\r\n\r\n").encode()
        if body is not None:
            data += body if isinstance(body, bytes) else body.encode()
        self.send(data)
        return self.read_response(head_request=(method == "HEAD"))

    def is_closed(self, timeout=2.0):
        """True when the peer closes the connection within `timeout` (data is discarded)."""
        self.sock.settimeout(timeout * SLOW)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
        except (socket.timeout, TimeoutError):
            return False
        except ConnectionResetError:
            return True


def curl(*args, timeout=30):
    """Runs curl and returns the CompletedProcess (stdout as bytes)."""
    return subprocess.run(["curl", "-sS", *args], capture_output=True, timeout=timeout * SLOW)


SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")


def assert_no_sanitizer_report(test, process):
    """A sanitizer report in a child fails the test even when every response
    looked right (the sanitizer build runs this same suite)."""
    out = process.output()
    for marker in SANITIZER_MARKERS:
        test.assertNotIn(marker, out, "%s reported a sanitizer error:\n%s" % (process.name, out[-4000:]))


def assert_stops_cleanly(test, process):
    """Stops `process`; it must exit 0 without a sanitizer report."""
    code = process.stop()
    test.assertEqual(code, 0, "%s exited with %s:\n%s" % (process.name, code, process.output()[-4000:]))
    assert_no_sanitizer_report(test, process)


class GatehouseTestCase(unittest.TestCase):
    """Tracks started processes and stops them after each test."""

    def setUp(self):
        self._processes = []

    def tearDown(self):
        for p in reversed(self._processes):
            p.stop()
        for p in self._processes:
            assert_no_sanitizer_report(self, p)

    def start_upstream(self, threads=1):
        u = Upstream(threads)
        self._processes.append(u)
        return u

    def start_gatehouse(self, config, env=None):
        g = Gatehouse(config, env)
        self._processes.append(g)
        return g
