"""The command line: --version, `check --config`, error reporting with
file:line:column and key paths, environment substitution, and refusing to
start on an invalid configuration."""

import os
import re
import socket
import subprocess
import tempfile
import textwrap
import unittest

from harness import (GATEHOUSE_BIN, SLOW, SOURCE_DIR, GatehouseTestCase, Process, RawClient,
                     free_port, wait_for_port)


def write_config(text, name="gatehouse.yaml"):
    directory = tempfile.mkdtemp(prefix="gatehouse-cli-")
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(textwrap.dedent(text).lstrip("\n"))
    return path


def run(*args, env=None, timeout=20):
    return subprocess.run([GATEHOUSE_BIN, *args], capture_output=True, text=True,
                          timeout=timeout * SLOW, env=env)


def position(text, line_marker, token):
    """(line, column), 1-based, of `token` on the first line containing `line_marker`."""
    lines = textwrap.dedent(text).lstrip("\n").splitlines()
    for i, line in enumerate(lines):
        if line_marker in line:
            return i + 1, line.index(token) + 1
    raise AssertionError("marker %r not in the config literal" % line_marker)


def listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


GOOD = """
workers: 1
drain_timeout: 5s
listeners:
  - name: public
    address: 127.0.0.1:{port}
    max_header_size: 16KiB
    header_timeout: 5s
admin:
  address: 127.0.0.1:{admin_port}
upstreams:
  app:
    targets: ["127.0.0.1:3000", "localhost:3001"]
    connect_timeout: 1s
    timeout: 30s
routes:
  - name: api
    match: {{path_prefix: /api, methods: [GET, POST]}}
    upstream: app
  - name: all
    match: {{path_prefix: /}}
    upstream: app
"""

# Several independent errors; positions are computed from this text.
BAD = """
workers: 1
listeners:
  - name: public
    address: 127.0.0.1:8080
    max_header_size: 4KB
upstreams:
  app:
    targets: ["127.0.0.1:3000"]
    conect_timeout: 2s
    timeout: 5 seconds
routes:
  - name: all
    match: {path_prefix: /}
    upstream: ap
"""


