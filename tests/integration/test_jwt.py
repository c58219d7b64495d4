"""Integration tests for the `jwt` policy (issue 6).

Gatehouse runs in front of the real gatehouse-api: users register and log in
through Gatehouse (an unprotected route), and the ES256 tokens the API signs
are verified by Gatehouse through the API's own JWKS endpoint (fetched over
loopback http). The verified identity reaches the API (started with
--trust-gateway-headers) and gatehouse-upstream's /inspect as X-User-Id /
X-User-Role. A second setup uses HS256 with the API's --signing-secret-file
and the same secret given to Gatehouse through ${ENV}.

Remote key sets (rotation picked up through an unknown kid, the refetch
rate limit under a flood of kids, the last good keys kept while the key
server is down, HTTPS with a private CA) are tested against a small JWKS
server run in the test with http.server, with tokens signed by Python's
`cryptography` (those tests are skipped without it).
"""

import base64
import hashlib
import hmac
import http.client
import http.server
import json
import os
import shutil
import sqlite3
import ssl
import socket
import tempfile
import threading
import time
import unittest
import uuid

from harness import SLOW, GatehouseTestCase, assert_stops_cleanly, free_port, refused_port
from test_api_posts import Api
import tls_certs

try:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    HAVE_CRYPTOGRAPHY = True
except ImportError:
    HAVE_CRYPTOGRAPHY = False

PASSWORD = "correct horse battery"
API_ISSUER = "http://127.0.0.1:3000"   # gatehouse-api's default --issuer
API_AUDIENCE = "gatehouse-demo"


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_json(obj):
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def request(port, method, path, headers=None, body=None):
    """(status, headers dict with lower-case names, body bytes) of one request."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10 * SLOW)
    try:
        h = dict(headers or {})
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def bearer(token):
    return {"Authorization": "Bearer " + token}


def seen(body, name):
    """Values of header `name` that gatehouse-upstream's /inspect received."""
    info = json.loads(body)
    return [v for n, v in info["headers"] if n.lower() == name.lower()]


def jwt_policy(issuer, extra=None, **issuer_keys):
    policy = {"issuers": [dict({"issuer": issuer, "audiences": [API_AUDIENCE]}, **issuer_keys)],
              "claims_to_headers": {"sub": "X-User-Id", "role": "X-User-Role"}}
    policy.update(extra or {})
    return {"jwt": policy}


