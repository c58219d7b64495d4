"""TLS termination (issue 4) with real clients: `openssl s_client` and
`curl --cacert`, against certificates made by the test with the openssl
command line. Versions, SNI (exact, wildcard, default), ECDSA vs RSA,
session resumption (IDs and tickets, across workers), client certificates,
the HTTPS redirect, certificate reloads and the TLS metrics."""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import GatehouseTestCase, SLOW, curl, simple_config
from test_reload import wait_for_log, write
from tls_certs import TestPki, not_after_unix

REQUEST = b"GET /inspect HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"


def seen_header(inspect_body, name):
    """A request header as the upstream's /inspect saw it, or None."""
    for header_name, value in json.loads(inspect_body)["headers"]:
        if header_name.lower() == name:
            return value
    return None


class TlsTestCase(GatehouseTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="gatehouse-tls-")
        pki = cls.pki = TestPki(cls.dir)
        cls.a_ec = pki.issue("a-ec", "a.test", dns=["a.test", "localhost"])
        cls.a_rsa = pki.issue("a-rsa", "a.test", dns=["a.test", "localhost"], kind="rsa")
        cls.b_ec = pki.issue("b-ec", "b.test", dns=["b.test", "*.wild.test"])
        cls.client = pki.issue("client", "client-one", client=True)
        other = TestPki(tempfile.mkdtemp(dir=cls.dir))
        cls.stranger = other.issue("stranger", "stranger", client=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def tls_config(self, upstream, **tls_options):
        cfg = simple_config([upstream.address])
        tls = {"certificates": [
            {"cert_file": self.a_ec[0], "key_file": self.a_ec[1]},
            {"cert_file": self.a_rsa[0], "key_file": self.a_rsa[1]},
            {"cert_file": self.b_ec[0], "key_file": self.b_ec[1]},
        ]}
        tls.update(tls_options)
        cfg["listeners"][0]["tls"] = tls
        return cfg

    def s_client(self, gh, *args, data=b"", ign_eof=False):
        """Runs openssl s_client against Gatehouse; returns (returncode, output text)."""
        cmd = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % gh.port, "-CAfile", self.pki.ca_crt, *args]
        if ign_eof:
            cmd.append("-ign_eof")
        r = subprocess.run(cmd, input=data, capture_output=True, timeout=20 * SLOW)
        return r.returncode, (r.stdout + r.stderr).decode(errors="replace")

    def https(self, gh, path, *args, host="a.test"):
        """curl over HTTPS with our CA, resolving `host` to Gatehouse."""
        return curl("--cacert", self.pki.ca_crt, "--resolve", "%s:%d:127.0.0.1" % (host, gh.port),
                    "https://%s:%d%s" % (host, gh.port, path), *args)