class CliTest(GatehouseTestCase):

    def test_version(self):
        r = run("--version")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout.strip(), r"^gatehouse \d+\.\d+\.\d+\S*$")

    def test_usage_errors(self):
        r = run()
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("usage", r.stderr)
        r = run("--no-such-flag")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--no-such-flag", r.stderr)

    def test_check_good_config(self):
        path = write_config(GOOD.format(port=free_port(), admin_port=free_port()))
        r = run("check", "--config", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("error", r.stderr.lower())

    def test_check_reports_each_error_with_position_and_key_path(self):
        path = write_config(BAD)
        r = run("check", "--config", path)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        out = r.stdout + r.stderr
        error_lines = [l for l in out.splitlines() if l.startswith(path + ":")]

        expected = [
            (position(BAD, "max_header_size:", "4KB"), "listeners[0].max_header_size",
             r"size"),
            (position(BAD, "conect_timeout:", "conect_timeout"), "upstreams.app.conect_timeout",
             r"unknown key `conect_timeout`.*did you mean `connect_timeout`"),
            (position(BAD, "timeout: 5 seconds", "5 seconds"), "upstreams.app.timeout",
             r"duration"),
            (position(BAD, "upstream: ap", "ap"), "routes[0].upstream",
             r"unknown upstream `ap`.*did you mean `app`"),
        ]
        for (line, column), key_path, message in expected:
            prefix = "%s:%d:%d: %s: " % (path, line, column, key_path)
            matching = [l for l in error_lines if l.startswith(prefix)]
            self.assertEqual(len(matching), 1, "no line starting %r in:\n%s" % (prefix, out))
            self.assertRegex(matching[0][len(prefix):], message)
        self.assertEqual(len(error_lines), len(expected), out)
        # Errors come in file order.
        numbers = [int(l[len(path) + 1:].split(":")[0]) for l in error_lines]
        self.assertEqual(numbers, sorted(numbers))

    def test_check_yaml_syntax_error(self):
        text = """
        listeners:
          - name: public
            address: 127.0.0.1:8080
        upstreams:
          app:
            targets: [127.0.0.1:3000
        routes: []
        """
        path = write_config(text)
        r = run("check", "--config", path)
        self.assertEqual(r.returncode, 1, r.stderr)
        m = re.search(re.escape(path) + r":(\d+):(\d+): (.*)", r.stderr)
        self.assertIsNotNone(m, r.stderr)
        self.assertIn("YAML", m.group(3))
        # The unclosed flow sequence opens on line 6 and is noticed at or after it.
        self.assertGreaterEqual(int(m.group(1)), 6, r.stderr)
        self.assertLessEqual(int(m.group(1)), 8, r.stderr)

    def test_check_yaml_bad_indentation(self):
        text = """
        listeners:
          - name: public
            address: 127.0.0.1:8080
           oops: 1
        """
        path = write_config(text)
        r = run("check", "--config", path)
        self.assertEqual(r.returncode, 1, r.stderr)
        m = re.search(re.escape(path) + r":(\d+):(\d+): ", r.stderr)
        self.assertIsNotNone(m, r.stderr)
        self.assertEqual(int(m.group(1)), 4, r.stderr)  # the misindented key

    def test_check_missing_file(self):
        missing = os.path.join(tempfile.mkdtemp(), "nope.yaml")
        r = run("check", "--config", missing)
        self.assertEqual(r.returncode, 1)
        self.assertIn(missing, r.stderr)

    def test_run_with_invalid_config_exits_without_listening(self):
        port = free_port()
        text = """
        listeners:
          - name: public
            address: 127.0.0.1:%d
        upstreams:
          app:
            targets: ["127.0.0.1:3000"]
        routes:
          - name: all
            upstream: missing
        """ % port
        path = write_config(text)
        p = subprocess.Popen([GATEHOUSE_BIN, "--config", path], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            _, err = p.communicate(timeout=10 * SLOW)
        except subprocess.TimeoutExpired:
            self.assertFalse(listening(port), "listening despite an invalid config")
            p.kill()
            p.communicate()
            self.fail("gatehouse kept running with an invalid config")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("routes[0].upstream", err)
        self.assertIn("unknown upstream `missing`", err)
        self.assertFalse(listening(port))

    # --- environment substitution -------------------------------------------------

    ENV_CONFIG = """
    workers: 1
    listeners:
      - name: public
        address: 127.0.0.1:${GH_TEST_PUBLIC_PORT}
    admin:
      address: "127.0.0.1:${GH_TEST_ADMIN_PORT:-%d}"
    upstreams:
      app:
        targets: ["${GH_TEST_UPSTREAM}"]
        timeout: ${GH_TEST_TIMEOUT:-5s}
    routes:
      - name: all
        match: {path_prefix: /}
        upstream: app
    """

    def test_environment_substitution_when_running(self):
        up = self.start_upstream()
        port, admin_port = free_port(), free_port()
        path = write_config(self.ENV_CONFIG % admin_port)
        env = {k: v for k, v in os.environ.items() if not k.startswith("GH_TEST_")}
        env.update(GH_TEST_PUBLIC_PORT=str(port), GH_TEST_UPSTREAM=up.address,
                   GH_TEST_TIMEOUT="")  # empty takes the default, as in the shell
        r = run("check", "--config", path, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        gh = Process([GATEHOUSE_BIN, "--config", path], "gatehouse", env=env)
        self._processes.append(gh)
        wait_for_port(port, proc=gh.proc)
        c = RawClient(port)
        resp = c.request("GET", "/bytes/4")
        c.close()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.header("x-upstream-port"), str(up.port))
        # The admin address came from the default.
        wait_for_port(admin_port, proc=gh.proc)
        self.assertEqual(gh.stop(), 0)

    def test_unset_variable_without_default_is_an_error(self):
        path = write_config(self.ENV_CONFIG % free_port())
        env = {k: v for k, v in os.environ.items() if not k.startswith("GH_TEST_")}
        env.update(GH_TEST_PUBLIC_PORT=str(free_port()))  # GH_TEST_UPSTREAM left unset
        r = run("check", "--config", path, env=env)
        self.assertEqual(r.returncode, 1, r.stderr)
        line, column = position(self.ENV_CONFIG % 1, "${GH_TEST_UPSTREAM}", '"')
        self.assertRegex(r.stderr, re.escape(path) + r":%d:\d+: upstreams\.app\.targets\[0\]: .*"
                         r"`GH_TEST_UPSTREAM`" % line)
        self.assertIn("GH_TEST_UPSTREAM", r.stderr)
        # Running refuses too.
        r = run("--config", path, env=env)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("GH_TEST_UPSTREAM", r.stderr)

    def test_literal_dollar_brace_is_escaped(self):
        text = """
        listeners:
          - name: "$${not_a_var}"
            address: 127.0.0.1:%d
        """ % free_port()
        r = run("check", "--config", write_config(text))
        self.assertEqual(r.returncode, 0, r.stderr)

    # --- the shipped configuration ----------------------------------------------------

    def test_shipped_config_passes_check(self):
        path = os.path.join(SOURCE_DIR, "config", "gatehouse.yaml")
        self.assertTrue(os.path.isfile(path), "%s is missing" % path)
        # The HTTPS listener's certificate, as scripts/demo makes it.
        tls_dir = tempfile.mkdtemp(prefix="gatehouse-demo-tls-")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-days", "1", "-subj", "/CN=localhost",
                        "-keyout", os.path.join(tls_dir, "localhost.key"),
                        "-out", os.path.join(tls_dir, "localhost.crt")], check=True, capture_output=True)
        r = run("check", "--config", path, env=dict(os.environ, GATEHOUSE_DEMO_TLS_DIR=tls_dir))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = run("check", "--config", path, env=dict(os.environ, GATEHOUSE_DEMO_TLS_DIR="/nonexistent"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("/nonexistent/localhost.crt: cannot read the file", r.stderr)


if __name__ == "__main__":
    unittest.main()
