"""The `security_headers` policy against a real Gatehouse and the test
upstream: helmet's headers on plain HTTP (without HSTS) and over TLS (with
it), upstream X-Powered-By removed, Server replaced, an upstream's own field
kept or overwritten as configured, and route options merged with
`defaults:`."""

import shutil
import tempfile
import unittest

from harness import GatehouseTestCase, RawClient, curl, simple_config
from tls_certs import TestPki

HELMET = {
    "content-security-policy":
        "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';"
        "frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';"
        "script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "origin-agent-cluster": "?1",
    "referrer-policy": "no-referrer",
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "x-dns-prefetch-control": "off",
    "x-download-options": "noopen",
    "x-frame-options": "SAMEORIGIN",
    "x-permitted-cross-domain-policies": "none",
    "x-xss-protection": "0",
}


def headers_of(curl_output):
    """{lowercase name: [values]} of the last response head in `curl -i` output."""
    head = curl_output.decode().split("\r\n\r\n")[0]
    out = {}
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        out.setdefault(name.strip().lower(), []).append(value.strip())
    return out


class SecurityHeadersTest(GatehouseTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="gatehouse-sh-")
        cls.pki = TestPki(cls.dir)
        cls.cert = cls.pki.issue("a", "a.test", dns=["a.test"])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def config(self, route_policies=None, tls=False):
        cfg = simple_config([self.start_upstream().address])
        cfg["defaults"] = {"policies": [{"security_headers": {"preset": "helmet", "server": "gatehouse"}}]}
        if route_policies is not None:
            cfg["routes"][0]["policies"] = route_policies
        if tls:
            cfg["listeners"][0]["tls"] = {"certificates": [{"cert_file": self.cert[0], "key_file": self.cert[1]}]}
        return cfg

    UPSTREAM_PATH = "/headers?X-Powered-By=Express&Server=upstream%2F1.0&X-Frame-Options=DENY"

    def test_helmet_over_plain_http_without_hsts(self):
        gh = self.start_gatehouse(self.config())
        h = headers_of(curl("-i", gh.url(self.UPSTREAM_PATH)).stdout)
        for name, value in HELMET.items():
            if name == "strict-transport-security":
                self.assertNotIn(name, h)
            elif name == "x-frame-options":
                self.assertEqual(h[name], ["DENY"])  # the upstream's own value is kept by default
            else:
                self.assertEqual(h.get(name), [value], name)
        self.assertNotIn("x-powered-by", h)
        self.assertEqual(h["server"], ["gatehouse"])
        h = headers_of(curl("-i", gh.url("/status/404")).stdout)  # error responses too
        self.assertEqual(h["x-content-type-options"], ["nosniff"])

    def test_helmet_over_tls_with_hsts(self):
        gh = self.start_gatehouse(self.config(tls=True))
        r = curl("-i", "--cacert", self.pki.ca_crt, "--resolve", "a.test:%d:127.0.0.1" % gh.port,
                 "https://a.test:%d%s" % (gh.port, self.UPSTREAM_PATH))
        self.assertEqual(r.returncode, 0, r.stderr)
        h = headers_of(r.stdout)
        self.assertEqual(h["strict-transport-security"], ["max-age=31536000; includeSubDomains"])
        self.assertEqual(h["content-security-policy"], [HELMET["content-security-policy"]])
        self.assertNotIn("x-powered-by", h)

    def test_route_options_merge_with_defaults_and_overwrite_per_header(self):
        gh = self.start_gatehouse(self.config([{"security_headers": {
            "x_frame_options": {"value": "DENY", "upstream": "overwrite"},
            "content_security_policy": {"directives": {"img-src": ["'self'", "https://img.example"]},
                                        "report_only": True},
            "referrer_policy": "off",
        }}]))
        h = headers_of(curl("-i", gh.url("/headers?X-Frame-Options=SAMEORIGIN&X-Powered-By=PHP")).stdout)
        self.assertEqual(h["x-frame-options"], ["DENY"])
        self.assertNotIn("referrer-policy", h)
        self.assertNotIn("content-security-policy", h)
        self.assertIn(";img-src 'self' https://img.example;", h["content-security-policy-report-only"][0])
        self.assertEqual(h["server"], ["gatehouse"])  # from the defaults
        self.assertEqual(h["cross-origin-opener-policy"], ["same-origin"])
        self.assertNotIn("x-powered-by", h)

    def test_route_can_drop_the_default(self):
        gh = self.start_gatehouse(self.config([{"security_headers": "off"}]))
        h = headers_of(curl("-i", gh.url("/headers?X-Powered-By=PHP")).stdout)
        self.assertEqual(h["x-powered-by"], ["PHP"])
        self.assertNotIn("content-security-policy", h)


if __name__ == "__main__":
    unittest.main()
