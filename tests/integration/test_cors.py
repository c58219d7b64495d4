"""The `cors` policy against a real Gatehouse, with curl and raw HTTP
clients: preflights are answered by Gatehouse and never reach the upstream
(a counting upstream proves it), actual requests get the allowed origin
echoed with `Vary: Origin`, disallowed origins get no CORS headers."""

import json
import os
import subprocess
import tempfile
import unittest

from counting_upstream import CountingUpstream
from harness import GATEHOUSE_BIN, SLOW, GatehouseTestCase, RawClient, curl, simple_config


def cors_config(upstream, **options):
    cors = {
        "allow_origins": ["https://app.example.com", "https://*.example.org"],
        "allow_origin_patterns": [r"https://pr-[0-9]+\.preview\.example\.net"],
        "allow_methods": ["GET", "PUT", "DELETE"],
        "allow_headers": ["Content-Type", "Authorization", "X-Trace"],
        "expose_headers": ["X-Request-Id"],
        "allow_credentials": True,
        "max_age": "10m",
    }
    cors.update(options)
    cfg = simple_config([upstream.address])
    cfg["routes"][0]["policies"] = [{"cors": cors}]
    return cfg


class CorsTest(GatehouseTestCase):
    def setUp(self):
        super().setUp()
        self.upstream = CountingUpstream(extra_headers=[("Vary", "Accept-Encoding"),
                                                        ("Access-Control-Allow-Origin", "*")])
        self.addCleanup(self.upstream.stop)

    def test_preflight_is_answered_by_gatehouse_and_never_reaches_the_upstream(self):
        gh = self.start_gatehouse(cors_config(self.upstream))
        client = RawClient(gh.port)
        for _ in range(3):  # on one keep-alive connection
            r = client.request("OPTIONS", "/api/items/1", {
                "Origin": "https://app.example.com",
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "content-type, x-trace",
            })
            self.assertEqual(r.status, 204)
            self.assertEqual(r.body, b"")
            self.assertIsNone(r.header("Content-Length"))
            self.assertEqual(r.header("Access-Control-Allow-Origin"), "https://app.example.com")
            self.assertEqual(r.header("Access-Control-Allow-Credentials"), "true")
            self.assertEqual(r.header("Access-Control-Allow-Methods"), "GET, PUT, DELETE")
            self.assertEqual(r.header("Access-Control-Allow-Headers"), "content-type, x-trace")
            self.assertEqual(r.header("Access-Control-Max-Age"), "600")
            self.assertIn("Origin", r.header("Vary"))
        # A wildcard subdomain and a pattern, with curl.
        for origin in ("https://a.b.example.org", "https://pr-17.preview.example.net"):
            out = curl("-i", "-X", "OPTIONS", "-H", "Origin: " + origin, "-H", "Access-Control-Request-Method: DELETE",
                       gh.url("/x")).stdout.decode()
            self.assertTrue(out.startswith("HTTP/1.1 204"), out)
            self.assertIn("access-control-allow-origin: " + origin, out.lower())
        self.assertEqual(self.upstream.seen(), [])  # not one preflight went upstream

    def test_disallowed_preflight_is_403_without_cors_headers(self):
        gh = self.start_gatehouse(cors_config(self.upstream))
        client = RawClient(gh.port)
        cases = [
            ({"Origin": "https://evil.example"}, "PUT", "cors_origin_not_allowed"),
            ({"Origin": "https://example.org"}, "PUT", "cors_origin_not_allowed"),  # not a subdomain
            ({"Origin": "https://app.example.com"}, "PATCH", "cors_method_not_allowed"),
            ({"Origin": "https://app.example.com", "Access-Control-Request-Headers": "x-secret"}, "GET",
             "cors_header_not_allowed"),
        ]
        for headers, method, code in cases:
            headers = dict(headers, **{"Access-Control-Request-Method": method})
            r = client.request("OPTIONS", "/api", headers)
            self.assertEqual(r.status, 403, headers)
            self.assertEqual(r.json()["error"]["code"], code)
            self.assertEqual([k for k, _ in r.headers if k.lower().startswith("access-control-")], [], r.headers)
        self.assertEqual(self.upstream.seen(), [])

    def test_actual_requests_echo_an_allowed_origin_and_append_vary(self):
        gh = self.start_gatehouse(cors_config(self.upstream))
        client = RawClient(gh.port)
        r = client.request("PUT", "/api/items/1", {"Origin": "https://app.example.com",
                                                   "Content-Type": "application/json"}, body="{}")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["secret"], "upstream-data")
        # The upstream's own `*` is replaced; exactly one ACAO field.
        self.assertEqual(r.header_all("Access-Control-Allow-Origin"), ["https://app.example.com"])
        self.assertEqual(r.header("Access-Control-Allow-Credentials"), "true")
        self.assertEqual(r.header("Access-Control-Expose-Headers"), "X-Request-Id")
        self.assertEqual(r.header_all("Vary"), ["Accept-Encoding, Origin"])

        r = client.request("GET", "/api/items/1", {"Origin": "https://evil.example"})
        self.assertEqual(r.status, 200)  # CORS never refuses the request; the browser withholds it
        self.assertEqual([k for k, _ in r.headers if k.lower().startswith("access-control-")], [])
        self.assertEqual(r.header_all("Vary"), ["Accept-Encoding, Origin"])

        r = client.request("GET", "/api/items/1")  # no Origin: not a CORS request
        self.assertIsNone(r.header("Access-Control-Allow-Origin"))
        self.assertEqual(r.header_all("Vary"), ["Accept-Encoding, Origin"])
        self.assertEqual(self.upstream.methods(), ["PUT", "GET", "GET"])

    def test_options_without_request_method_is_proxied(self):
        gh = self.start_gatehouse(cors_config(self.upstream))
        r = RawClient(gh.port).request("OPTIONS", "/api", {"Origin": "https://app.example.com"})
        self.assertEqual(r.status, 200)
        self.assertEqual(self.upstream.methods(), ["OPTIONS"])

    def test_star_with_credentials_is_refused_at_load(self):
        cfg = cors_config(self.upstream, allow_origins=["*"])
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "g.yaml")
            with open(path, "w") as f:
                f.write(json.dumps(cfg).replace("{port}", "1").replace("{admin_port}", "2"))
            r = subprocess.run([GATEHOUSE_BIN, "check", "--config", path], capture_output=True, text=True,
                               timeout=10 * SLOW)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("routes[0].policies[0].cors.allow_origins: `*` cannot be combined with "
                      "`allow_credentials: true`", r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