class JwtTestCase(GatehouseTestCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="gatehouse-jwt-test-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def start_api(self, signing_args=None):
        api = Api(os.path.join(self.dir, "api.db"), trust_gateway_headers=True, signing_args=signing_args)
        self._processes.append(api)
        return api

    def config(self, api, upstream, jwt, admin_jwt=None):
        """Routes: /api/auth open (register/login), /api/users admin-only,
        /api and /inspect (gatehouse-upstream) behind `jwt`."""
        admin_jwt = admin_jwt or {"jwt": dict(jwt["jwt"], require={"role": ["admin"]})}
        return {
            "workers": 2,
            "listeners": [{"name": "public", "address": "127.0.0.1:{port}"}],
            "admin": {"address": "127.0.0.1:{admin_port}"},
            "upstreams": {"api": {"targets": ["127.0.0.1:%d" % api.port]},
                          "echo": {"targets": [upstream.address]}},
            "routes": [
                {"name": "auth", "match": {"path_prefix": "/api/auth"}, "upstream": "api"},
                {"name": "users", "match": {"path_prefix": "/api/users"}, "upstream": "api",
                 "policies": [admin_jwt]},
                {"name": "api", "match": {"path_prefix": "/api"}, "upstream": "api", "policies": [jwt]},
                {"name": "inspect", "match": {"path_prefix": "/inspect"}, "upstream": "echo", "policies": [jwt]},
            ],
        }

    def register_and_login(self, gh, email, username):
        status, _, body = request(gh.port, "POST", "/api/auth/register",
                                  body={"email": email, "username": username, "password": PASSWORD})
        self.assertEqual(status, 201, body)
        user = json.loads(body)
        return user, self.login(gh, email)

    def login(self, gh, email):
        status, _, body = request(gh.port, "POST", "/api/auth/login", body={"email": email, "password": PASSWORD})
        self.assertEqual(status, 200, body)
        return json.loads(body)["accessToken"]

    def make_admin(self, user_id):
        with sqlite3.connect(os.path.join(self.dir, "api.db"), timeout=10) as db:
            db.execute("UPDATE users SET role = 'admin' WHERE id = ?", (user_id,))

    def assert_refused(self, status, headers, body, code, reason=None, expect_status=401):
        self.assertEqual(status, expect_status, body)
        self.assertEqual(json.loads(body)["error"]["code"], code, body)
        challenge = headers.get("www-authenticate")
        if reason == "missing":
            self.assertEqual(challenge, 'Bearer realm="gatehouse"')
        elif expect_status == 401:
            self.assertTrue(challenge.startswith('Bearer realm="gatehouse", error="invalid_token", error_description="'),
                            challenge)


class JwtInFrontOfTheApiTest(JwtTestCase):
    """ES256 tokens from the real API, verified through its JWKS endpoint."""

    def setUp(self):
        super().setUp()
        self.api = self.start_api()
        self.upstream = self.start_upstream()
        jwks = "http://127.0.0.1:%d/.well-known/jwks.json" % self.api.port
        jwt = jwt_policy(API_ISSUER, jwks_uri=jwks, algorithms=["ES256"])
        self.gh = self.start_gatehouse(self.config(self.api, self.upstream, jwt))
        self.alice, self.token = self.register_and_login(self.gh, "alice@example.com", "alice")

    def test_the_api_token_verifies_and_the_identity_reaches_the_upstream(self):
        status, _, body = request(self.gh.port, "GET", "/inspect",
                                  dict(bearer(self.token), **{"X-User-Id": "999", "x-user-role": "admin"}))
        self.assertEqual(status, 200, body)
        self.assertEqual(seen(body, "X-User-Id"), [str(self.alice["id"])])  # the forged one is gone
        self.assertEqual(seen(body, "X-User-Role"), ["user"])
        self.assertEqual(len(seen(body, "Authorization")), 1)  # forward_token defaults to true
        # The API takes the caller from those headers: a post is Alice's.
        status, _, body = request(self.gh.port, "POST", "/api/posts", bearer(self.token),
                                  {"title": "hello", "body": "from behind the gateway"})
        self.assertEqual(status, 201, body)
        self.assertEqual(json.loads(body)["authorId"], self.alice["id"])

    def test_no_token_or_a_bad_one_is_401_and_never_reaches_the_upstream(self):
        status, headers, body = request(self.gh.port, "POST", "/api/posts", body={"title": "t", "body": "b"},
                                        headers={"X-User-Id": str(self.alice["id"]), "X-User-Role": "admin"})
        self.assert_refused(status, headers, body, "unauthorized", "missing")
        head, payload, signature = self.token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["role"] = "admin"
        bad = {
            "bad_signature": head + "." + b64url_json(claims) + "." + signature,
            "malformed": self.token + "=",
            "alg_not_allowed": b64url_json({"alg": "none"}) + "." + payload + ".",
            "too_large": "a" * (9 * 1024),
        }
        for reason, token in bad.items():
            status, headers, body = request(self.gh.port, "GET", "/inspect", bearer(token))
            self.assert_refused(status, headers, body, "invalid_token", reason)
            self.assertNotIn(token[:40].encode(), body)
            self.assertEqual(self.gh.metric("gatehouse_jwt_failures_total", route="inspect", reason=reason), 1,
                             reason)
        self.assertEqual(self.gh.metric("gatehouse_jwt_failures_total", route="api", reason="missing"), 1)
        # Nothing was created by the refused POST.
        status, _, body = request(self.gh.port, "GET", "/api/posts", bearer(self.token))
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["data"], [])

    def test_a_failed_rule_is_403_and_an_admin_passes(self):
        status, headers, body = request(self.gh.port, "GET", "/api/users", bearer(self.token))
        self.assert_refused(status, headers, body, "forbidden", expect_status=403)
        self.assertEqual(headers.get("www-authenticate"), 'Bearer realm="gatehouse", error="insufficient_scope"')
        self.assertEqual(self.gh.metric("gatehouse_jwt_failures_total", route="users", reason="forbidden"), 1)
        self.make_admin(self.alice["id"])
        admin_token = self.login(self.gh, "alice@example.com")
        status, _, body = request(self.gh.port, "GET", "/api/users", bearer(admin_token))
        self.assertEqual(status, 200, body)

    def test_a_token_for_another_issuer_or_audience_is_refused(self):
        # Same key, other claims: re-signing needs the API's private key,
        # which lives in the test's directory.
        if not HAVE_CRYPTOGRAPHY:
            self.skipTest("python3-cryptography is not installed")
        from cryptography.hazmat.primitives import serialization
        with open(self.api.key_path, "rb") as f:
            key = serialization.load_pem_private_key(f.read(), password=None)
        head_b64 = self.token.split(".")[0]
        now = int(time.time())
        base = {"sub": str(self.alice["id"]), "role": "user", "iat": now, "exp": now + 300,
                "iss": API_ISSUER, "aud": API_AUDIENCE}
        cases = {"bad_audience": dict(base, aud="elsewhere"), "bad_issuer": dict(base, iss="http://evil"),
                 "expired": dict(base, iat=now - 3600, exp=now - 600),
                 "not_yet_valid": dict(base, nbf=now + 600)}
        for reason, claims in cases.items():
            status, headers, body = request(self.gh.port, "GET", "/inspect", bearer(sign_es256(key, head_b64, claims)))
            self.assert_refused(status, headers, body, "invalid_token", reason)
            self.assertEqual(self.gh.metric("gatehouse_jwt_failures_total", route="inspect", reason=reason), 1, reason)
        status, _, body = request(self.gh.port, "GET", "/inspect", bearer(sign_es256(key, head_b64, base)))
        self.assertEqual(status, 200, body)


