"""The `access` policy (request hygiene) against a real Gatehouse and the
test upstream: 405 with Allow, 413 for a Content-Length over the limit
(before the upstream is contacted) and for a chunked body that streams past
it, 403 by client address after trusted-proxy handling, 431 for too many
header fields. Error bodies are Gatehouse's JSON errors."""

import unittest

from counting_upstream import CountingUpstream
from harness import GatehouseTestCase, RawClient, simple_config


def access_config(upstream_address, **access):
    cfg = simple_config([upstream_address])
    cfg["listeners"][0]["trusted_proxies"] = ["127.0.0.1/32"]
    cfg["routes"][0]["policies"] = [{"access": access}]
    return cfg


class AccessTest(GatehouseTestCase):
    def test_methods_outside_the_list_get_405_with_allow(self):
        upstream = CountingUpstream()
        self.addCleanup(upstream.stop)
        gh = self.start_gatehouse(access_config(upstream.address, methods=["GET", "POST"]))
        client = RawClient(gh.port)
        self.assertEqual(client.request("GET", "/a").status, 200)
        self.assertEqual(client.request("HEAD", "/a").status, 200)
        r = client.request("DELETE", "/a")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("Allow"), "GET, POST, HEAD")
        err = r.json()["error"]
        self.assertEqual(err["code"], "method_not_allowed")
        self.assertEqual(err["request_id"], r.header("X-Request-Id"))
        self.assertEqual(upstream.methods(), ["GET", "HEAD"])

    def test_content_length_over_the_limit_never_reaches_the_upstream(self):
        upstream = CountingUpstream()
        self.addCleanup(upstream.stop)
        gh = self.start_gatehouse(access_config(upstream.address, max_body_size="1KiB"))
        client = RawClient(gh.port)
        self.assertEqual(client.request("POST", "/a", body=b"x" * 1024).status, 200)
        r = client.request("POST", "/a", body=b"x" * 1025)
        self.assertEqual(r.status, 413)
        self.assertEqual(r.json()["error"]["code"], "content_too_large")
        self.assertEqual(upstream.methods(), ["POST"])  # only the first

    def test_body_size_while_streaming_chunked(self):
        upstream = self.start_upstream()
        gh = self.start_gatehouse(access_config(upstream.address, max_body_size="1KiB"))
        r = RawClient(gh.port).request("POST", "/echo", body=b"x" * 1024)
        self.assertEqual(r.status, 200)
        self.assertEqual(len(r.body), 1024)

        # Chunked: refused once the body streams past the limit.
        client = RawClient(gh.port)
        client.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        client.send(b"200\r\n" + b"a" * 512 + b"\r\n")
        client.send(b"200\r\n" + b"b" * 512 + b"\r\n")
        client.send(b"10\r\n" + b"c" * 16 + b"\r\n0\r\n\r\n")
        r = client.read_response()
        self.assertEqual(r.status, 413)
        self.assertEqual(r.json()["error"]["code"], "content_too_large")
        self.assertTrue(client.is_closed())

        # A chunked body within the limit passes whole.
        client = RawClient(gh.port)
        client.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "200\r\n" + "a" * 512 + "\r\n0\r\n\r\n")
        r = client.read_response()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"a" * 512)

    def test_ip_lists_use_the_client_address_after_trusted_proxies(self):
        upstream = CountingUpstream()
        self.addCleanup(upstream.stop)
        gh = self.start_gatehouse(access_config(upstream.address, allow_ips=["10.0.0.0/8", "127.0.0.1"],
                                                deny_ips=["10.9.0.0/16"]))
        client = RawClient(gh.port)
        self.assertEqual(client.request("GET", "/").status, 200)  # 127.0.0.1 itself
        self.assertEqual(client.request("GET", "/", {"X-Forwarded-For": "10.1.2.3"}).status, 200)
        for address in ("10.9.1.1", "192.0.2.7"):
            r = client.request("GET", "/", {"X-Forwarded-For": address})
            self.assertEqual(r.status, 403, address)
            self.assertEqual(r.json()["error"]["code"], "forbidden")
        self.assertEqual(len(upstream.seen()), 2)

    def test_too_many_header_fields_get_431(self):
        upstream = CountingUpstream()
        self.addCleanup(upstream.stop)
        gh = self.start_gatehouse(access_config(upstream.address, max_header_count=5))
        client = RawClient(gh.port)
        # Host + 4 = 5 fields: allowed.
        self.assertEqual(client.request("GET", "/", {"A": "1", "B": "2", "C": "3", "D": "4"}).status, 200)
        r = client.request("GET", "/", {"A": "1", "B": "2", "C": "3", "D": "4", "E": "5"})
        self.assertEqual(r.status, 431)
        self.assertEqual(r.json()["error"]["code"], "header_fields_too_large")
        self.assertEqual(len(upstream.seen()), 1)


if __name__ == "__main__":
    unittest.main()