class VersionsAndCiphersTest(TlsTestCase):
    def test_tls12_and_tls13_are_accepted(self):
        gh = self.start_gatehouse(self.tls_config(self.start_upstream()))
        for flag, name in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
            code, out = self.s_client(gh, flag, "-servername", "a.test")
            self.assertEqual(code, 0, out)
            self.assertIn("Protocol  : " + name if name == "TLSv1.2" else "New, TLSv1.3", out)
            self.assertIn("Verify return code: 0 (ok)", out)
        r = self.https(gh, "/inspect", "--tlsv1.2", "--tls-max", "1.2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["method"], "GET")

    def test_tls10_and_tls11_are_refused_by_the_server(self):
        gh = self.start_gatehouse(self.tls_config(self.start_upstream()))
        for flag in ("-tls1", "-tls1_1"):
            # SECLEVEL=0 lets the client offer the old version at all, so the
            # refusal below is the server's.
            code, out = self.s_client(gh, flag, "-cipher", "DEFAULT:@SECLEVEL=0", "-servername", "a.test")
            self.assertNotEqual(code, 0, out)
            self.assertIn("alert protocol version", out)
        self.assertEqual(gh.metric("gatehouse_tls_handshake_failures_total", listener="public",
                                   reason="protocol"), 2.0)

    def test_a_silent_visitor_is_not_a_failed_handshake_but_plain_http_is(self):
        gh = self.start_gatehouse(self.tls_config(self.start_upstream()))

        def failures():
            return sum(gh.metric("gatehouse_tls_handshake_failures_total", listener="public", reason=r) or 0
                       for r in ("protocol", "client_certificate", "timeout", "other"))

        # A port check: connect, say nothing, leave.
        socket.create_connection(("127.0.0.1", gh.port), timeout=5 * SLOW).close()
        # Plain HTTP to the TLS port: a protocol failure, answered by closing.
        with socket.create_connection(("127.0.0.1", gh.port), timeout=5 * SLOW) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")
            while s.recv(4096):
                pass
        deadline = time.monotonic() + 5 * SLOW
        while failures() < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(gh.metric("gatehouse_tls_handshake_failures_total", listener="public",
                                   reason="protocol"), 1.0)
        self.assertEqual(failures(), 1.0)

    def test_only_forward_secret_aead_suites_in_tls12(self):
        gh = self.start_gatehouse(self.tls_config(self.start_upstream()))
        for weak in ("AES128-SHA", "AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA"):
            code, out = self.s_client(gh, "-tls1_2", "-cipher", weak)
            self.assertNotEqual(code, 0, "%s was accepted:\n%s" % (weak, out))
        code, out = self.s_client(gh, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384")
        self.assertEqual(code, 0, out)
        self.assertIn("Cipher    : ECDHE-ECDSA-AES256-GCM-SHA384", out)

    def test_alpn_answers_http11_and_ignores_h2_only(self):
        gh = self.start_gatehouse(self.tls_config(self.start_upstream()))
        code, out = self.s_client(gh, "-alpn", "h2,http/1.1")
        self.assertEqual(code, 0, out)
        self.assertIn("ALPN protocol: http/1.1", out)
        code, out = self.s_client(gh, "-alpn", "h2")
        self.assertEqual(code, 0, out)
        self.assertIn("No ALPN negotiated", out)


class CertificateSelectionTest(TlsTestCase):
    def subject(self, gh, *args):
        code, out = self.s_client(gh, "-tls1_3", *args)
        self.assertEqual(code, 0, out)
        for line in out.splitlines():
            if line.startswith("subject="):
                return line.split("=", 1)[1].strip()
        self.fail("no subject in:\n" + out)

    def test_sni_picks_exact_wildcard_and_default(self):
        gh = self.start_gatehouse(self.tls_config(self.start_upstream()))
        self.assertEqual(self.subject(gh, "-servername", "b.test"), "CN = b.test")
        self.assertEqual(self.subject(gh, "-servername", "x.wild.test"), "CN = b.test")
        self.assertEqual(self.subject(gh, "-servername", "A.TEST"), "CN = a.test")
        # Not covered by the wildcard (two labels), unknown, or no SNI: the default.
        self.assertEqual(self.subject(gh, "-servername", "x.y.wild.test"), "CN = a.test")
        self.assertEqual(self.subject(gh, "-servername", "unknown.test"), "CN = a.test")
        self.assertEqual(self.subject(gh, "-noservername"), "CN = a.test")
        r = self.https(gh, "/inspect", host="x.wild.test")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_ecdsa_or_rsa_by_client_capabilities(self):
        gh = self.start_gatehouse(self.tls_config(self.start_upstream()))
        code, out = self.s_client(gh, "-tls1_3", "-servername", "a.test", "-sigalgs", "ECDSA+SHA256")
        self.assertEqual(code, 0, out)
        self.assertIn("Peer signature type: ECDSA", out)
        code, out = self.s_client(gh, "-tls1_3", "-servername", "a.test", "-sigalgs", "rsa_pss_rsae_sha256")
        self.assertEqual(code, 0, out)
        self.assertIn("Server public key is 2048 bit", out)
        code, out = self.s_client(gh, "-tls1_2", "-servername", "a.test", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
        self.assertEqual(code, 0, out)
        self.assertIn("Server public key is 2048 bit", out)


class ResumptionTest(TlsTestCase):
    def resumed(self, gh, version_flag, *extra):
        session = os.path.join(self.dir, "session-%s.pem" % version_flag)
        code, out = self.s_client(gh, version_flag, "-servername", "a.test", "-sess_out", session, *extra,
                                  data=REQUEST, ign_eof=True)
        self.assertEqual(code, 0, out)
        self.assertIn("New,", out)
        if not os.path.exists(session):
            # No session id and no ticket: s_client has nothing to save.
            self.assertNotIn("TLS session ticket:", out)
            return 0
        reused = 0
        for _ in range(4):  # with two workers, each may take the connection
            code, out = self.s_client(gh, version_flag, "-servername", "a.test", "-sess_in", session, *extra,
                                      data=REQUEST, ign_eof=True)
            self.assertEqual(code, 0, out)
            reused += "Reused," in out
        return reused

    def test_tickets_resume_on_any_worker(self):
        cfg = self.tls_config(self.start_upstream())
        cfg["workers"] = 2
        gh = self.start_gatehouse(cfg)
        self.assertEqual(self.resumed(gh, "-tls1_3"), 4)
        self.assertEqual(self.resumed(gh, "-tls1_2"), 4)

    def test_a_resumed_tls13_connection_gets_a_fresh_ticket(self):
        # TLS 1.3 tickets are single-use: a client that resumed needs a new
        # ticket for its next connection, or that one is a full handshake.
        gh = self.start_gatehouse(self.tls_config(self.start_upstream()))
        first = os.path.join(self.dir, "first.pem")
        code, out = self.s_client(gh, "-tls1_3", "-sess_out", first, data=REQUEST, ign_eof=True)
        self.assertEqual(code, 0, out)
        self.assertEqual(out.count("New Session Ticket arrived"), 2, out)
        code, out = self.s_client(gh, "-tls1_3", "-sess_in", first, data=REQUEST, ign_eof=True)
        self.assertEqual(code, 0, out)
        self.assertIn("Reused,", out)
        self.assertGreaterEqual(out.count("New Session Ticket arrived"), 1, out)
        self.assertEqual(gh.metric("gatehouse_tls_handshakes_total", listener="public", resumed="true"), 1)
        self.assertEqual(gh.metric("gatehouse_tls_handshakes_total", listener="public", resumed="false"), 1)

    def test_session_ids_resume_without_tickets(self):
        gh = self.start_gatehouse(self.tls_config(self.start_upstream(), session_tickets=False))
        self.assertEqual(self.resumed(gh, "-tls1_2", "-no_ticket"), 4)

    def test_no_resumption_when_both_are_off(self):
        gh = self.start_gatehouse(self.tls_config(self.start_upstream(), session_tickets=False,
                                                  session_cache_size=0))
        self.assertEqual(self.resumed(gh, "-tls1_2", "-no_ticket"), 0)


class ClientCertificateTest(TlsTestCase):
    def config(self, mode):
        cfg = self.tls_config(self.start_upstream(), client_certificates={
            "ca_file": self.pki.ca_crt, "mode": mode, "subject_header": "X-Client-Subject"})
        return cfg

    def test_required_refuses_without_and_accepts_with_a_ca_signed_certificate(self):
        gh = self.start_gatehouse(self.config("required"))
        r = self.https(gh, "/inspect")
        self.assertNotEqual(r.returncode, 0, r.stdout)
        r = self.https(gh, "/inspect", "--cert", self.stranger[0], "--key", self.stranger[1])
        self.assertNotEqual(r.returncode, 0, r.stdout)
        r = self.https(gh, "/inspect", "--cert", self.client[0], "--key", self.client[1],
                       "-H", "X-Client-Subject: CN=forged")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(seen_header(r.stdout, "x-client-subject"), "CN=client-one")
        self.assertGreaterEqual(gh.metric("gatehouse_tls_handshake_failures_total", listener="public",
                                          reason="client_certificate") or 0, 1.0)

    def test_optional_lets_anonymous_clients_in_without_the_header(self):
        gh = self.start_gatehouse(self.config("optional"))
        r = self.https(gh, "/inspect", "-H", "X-Client-Subject: CN=forged")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIsNone(seen_header(r.stdout, "x-client-subject"))
        r = self.https(gh, "/inspect", "--cert", self.client[0], "--key", self.client[1])
        self.assertEqual(seen_header(r.stdout, "x-client-subject"), "CN=client-one")


class RedirectAndHeadersTest(TlsTestCase):
    def test_plain_listener_redirects_with_308(self):
        upstream = self.start_upstream()
        cfg = self.tls_config(upstream)
        cfg["listeners"].append({"name": "plain", "address": "127.0.0.1:{plain_port}",
                                 "redirect_to_https": {"port": 8443}})
        from harness import free_port
        plain_port = free_port()
        text = json.dumps(cfg).replace("{plain_port}", str(plain_port))
        gh = self.start_gatehouse(text)
        r = curl("-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "-H", "Host: shop.test:%d" % plain_port,
                 "http://127.0.0.1:%d/a/b?c=d" % plain_port)
        self.assertEqual(r.stdout.decode(), "308 https://shop.test:8443/a/b?c=d")

    def test_upstream_sees_forwarded_proto_https(self):
        gh = self.start_gatehouse(self.tls_config(self.start_upstream()))
        r = self.https(gh, "/inspect")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(seen_header(r.stdout, "x-forwarded-proto"), "https")

    def test_keep_alive_and_pipelining_over_tls(self):
        gh = self.start_gatehouse(self.tls_config(self.start_upstream()))
        code, out = self.s_client(gh, "-quiet", "-servername", "a.test",
                                  data=b"GET /bytes/10 HTTP/1.1\r\nHost: a.test\r\n\r\n" * 3 +
                                  b"GET /bytes/10 HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n",
                                  ign_eof=True)
        self.assertEqual(out.count("HTTP/1.1 200"), 4, out)


class ReloadAndMetricsTest(TlsTestCase):
    def test_expiry_metric(self):
        gh = self.start_gatehouse(self.tls_config(self.start_upstream()))
        value = gh.metric("gatehouse_tls_certificate_expiry_timestamp_seconds", listener="public",
                          name="b.test (ECDSA)")
        self.assertEqual(value, float(not_after_unix(self.b_ec[0])))

    def test_reload_swaps_certificates_and_keeps_open_connections(self):
        upstream = self.start_upstream()
        cfg = self.tls_config(upstream)
        cfg["listeners"][0]["tls"]["certificates"] = [{"cert_file": self.a_ec[0], "key_file": self.a_ec[1]}]
        gh = self.start_gatehouse(cfg)
        # An open connection made with the old certificate.
        proc = subprocess.Popen(["openssl", "s_client", "-quiet", "-connect", "127.0.0.1:%d" % gh.port,
                                 "-CAfile", self.pki.ca_crt, "-servername", "a.test"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            proc.stdin.write(b"GET /bytes/5 HTTP/1.1\r\nHost: a.test\r\n\r\n")
            proc.stdin.flush()
            first = proc.stdout.read1(4096)
            self.assertIn(b"200", first)

            cfg["listeners"][0]["tls"]["certificates"] = [{"cert_file": self.b_ec[0], "key_file": self.b_ec[1]}]
            write(gh, cfg)
            gh.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for_log(gh, "reloaded"), gh.output())
            code, out = self.s_client(gh, "-servername", "a.test")
            self.assertIn("CN = b.test", out)  # new connections: the new certificate

            proc.stdin.write(b"GET /bytes/5 HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
            proc.stdin.flush()
            second = proc.stdout.read()
            self.assertIn(b"200", second)  # the old connection lived through it
        finally:
            proc.kill()
            proc.wait()

    def test_bad_certificate_on_reload_keeps_the_old_one(self):
        upstream = self.start_upstream()
        cfg = self.tls_config(upstream)
        gh = self.start_gatehouse(cfg)
        cfg["listeners"][0]["tls"]["certificates"] = [{"cert_file": self.a_ec[0], "key_file": self.b_ec[1]}]
        write(gh, cfg)
        gh.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for_log(gh, "does not match the certificate"), gh.output())
        self.assertIn(self.b_ec[1], gh.output())
        r = self.https(gh, "/inspect")
        self.assertEqual(r.returncode, 0, r.stderr)


class UpstreamTlsTest(TlsTestCase):
    """Gatehouse proxying to an https:// upstream: a second Gatehouse that
    terminates TLS in front of the diagnostic upstream."""

    def tls_upstream(self, **tls_options):
        inner = self.start_gatehouse(self.tls_config(self.start_upstream(), **tls_options))
        return inner

    def outer(self, target, **upstream_tls):
        cfg = simple_config([target])
        if upstream_tls:
            cfg["upstreams"]["app"]["tls"] = upstream_tls
        return self.start_gatehouse(cfg)

    def get(self, gh, path="/inspect"):
        r = curl("-i", gh.url(path))
        head, _, body = r.stdout.partition(b"\r\n\r\n")
        return int(head.split()[1]), body

    def test_verified_by_ca_file_with_sni_and_name_check(self):
        inner = self.tls_upstream()
        gh = self.outer("https://127.0.0.1:%d" % inner.port, ca_file=self.pki.ca_crt, server_name="b.test")
        status, body = self.get(gh)
        self.assertEqual(status, 200, body)
        self.assertEqual(seen_header(body, "x-forwarded-proto"), "https")  # inner saw TLS

    def test_wrong_ca_is_502(self):
        inner = self.tls_upstream()
        other_ca = os.path.join(self.dir, "other-ca.crt")
        shutil.copy(TestPki(tempfile.mkdtemp(dir=self.dir)).ca_crt, other_ca)
        gh = self.outer("https://127.0.0.1:%d" % inner.port, ca_file=other_ca, server_name="a.test")
        status, body = self.get(gh)
        self.assertEqual(status, 502, body)
        self.assertIn("certificate verify failed", gh.output())

    def test_name_mismatch_is_502(self):
        inner = self.tls_upstream()
        # Written as an IP with no server_name: the certificate names no IP.
        gh = self.outer("https://127.0.0.1:%d" % inner.port, ca_file=self.pki.ca_crt)
        self.assertEqual(self.get(gh)[0], 502)
        # A name the upstream has no certificate for gets the default (a.test): mismatch.
        gh2 = self.outer("https://127.0.0.1:%d" % inner.port, ca_file=self.pki.ca_crt, server_name="c.test")
        self.assertEqual(self.get(gh2)[0], 502)

    def test_client_certificate_to_the_upstream(self):
        inner = self.tls_upstream(client_certificates={"ca_file": self.pki.ca_crt, "mode": "required",
                                                       "subject_header": "X-Client-Subject"})
        without = self.outer("https://127.0.0.1:%d" % inner.port, ca_file=self.pki.ca_crt, server_name="a.test")
        self.assertEqual(self.get(without)[0], 502)
        gh = self.outer("https://127.0.0.1:%d" % inner.port, ca_file=self.pki.ca_crt, server_name="a.test",
                        cert_file=self.client[0], key_file=self.client[1])
        status, body = self.get(gh)
        self.assertEqual(status, 200, body)
        self.assertEqual(seen_header(body, "x-client-subject"), "CN=client-one")

    def test_connections_to_a_tls_upstream_are_reused(self):
        inner = self.tls_upstream()
        gh = self.outer("https://127.0.0.1:%d" % inner.port, ca_file=self.pki.ca_crt, server_name="a.test")
        for _ in range(5):
            self.assertEqual(self.get(gh, "/bytes/100")[0], 200)
        # One TLS connection served all five: the inner Gatehouse counts one.
        self.assertEqual(inner.metric("gatehouse_active_connections"), 1.0)


class TlsConfigErrorsTest(TlsTestCase):
    def check(self, cfg):
        path = os.path.join(self.dir, "check.yaml")
        with open(path, "w") as f:
            f.write(json.dumps(cfg).replace("{port}", "1").replace("{admin_port}", "2"))
        from harness import GATEHOUSE_BIN
        return subprocess.run([GATEHOUSE_BIN, "check", "--config", path], capture_output=True, text=True,
                              timeout=10 * SLOW)

    def test_errors_name_the_file(self):
        base = simple_config(["127.0.0.1:1"])
        cases = [
            ([{"cert_file": self.a_ec[0], "key_file": self.b_ec[1]}], "does not match the certificate"),
            ([{"cert_file": os.path.join(self.dir, "missing.crt"), "key_file": self.a_ec[1]}], "missing.crt: cannot read"),
            ([{"cert_file": self.a_ec[1], "key_file": self.a_ec[1]}], "no PEM certificate"),
        ]
        for certificates, message in cases:
            base["listeners"][0]["tls"] = {"certificates": certificates}
            r = self.check(base)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn(message, r.stderr)
            self.assertIn("listeners[0].tls.certificates[0]", r.stderr)
        base["listeners"][0]["tls"] = {"certificates": [{"cert_file": self.a_ec[0], "key_file": self.a_ec[1]}],
                                       "protocols": ["TLSv1.1", "TLSv1.2"]}
        r = self.check(base)
        self.assertIn("unsupported protocol `TLSv1.1`", r.stderr)
        base["listeners"][0].pop("tls")
        base["upstreams"]["app"]["tls"] = {"ca_file": os.path.join(self.dir, "nope.crt")}
        r = self.check(base)
        self.assertIn("upstreams.app.tls", r.stderr)
        self.assertIn("nope.crt: cannot load CA certificates", r.stderr)


if __name__ == "__main__":
    unittest.main()