def sign_es256(key, head_b64, claims):
    """A compact ES256 token: `head_b64` as given, claims, r||s signature."""
    signing_input = head_b64 + "." + b64url_json(claims)
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


class JwtHs256Test(JwtTestCase):
    """HS256: the API signs with --signing-secret-file, Gatehouse verifies with
    the same secret from ${JWT_SECRET}."""

    SECRET = b"0123456789abcdef0123456789abcdef-gatehouse"

    def test_hs256_tokens_verify_with_the_secret_from_the_environment(self):
        secret_file = os.path.join(self.dir, "secret")
        with open(secret_file, "wb") as f:
            f.write(self.SECRET + b"\n")
        api = self.start_api(signing_args=["--signing-secret-file", secret_file])
        upstream = self.start_upstream()
        jwt = jwt_policy(API_ISSUER, secret="${JWT_SECRET}", algorithms=["HS256"],
                         extra={"forward_token": False})
        env = dict(os.environ, JWT_SECRET=self.SECRET.decode())
        gh = self.start_gatehouse(self.config(api, upstream, jwt), env=env)
        with open(gh.config_path) as f:
            self.assertNotIn(self.SECRET.decode(), f.read())
        user, token = self.register_and_login(gh, "bob@example.com", "bob")
        self.assertEqual(json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["alg"], "HS256")
        status, _, body = request(gh.port, "GET", "/inspect", bearer(token))
        self.assertEqual(status, 200, body)
        self.assertEqual(seen(body, "X-User-Id"), [str(user["id"])])
        self.assertEqual(seen(body, "Authorization"), [])  # forward_token: false
        # Another secret does not verify, and the secret never shows.
        head, payload, _ = token.split(".")
        forged = head + "." + payload + "." + b64url(
            hmac.new(b"x" * 40, (head + "." + payload).encode(), hashlib.sha256).digest())
        status, headers, body = request(gh.port, "GET", "/inspect", bearer(forged))
        self.assert_refused(status, headers, body, "invalid_token", "bad_signature")
        self.assertNotIn(self.SECRET, body)
        self.assertNotIn(self.SECRET.decode(), gh.output())


def hs_token(secret, claims, alg="HS256", digest=hashlib.sha256):
    signing_input = b64url_json({"alg": alg, "typ": "JWT"}) + "." + b64url_json(claims)
    return signing_input + "." + b64url(hmac.new(secret, signing_input.encode(), digest).digest())


def good_claims(issuer, sub="7", **extra):
    now = int(time.time())
    return dict({"sub": sub, "role": "user", "iss": issuer, "aud": API_AUDIENCE, "iat": now, "exp": now + 300},
                **extra)


