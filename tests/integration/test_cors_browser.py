"""CORS in a real browser: headless Chromium (Debian's `chromium`) loads a
page from one local origin that fetches through Gatehouse on another. The
page writes what happened into its DOM; the test reads the DOM that
`--dump-dom` prints. An allowed origin must get the data (after a preflight
that Gatehouse answers itself), a disallowed origin must be blocked by the
browser, and no preflight may reach the upstream.

Origins differ by port: http://127.0.0.1:<page port> vs Gatehouse's
http://127.0.0.1:<gatehouse port>. Skipped (loudly) when chromium is not
installed; scripts/install-deps installs it."""

import http.server
import os
import re
import shutil
import subprocess
import tempfile
import threading
import unittest

from counting_upstream import CountingUpstream
from harness import SLOW, GatehouseTestCase, simple_config

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

PAGE = """<!doctype html>
<html><head><title>pending</title></head>
<body><pre id="result">pending</pre>
<script>
async function run() {
  const out = [];
  for (const [name, init] of [
      ["put", {method: "PUT", headers: {"Content-Type": "application/json", "X-Trace": "1"}, body: "{}"}],
      ["get", {method: "GET"}]]) {
    try {
      const r = await fetch("%(api)s/api/data?" + name, init);
      const body = await r.json();
      out.push(name + "=OK:" + r.status + ":" + body.secret);
    } catch (e) {
      out.push(name + "=BLOCKED:" + e.name);
    }
  }
  document.getElementById("result").textContent = "DONE " + out.join(" ");
}
run();
</script></body></html>
"""


class PageServer:
    """Serves one HTML page at / from its own origin, in a thread. The page
    is set after start (`html`), once the port it must fetch from is known."""

    def __init__(self):
        self.html = ""
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                body = owner.html.encode()
                self.send_response(200 if self.path == "/" else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@unittest.skipIf(CHROMIUM is None, "chromium is not installed (scripts/install-deps installs it)")
class CorsBrowserTest(GatehouseTestCase):
    def load_in_chromium(self, url):
        """The page's result text once its script has finished."""
        profile = tempfile.mkdtemp(prefix="gatehouse-chromium-")
        self.addCleanup(shutil.rmtree, profile, True)
        args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-extensions", "--disable-background-networking", "--disable-dev-shm-usage",
                "--user-data-dir=" + profile, "--virtual-time-budget=%d" % int(20000 * SLOW),
                "--dump-dom", url]
        # Several tries: a loaded machine can make Chromium itself fail to
        # start; the page's outcome is never retried into a pass (each run
        # must say DONE, and the assertions hold for every run that does).
        last = None
        for _ in range(3):
            r = subprocess.run(args, capture_output=True, text=True, timeout=120 * SLOW,
                               env=dict(os.environ, HOME=profile))
            m = re.search(r'<pre id="result">([^<]*)</pre>', r.stdout)
            if m and m.group(1).startswith("DONE"):
                return m.group(1)
            last = (r.returncode, r.stdout[-2000:], r.stderr[-3000:])
        self.fail("Chromium did not finish the page: %r" % (last,))

    def test_allowed_origin_reads_the_data_and_a_disallowed_one_is_blocked(self):
        upstream = CountingUpstream()
        self.addCleanup(upstream.stop)
        allowed_page, blocked_page = PageServer(), PageServer()
        self.addCleanup(allowed_page.stop)
        self.addCleanup(blocked_page.stop)

        cfg = simple_config([upstream.address])
        cfg["routes"][0]["policies"] = [{"cors": {
            "allow_origins": [allowed_page.origin],
            "allow_methods": ["GET", "PUT"],
            "allow_headers": ["Content-Type", "X-Trace"],
        }}]
        gh = self.start_gatehouse(cfg)
        allowed_page.html = blocked_page.html = PAGE % {"api": "http://127.0.0.1:%d" % gh.port}

        # The PUT with a custom header needs a preflight; the GET does not.
        self.assertEqual(self.load_in_chromium(allowed_page.origin + "/"),
                         "DONE put=OK:200:upstream-data get=OK:200:upstream-data")
        seen = upstream.seen()
        self.assertEqual([m for m, _, _ in seen], ["PUT", "GET"])  # the preflight stayed in Gatehouse
        self.assertEqual(seen[0][2].get("origin"), allowed_page.origin)

        # A disallowed origin: the preflight is refused, so the browser never
        # sends the PUT; the simple GET is sent, but the page may not read it.
        self.assertEqual(self.load_in_chromium(blocked_page.origin + "/"),
                         "DONE put=BLOCKED:TypeError get=BLOCKED:TypeError")
        self.assertEqual([m for m, _, _ in upstream.seen()], ["PUT", "GET", "GET"])


if __name__ == "__main__":
    unittest.main()