@unittest.skipUnless(HAVE_CRYPTOGRAPHY, "python3-cryptography is not installed")
class IndependentSignerTest(JwtTestCase):
    """Tokens signed by another implementation (Python's `cryptography`, on
    top of OpenSSL but sharing no code with Gatehouse) verify for every
    algorithm; keys given as PEM files or a secret."""

    SECRET = b"independent-signer-secret-" + b"0123456789abcdef" * 3  # 74 bytes: HS512 needs 64

    def signers(self):
        from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        digests = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
        out = {}
        for bits, digest in digests.items():
            out["RS" + bits] = (rsa_key, lambda k, d, h=digest: k.sign(d, padding.PKCS1v15(), h()))
            out["PS" + bits] = (rsa_key, lambda k, d, h=digest: k.sign(
                d, padding.PSS(mgf=padding.MGF1(h()), salt_length=h.digest_size), h()))
        for alg, curve, digest, size in (("ES256", ec.SECP256R1, hashes.SHA256, 32),
                                         ("ES384", ec.SECP384R1, hashes.SHA384, 48),
                                         ("ES512", ec.SECP521R1, hashes.SHA512, 66)):
            def sign_ec(k, d, h=digest, n=size):
                r, s_ = decode_dss_signature(k.sign(d, ec.ECDSA(h())))
                return r.to_bytes(n, "big") + s_.to_bytes(n, "big")
            out[alg] = (ec.generate_private_key(curve()), sign_ec)
        out["EdDSA"] = (ed25519.Ed25519PrivateKey.generate(), lambda k, d: k.sign(d))
        return out

    def test_every_algorithm_verifies(self):
        from cryptography.hazmat.primitives import serialization
        upstream = self.start_upstream()
        signers = self.signers()
        issuers = []
        for alg, (key, _) in signers.items():
            pem = os.path.join(self.dir, alg + ".pem")
            with open(pem, "wb") as f:
                f.write(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo))
            issuers.append({"issuer": "https://signer.test/" + alg, "audiences": [API_AUDIENCE],
                            "algorithms": [alg], "public_key_files": [pem]})
        for alg in ("HS256", "HS384", "HS512"):
            issuers.append({"issuer": "https://signer.test/" + alg, "audiences": [API_AUDIENCE],
                            "algorithms": [alg], "secret": "${SIGNER_SECRET}"})
        cfg = {
            "listeners": [{"name": "public", "address": "127.0.0.1:{port}"}],
            "admin": {"address": "127.0.0.1:{admin_port}"},
            "upstreams": {"echo": {"targets": [upstream.address]}},
            "routes": [{"name": "r", "match": {"path_prefix": "/"}, "upstream": "echo",
                        "policies": [{"jwt": {"issuers": issuers, "cache": "off"}}]}],
        }
        gh = self.start_gatehouse(cfg, env=dict(os.environ, SIGNER_SECRET=self.SECRET.decode()))
        tokens = {}
        for alg, (key, sign) in signers.items():
            signing_input = b64url_json({"alg": alg}) + "." + b64url_json(good_claims("https://signer.test/" + alg))
            tokens[alg] = signing_input + "." + b64url(sign(key, signing_input.encode()))
        for alg, digest in (("HS256", hashlib.sha256), ("HS384", hashlib.sha384), ("HS512", hashlib.sha512)):
            tokens[alg] = hs_token(self.SECRET, good_claims("https://signer.test/" + alg), alg, digest)
        for alg, token in tokens.items():
            status, _, body = request(gh.port, "GET", "/inspect", bearer(token))
            self.assertEqual(status, 200, "%s: %s" % (alg, body))
            # The same token under another issuer's name does not verify.
            head, payload, sig = token.split(".")
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            claims["sub"] = "8"
            status, _, body = request(gh.port, "GET", "/inspect", bearer(head + "." + b64url_json(claims) + "." + sig))
            self.assertEqual(status, 401, alg)
        self.assertEqual(gh.metric("gatehouse_jwt_failures_total", route="r", reason="bad_signature"), len(tokens))

    def test_rate_limit_keys_on_the_verified_subject(self):
        upstream = self.start_upstream()
        issuer = "https://signer.test/HS256"
        jwt = {"jwt": {"issuers": [{"issuer": issuer, "audiences": [API_AUDIENCE], "algorithms": ["HS256"],
                                    "secret": self.SECRET.decode()}]}}
        limit = {"rate_limit": {"key": "claim:sub", "limit": "2/m", "on_missing_key": "deny"}}
        cfg = {
            "listeners": [{"name": "public", "address": "127.0.0.1:{port}"}],
            "admin": {"address": "127.0.0.1:{admin_port}"},
            "upstreams": {"echo": {"targets": [upstream.address]}},
            "routes": [{"name": "r", "match": {"path_prefix": "/"}, "upstream": "echo", "policies": [jwt, limit]}],
        }
        gh = self.start_gatehouse(cfg)
        alice = hs_token(self.SECRET, good_claims(issuer, sub="alice"))
        bob = hs_token(self.SECRET, good_claims(issuer, sub="bob"))
        self.assertEqual([request(gh.port, "GET", "/inspect", bearer(alice))[0] for _ in range(3)], [200, 200, 429])
        self.assertEqual(request(gh.port, "GET", "/inspect", bearer(bob))[0], 200)
        # Same subject, different token: the same counter.
        alice2 = hs_token(self.SECRET, good_claims(issuer, sub="alice", jti="2"))
        self.assertEqual(request(gh.port, "GET", "/inspect", bearer(alice2))[0], 429)


class JwksServer:
    """A key server: serves `keys` (JWKs) at /jwks, counts requests, and can
    be told to fail (500) to play a key server that is down."""

    def __init__(self, tls_context=None):
        self.keys = []
        self.hits = 0
        self.failing = False
        self.max_age = 600
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.hits += 1
                if server.failing:
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps({"keys": list(server.keys)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "public, max-age=%d" % server.max_age)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls_context is not None:
            self.httpd.socket = tls_context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class SigningKey:
    def __init__(self, kid):
        self.kid = kid
        self.key = ec.generate_private_key(ec.SECP256R1())

    def jwk(self):
        numbers = self.key.public_key().public_numbers()
        return {"kty": "EC", "crv": "P-256", "kid": self.kid, "use": "sig", "alg": "ES256",
                "x": b64url(numbers.x.to_bytes(32, "big")), "y": b64url(numbers.y.to_bytes(32, "big"))}

    def token(self, issuer, kid=None, **extra):
        now = int(time.time())
        claims = dict({"sub": "7", "role": "user", "iss": issuer, "aud": API_AUDIENCE, "iat": now,
                       "exp": now + 300}, **extra)
        return sign_es256(self.key, b64url_json({"alg": "ES256", "kid": kid or self.kid}), claims)


@unittest.skipUnless(HAVE_CRYPTOGRAPHY, "python3-cryptography is not installed")
class RemoteJwksTest(GatehouseTestCase):
    ISSUER = "https://idp.test"

    def setUp(self):
        super().setUp()
        self.upstream = self.start_upstream()
        self.k1 = SigningKey("k1")
        self.k2 = SigningKey("k2")

    def start(self, uri, drain_timeout=None, **issuer_keys):
        jwt = {"jwt": {"issuers": [dict({"issuer": self.ISSUER, "audiences": [API_AUDIENCE], "algorithms": ["ES256"],
                                         "jwks_uri": uri}, **issuer_keys)]}}
        cfg = {
            "listeners": [{"name": "public", "address": "127.0.0.1:{port}"}],
            "admin": {"address": "127.0.0.1:{admin_port}"},
            "upstreams": {"echo": {"targets": [self.upstream.address]}},
            "routes": [{"name": "r", "match": {"path_prefix": "/"}, "upstream": "echo", "policies": [jwt]}],
        }
        if drain_timeout:
            cfg["drain_timeout"] = drain_timeout
        return self.start_gatehouse(cfg)

    def start_server(self, tls_context=None):
        server = JwksServer(tls_context)
        self.addCleanup(server.stop)
        server.keys = [self.k1.jwk()]
        return server

    def status(self, gh, token):
        return request(gh.port, "GET", "/inspect", bearer(token))[0]

    def test_rotation_is_picked_up_through_an_unknown_kid(self):
        server = self.start_server()
        gh = self.start(("http://127.0.0.1:%d/jwks" % server.port), refetch_interval="300ms")
        self.assertEqual(self.status(gh, self.k1.token(self.ISSUER)), 200)
        hits = server.hits
        server.keys = [self.k1.jwk(), self.k2.jwk()]
        time.sleep(0.4)
        self.assertEqual(self.status(gh, self.k2.token(self.ISSUER)), 200)
        self.assertEqual(server.hits, hits + 1)
        self.assertEqual(self.status(gh, self.k1.token(self.ISSUER)), 200)

    def test_a_flood_of_unknown_kids_fetches_at_most_once_per_interval(self):
        server = self.start_server()
        gh = self.start(("http://127.0.0.1:%d/jwks" % server.port), refetch_interval="10s")
        self.assertEqual(self.status(gh, self.k1.token(self.ISSUER)), 200)
        hits = server.hits
        for _ in range(50):
            self.assertEqual(self.status(gh, self.k1.token(self.ISSUER, kid=uuid.uuid4().hex)), 401)
        self.assertLessEqual(server.hits - hits, 1)
        self.assertEqual(gh.metric("gatehouse_jwt_failures_total", route="r", reason="unknown_kid"), 50)
        self.assertEqual(self.status(gh, self.k1.token(self.ISSUER)), 200)

    def test_the_last_good_keys_are_kept_while_the_key_server_is_down(self):
        server = self.start_server()
        server.max_age = 1  # refreshed every 800ms (min_cache_ttl 1s)
        gh = self.start(("http://127.0.0.1:%d/jwks" % server.port), min_cache_ttl="1s",
                        refetch_interval="200ms")
        self.assertEqual(self.status(gh, self.k1.token(self.ISSUER)), 200)
        server.failing = True
        hits = server.hits
        deadline = time.time() + 10 * SLOW
        while server.hits < hits + 2 and time.time() < deadline:
            time.sleep(0.1)
        self.assertGreaterEqual(server.hits, hits + 2, "no background refresh happened")
        self.assertEqual(self.status(gh, self.k1.token(self.ISSUER)), 200)
        self.assertGreaterEqual(gh.metric("gatehouse_jwt_jwks_fetches_total", result="failed"), 2)
        server.stop()  # now not even listening
        self.assertEqual(self.status(gh, self.k1.token(self.ISSUER)), 200)

    def test_keys_unavailable_from_the_start_is_503(self):
        port = refused_port()  # nobody listens
        gh = self.start("http://127.0.0.1:%d/jwks" % port, fetch_timeout="500ms", refetch_interval="1h")
        time.sleep(0.3)
        status, headers, body = request(gh.port, "GET", "/inspect", bearer(self.k1.token(self.ISSUER)))
        self.assertEqual(status, 503, body)
        self.assertEqual(json.loads(body)["error"]["code"], "service_unavailable")

    def test_stops_cleanly_while_a_request_waits_for_the_first_key_fetch(self):
        # A key server that accepts connections (the kernel does, from the
        # backlog) and never answers: the fetch is still in flight at exit.
        silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(silent.close)
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        gh = self.start("http://127.0.0.1:%d/jwks" % silent.getsockname()[1], drain_timeout="300ms",
                        fetch_timeout="10s", refetch_interval="1h")
        client = socket.create_connection(("127.0.0.1", gh.port))
        self.addCleanup(client.close)
        client.sendall(b"GET /inspect HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
                       % self.k1.token(self.ISSUER).encode())
        time.sleep(0.3)  # the request now waits for the keys
        started = time.monotonic()
        assert_stops_cleanly(self, gh)
        self.assertLess(time.monotonic() - started, 5 * SLOW, gh.output())

    def test_https_key_server_with_a_private_ca(self):
        pki_dir = tempfile.mkdtemp(prefix="gatehouse-jwt-pki-")
        self.addCleanup(shutil.rmtree, pki_dir, True)
        pki = tls_certs.TestPki(pki_dir)
        crt, key = pki.issue("idp", "localhost", dns=["localhost"])
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        server = self.start_server(ctx)
        gh = self.start("https://localhost:%d/jwks" % server.port, ca_file=pki.ca_crt)
        self.assertEqual(self.status(gh, self.k1.token(self.ISSUER)), 200)
        # Without the CA the server's certificate is not trusted: no keys.
        other = self.start("https://localhost:%d/jwks" % server.port, fetch_timeout="2s", refetch_interval="1h")
        self.assertEqual(self.status(other, self.k1.token(self.ISSUER)), 503)

    def test_plain_http_to_a_non_loopback_key_server_is_refused_at_load(self):
        import subprocess
        from harness import GATEHOUSE_BIN
        path = os.path.join(tempfile.mkdtemp(prefix="gatehouse-jwt-cfg-"), "g.yaml")
        with open(path, "w") as f:
            json.dump({"listeners": [{"name": "p", "address": "127.0.0.1:%d" % free_port()}],
                       "upstreams": {"echo": {"targets": [self.upstream.address]}},
                       "routes": [{"name": "r", "upstream": "echo", "policies": [{"jwt": {"issuers": [
                           {"issuer": "i", "audiences": ["a"], "algorithms": ["ES256"],
                            "jwks_uri": "http://192.0.2.1/jwks"}]}}]}]}, f)
        r = subprocess.run([GATEHOUSE_BIN, "check", "--config", path], capture_output=True, timeout=30 * SLOW)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"https://", r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
