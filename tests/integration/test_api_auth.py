"""Integration tests for gatehouse-api's auth and users endpoints (issue 3).

Starts the real gatehouse-api binary WITHOUT --trust-gateway-headers, so the
only identity is a bearer token it signed itself: register, login, refresh
rotation and reuse detection, logout, the JWKS, the users permissions, and
that users and refresh tokens survive a restart. bcrypt runs at cost 4.
"""

import base64
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest

from harness import SLOW, assert_stops_cleanly, free_port
from test_api_posts import API_BIN, Api

try:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    from cryptography.exceptions import InvalidSignature
    HAVE_CRYPTOGRAPHY = True
except ImportError:  # the signature check is skipped; everything else runs
    HAVE_CRYPTOGRAPHY = False

PASSWORD = "correct horse battery"


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def refresh_cookie_value(headers):
    """The refresh_token value from a response's Set-Cookie ("" if cleared)."""
    cookie = headers.get("set-cookie")
    if cookie is None:
        return None
    first = cookie.split(";")[0]
    name, _, value = first.partition("=")
    assert name.strip() == "refresh_token", cookie
    return value


class AuthTestCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="gatehouse-api-auth-")
        self.db_path = os.path.join(self.dir, "api.db")
        self.processes = []
        self.start()

    def tearDown(self):
        try:
            for p in self.processes:
                assert_stops_cleanly(self, p)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def start(self):
        self.api = Api(self.db_path, trust_gateway_headers=False)
        self.processes.append(self.api)

    def restart(self):
        self.assertEqual(self.api.stop(), 0, self.api.output())
        self.start()

    def register(self, email="alice@example.com", username="alice", password=PASSWORD):
        status, _, user = self.api.json("POST", "/api/auth/register",
                                        {"email": email, "username": username, "password": password})
        self.assertEqual(status, 201, user)
        return user

    def login(self, email="alice@example.com", password=PASSWORD):
        """(access token, refresh token)"""
        status, headers, body = self.api.json("POST", "/api/auth/login", {"email": email, "password": password})
        self.assertEqual(status, 200, body)
        return body["accessToken"], refresh_cookie_value(headers)

    def refresh(self, refresh_token):
        return self.api.json("POST", "/api/auth/refresh", headers={"Cookie": "refresh_token=" + refresh_token})

    def bearer(self, token):
        return {"Authorization": "Bearer " + token}

    def make_admin(self, user_id):
        with sqlite3.connect(self.db_path, timeout=10) as db:
            db.execute("UPDATE users SET role = 'admin' WHERE id = ?", (user_id,))

    def assert_error(self, body, code):
        self.assertEqual(body["error"]["code"], code, body)
        self.assertIsInstance(body["error"]["message"], str)


class RegisterTest(AuthTestCase):
    def test_register_is_201_without_the_hash(self):
        status, headers, user = self.api.json("POST", "/api/auth/register",
                                              {"email": "alice@example.com", "username": "alice",
                                               "password": PASSWORD})
        self.assertEqual(status, 201)
        self.assertEqual(headers["location"], "/api/users/%d" % user["id"])
        self.assertEqual(user["email"], "alice@example.com")
        self.assertEqual(user["username"], "alice")
        self.assertEqual(user["role"], "user")
        self.assertTrue(user["createdAt"].endswith("Z"))
        self.assertNotIn("passwordHash", user)
        self.assertNotIn("password", user)
        with sqlite3.connect(self.db_path, timeout=10) as db:
            (stored,) = db.execute("SELECT password_hash FROM users WHERE id = ?", (user["id"],)).fetchone()
        self.assertTrue(stored.startswith("$2b$04$"), stored)
        self.assertNotIn(PASSWORD, json.dumps(user))

    def test_validation_is_422_with_details(self):
        cases = [
            ({"email": "not-an-email", "username": "alice", "password": PASSWORD}, {"email"}),
            ({"email": "a@example.com", "username": "al", "password": PASSWORD}, {"username"}),
            ({"email": "a@example.com", "username": "x" * 31, "password": PASSWORD}, {"username"}),
            ({"email": "a@example.com", "username": "bad-name", "password": PASSWORD}, {"username"}),
            ({"email": "a@example.com", "username": "alice", "password": "short"}, {"password"}),
            ({"email": "a@example.com", "username": "alice", "password": "p" * 129}, {"password"}),
            ({}, {"email", "username", "password"}),
            ({"email": 5, "username": "alice", "password": PASSWORD}, {"email"}),
        ]
        for body, fields in cases:
            status, _, resp = self.api.json("POST", "/api/auth/register", body)
            self.assertEqual(status, 422, body)
            self.assert_error(resp, "VALIDATION")
            self.assertEqual({d["field"] for d in resp["error"]["details"]}, fields, resp)
        status, _, resp = self.api.json("POST", "/api/auth/register", b"{")
        self.assertEqual(status, 400)

    def test_duplicate_email_is_409(self):
        self.register()
        status, _, resp = self.api.json("POST", "/api/auth/register",
                                        {"email": "ALICE@example.com", "username": "alice2", "password": PASSWORD})
        self.assertEqual(status, 409)
        self.assert_error(resp, "CONFLICT")


class LoginTest(AuthTestCase):
    def test_login_returns_token_and_cookie(self):
        user = self.register()
        status, headers, body = self.api.json("POST", "/api/auth/login",
                                              {"email": "alice@example.com", "password": PASSWORD})
        self.assertEqual(status, 200, body)
        cookie = headers["set-cookie"]
        for attribute in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/api/auth", "Max-Age=604800"):
            self.assertIn(attribute, cookie)
        header_b64, payload_b64, _ = body["accessToken"].split(".")
        header = json.loads(b64url_decode(header_b64))
        claims = json.loads(b64url_decode(payload_b64))
        self.assertEqual(header["alg"], "ES256")
        self.assertEqual(claims["sub"], str(user["id"]))
        self.assertEqual(claims["role"], "user")
        self.assertEqual(claims["iss"], "http://127.0.0.1:3000")
        self.assertEqual(claims["aud"], "gatehouse-demo")
        self.assertEqual(claims["exp"] - claims["iat"], 15 * 60)
        self.assertLess(abs(claims["iat"] - time.time()), 120)
        # Stored hashed, with a 7-day expiry in Unix ms.
        refresh = refresh_cookie_value(headers)
        with sqlite3.connect(self.db_path, timeout=10) as db:
            rows = db.execute("SELECT token_hash, expires_at, revoked_at FROM refresh_tokens").fetchall()
        self.assertEqual(len(rows), 1)
        self.assertNotEqual(rows[0][0], refresh)
        self.assertEqual(len(rows[0][0]), 64)
        self.assertLess(abs(rows[0][1] - (time.time() + 7 * 86400) * 1000), 120000)
        self.assertIsNone(rows[0][2])

    def test_bad_credentials_are_401_with_one_message(self):
        self.register()
        s1, _, wrong_password = self.api.json("POST", "/api/auth/login",
                                              {"email": "alice@example.com", "password": "wrong password"})
        s2, _, unknown_email = self.api.json("POST", "/api/auth/login",
                                             {"email": "nobody@example.com", "password": PASSWORD})
        self.assertEqual((s1, s2), (401, 401))
        self.assertEqual(wrong_password, unknown_email)
        self.assert_error(wrong_password, "UNAUTHORIZED")

    def test_token_verifies_against_the_jwks(self):
        self.register()
        token, _ = self.login()
        status, headers, jwks = self.api.json("GET", "/.well-known/jwks.json")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/json")
        header_b64, payload_b64, sig_b64 = token.split(".")
        kid = json.loads(b64url_decode(header_b64))["kid"]
        keys = [k for k in jwks["keys"] if k["kid"] == kid]
        self.assertEqual(len(keys), 1, jwks)
        key = keys[0]
        self.assertEqual((key["kty"], key["crv"], key["alg"], key["use"]), ("EC", "P-256", "ES256", "sig"))
        self.assertNotIn("d", key)
        if not HAVE_CRYPTOGRAPHY:
            return
        public = ec.EllipticCurvePublicNumbers(int.from_bytes(b64url_decode(key["x"]), "big"),
                                               int.from_bytes(b64url_decode(key["y"]), "big"),
                                               ec.SECP256R1()).public_key()
        sig = b64url_decode(sig_b64)
        der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
        public.verify(der, (header_b64 + "." + payload_b64).encode(), ec.ECDSA(hashes.SHA256()))
        with self.assertRaises(InvalidSignature):
            public.verify(der, (header_b64 + "." + payload_b64 + "x").encode(), ec.ECDSA(hashes.SHA256()))

    def test_key_file_is_generated_once_and_kept(self):
        self.assertTrue(os.path.exists(self.api.key_path))
        self.assertEqual(os.stat(self.api.key_path).st_mode & 0o777, 0o600)
        _, _, before = self.api.json("GET", "/.well-known/jwks.json")
        self.restart()
        _, _, after = self.api.json("GET", "/.well-known/jwks.json")
        self.assertEqual(before, after)


class IdentityTest(AuthTestCase):
    def test_gateway_headers_are_ignored_without_the_flag(self):
        user = self.register()
        status, _, body = self.api.json("POST", "/api/posts", {"title": "t", "body": "b"},
                                        user=user["id"], role="admin")
        self.assertEqual(status, 401, body)
        status, _, body = self.api.json("GET", "/api/users", user=user["id"], role="admin")
        self.assertEqual(status, 401, body)
        token, _ = self.login()
        status, _, post = self.api.json("POST", "/api/posts", {"title": "t", "body": "b"},
                                        headers=self.bearer(token))
        self.assertEqual(status, 201, post)
        self.assertEqual(post["authorId"], user["id"])

    def test_bad_tokens_are_401(self):
        self.register()
        token, _ = self.login()
        head, payload, sig = token.split(".")
        claims = json.loads(b64url_decode(payload))
        claims["role"] = "admin"
        forged = head + "." + base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=") + "." + sig
        for bad in ["", "garbage", forged, token + "x"]:
            status, _, _ = self.api.json("POST", "/api/posts", {"title": "t", "body": "b"},
                                         headers={"Authorization": "Bearer " + bad})
            self.assertEqual(status, 401, bad)

    def test_token_with_other_audience_is_refused(self):
        self.register()
        token, _ = self.login()
        # The same key, but an API expecting another audience refuses it.
        self.assertEqual(self.api.stop(), 0)
        self.api = Api(self.db_path, trust_gateway_headers=False, extra_args=["--audience", "other"])
        self.processes.append(self.api)
        status, _, _ = self.api.json("POST", "/api/posts", {"title": "t", "body": "b"}, headers=self.bearer(token))
        self.assertEqual(status, 401)


class RefreshTest(AuthTestCase):
    def test_rotation_and_reuse_detection(self):
        self.register()
        _, first = self.login()
        status, headers, body = self.refresh(first)
        self.assertEqual(status, 200, body)
        second = refresh_cookie_value(headers)
        self.assertTrue(second and second != first)
        self.assertEqual(len(body["accessToken"].split(".")), 3)
        with sqlite3.connect(self.db_path, timeout=10) as db:
            rows = db.execute("SELECT id, revoked_at, replaced_by FROM refresh_tokens ORDER BY id").fetchall()
        self.assertEqual(len(rows), 2)
        self.assertIsNotNone(rows[0][1])
        self.assertEqual(rows[0][2], rows[1][0])
        self.assertIsNone(rows[1][1])
        # Reusing the rotated token fails and revokes the whole family...
        status, _, body = self.refresh(first)
        self.assertEqual(status, 401, body)
        self.assert_error(body, "UNAUTHORIZED")
        # ...so the current one is dead too.
        status, _, _ = self.refresh(second)
        self.assertEqual(status, 401)

    def test_concurrent_refreshes_with_one_token_rotate_once(self):
        self.register()
        _, token = self.login()
        results = []
        threads = [threading.Thread(target=lambda: results.append(self.refresh(token)[0])) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(results), [200, 401, 401, 401])
        with sqlite3.connect(self.db_path, timeout=10) as db:
            live = db.execute("SELECT COUNT(*) FROM refresh_tokens WHERE revoked_at IS NULL").fetchone()[0]
        self.assertEqual(live, 0)  # the reuse revoked the family, the new token included

    def test_missing_unknown_or_expired_cookie_is_401(self):
        self.register()
        status, _, _ = self.api.json("POST", "/api/auth/refresh")
        self.assertEqual(status, 401)
        status, _, _ = self.refresh("x" * 43)
        self.assertEqual(status, 401)
        status, _, _ = self.refresh("junk")
        self.assertEqual(status, 401)
        _, token = self.login()
        with sqlite3.connect(self.db_path, timeout=10) as db:
            db.execute("UPDATE refresh_tokens SET expires_at = 1")
        status, _, _ = self.refresh(token)
        self.assertEqual(status, 401)

    def test_logout_revokes_and_clears_the_cookie(self):
        self.register()
        _, token = self.login()
        status, headers, _ = self.api.request("POST", "/api/auth/logout",
                                              headers={"Cookie": "refresh_token=" + token})
        self.assertEqual(status, 204)
        self.assertEqual(refresh_cookie_value(headers), "")
        self.assertIn("Max-Age=0", headers["set-cookie"])
        status, _, _ = self.refresh(token)
        self.assertEqual(status, 401)
        # Without a cookie it is still 204.
        status, _, _ = self.api.request("POST", "/api/auth/logout")
        self.assertEqual(status, 204)


class UsersTest(AuthTestCase):
    def setUp(self):
        super().setUp()
        self.alice = self.register("alice@example.com", "alice")
        self.bob = self.register("bob@example.com", "bob")
        self.root = self.register("root@example.com", "root")
        self.make_admin(self.root["id"])
        self.alice_token, _ = self.login("alice@example.com")
        self.root_token, _ = self.login("root@example.com")

    def test_list_is_admin_only(self):
        status, _, _ = self.api.json("GET", "/api/users")
        self.assertEqual(status, 401)
        status, _, body = self.api.json("GET", "/api/users", headers=self.bearer(self.alice_token))
        self.assertEqual(status, 403)
        self.assert_error(body, "FORBIDDEN")
        status, _, body = self.api.json("GET", "/api/users?page=1&limit=2", headers=self.bearer(self.root_token))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["meta"], {"page": 1, "limit": 2, "total": 3, "totalPages": 2})
        self.assertEqual([u["id"] for u in body["data"]], [self.root["id"], self.bob["id"]])
        for u in body["data"]:
            self.assertNotIn("passwordHash", u)
        status, _, body = self.api.json("GET", "/api/users?cursor=&limit=2", headers=self.bearer(self.root_token))
        self.assertEqual(status, 200)
        self.assertTrue(body["meta"]["hasMore"])
        status, _, body = self.api.json("GET", "/api/users?cursor=%s&limit=2" % body["meta"]["nextCursor"],
                                        headers=self.bearer(self.root_token))
        self.assertEqual([u["id"] for u in body["data"]], [self.alice["id"]])
        self.assertFalse(body["meta"]["hasMore"])

    def test_get_one(self):
        status, _, body = self.api.json("GET", "/api/users/%d" % self.bob["id"], headers=self.bearer(self.alice_token))
        self.assertEqual(status, 200)
        self.assertEqual(body, self.bob)
        status, _, _ = self.api.json("GET", "/api/users/9999", headers=self.bearer(self.alice_token))
        self.assertEqual(status, 404)
        status, _, _ = self.api.json("GET", "/api/users/%d" % self.bob["id"])
        self.assertEqual(status, 401)

    def test_patch_self_or_admin(self):
        path = "/api/users/%d" % self.alice["id"]
        status, _, body = self.api.json("PATCH", path, {"username": "alice_2"}, headers=self.bearer(self.alice_token))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["username"], "alice_2")
        # Not someone else, and not one's own role.
        status, _, _ = self.api.json("PATCH", "/api/users/%d" % self.bob["id"], {"username": "bobby"},
                                     headers=self.bearer(self.alice_token))
        self.assertEqual(status, 403)
        status, _, _ = self.api.json("PATCH", path, {"role": "admin"}, headers=self.bearer(self.alice_token))
        self.assertEqual(status, 403)
        status, _, body = self.api.json("PATCH", path, {"username": "x"}, headers=self.bearer(self.alice_token))
        self.assertEqual(status, 422)
        self.assert_error(body, "VALIDATION")
        status, _, _ = self.api.json("PATCH", path, {"email": "bob@example.com"}, headers=self.bearer(self.alice_token))
        self.assertEqual(status, 409)
        # An admin may change anyone, role included.
        status, _, body = self.api.json("PATCH", "/api/users/%d" % self.bob["id"], {"role": "admin"},
                                        headers=self.bearer(self.root_token))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["role"], "admin")

    def test_delete_is_admin_only(self):
        path = "/api/users/%d" % self.bob["id"]
        status, _, _ = self.api.json("DELETE", path, headers=self.bearer(self.alice_token))
        self.assertEqual(status, 403)
        status, _, _ = self.api.json("DELETE", path, headers=self.bearer(self.root_token))
        self.assertEqual(status, 204)
        status, _, _ = self.api.json("GET", path, headers=self.bearer(self.root_token))
        self.assertEqual(status, 404)
        status, _, _ = self.api.json("DELETE", path, headers=self.bearer(self.root_token))
        self.assertEqual(status, 404)


class RestartTest(AuthTestCase):
    def test_user_and_refresh_token_survive_a_restart(self):
        user = self.register()
        _, refresh = self.login()
        self.restart()
        token, _ = self.login()  # the user (and its hash) survived
        status, _, body = self.api.json("GET", "/api/users/%d" % user["id"], headers=self.bearer(token))
        self.assertEqual(status, 200)
        self.assertEqual(body, user)
        status, headers, _ = self.refresh(refresh)  # so did the refresh token
        self.assertEqual(status, 200)
        rotated = refresh_cookie_value(headers)
        self.restart()
        status, _, _ = self.refresh(refresh)  # its revocation too
        self.assertEqual(status, 401)
        status, _, _ = self.refresh(rotated)  # and the family revocation it caused
        self.assertEqual(status, 401)


class GatewayNetworksTest(AuthTestCase):
    """--trust-gateway-headers believes X-User-* only from --gateway-networks."""

    def start(self):
        self.api = Api(self.db_path, trust_gateway_headers=True, extra_args=["--gateway-networks", "10.0.0.0/8, 192.0.2.7"])
        self.processes.append(self.api)

    def test_headers_from_outside_the_gateway_networks_are_ignored(self):
        user = self.register()
        # We call from 127.0.0.1, which is not a gateway here: no identity.
        status, _, body = self.api.json("POST", "/api/posts", {"title": "t", "body": "b"}, user=user["id"])
        self.assertEqual(status, 401, body)
        status, _, _ = self.api.json("GET", "/api/users", user=user["id"], role="admin")
        self.assertEqual(status, 401)
        # A bearer token still works.
        token, _ = self.login()
        status, _, body = self.api.json("POST", "/api/posts", {"title": "t", "body": "b"}, headers=self.bearer(token))
        self.assertEqual(status, 201, body)

    def test_bad_network_list_refuses_to_start(self):
        r = subprocess.run([API_BIN, "--listen", "127.0.0.1:%d" % free_port(), "--db", os.path.join(self.dir, "n.db"),
                            "--signing-key", os.path.join(self.dir, "k.pem"), "--gateway-networks", "10.0.0.0/33"],
                           capture_output=True, timeout=10 * SLOW)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"10.0.0.0/33", r.stderr)


class SharedSecretTest(AuthTestCase):
    """HS256 with a shared secret instead of the ES256 key pair."""

    SECRET = b"0123456789abcdef0123456789abcdef-demo"

    def start(self):
        secret_file = os.path.join(self.dir, "secret")
        with open(secret_file, "wb") as f:
            f.write(self.SECRET + b"\n")  # the trailing newline is not part of it
        self.api = Api(self.db_path, trust_gateway_headers=False,
                       signing_args=["--signing-secret-file", secret_file])
        self.processes.append(self.api)

    def test_tokens_are_hs256_with_the_secret_and_not_published(self):
        user = self.register()
        token, _ = self.login()
        header_b64, payload_b64, signature_b64 = token.split(".")
        self.assertEqual(json.loads(b64url_decode(header_b64)), {"alg": "HS256", "typ": "JWT"})
        expected = hmac.new(self.SECRET, (header_b64 + "." + payload_b64).encode(), hashlib.sha256).digest()
        self.assertEqual(b64url_decode(signature_b64), expected)
        status, _, body = self.api.json("GET", "/api/users/%d" % user["id"], headers=self.bearer(token))
        self.assertEqual(status, 200, body)
        status, _, jwks = self.api.json("GET", "/.well-known/jwks.json")
        self.assertEqual((status, jwks), (200, {"keys": []}))
        # A token signed with another secret is refused.
        forged_sig = hmac.new(b"x" * 40, (header_b64 + "." + payload_b64).encode(), hashlib.sha256).digest()
        forged = header_b64 + "." + payload_b64 + "." + base64.urlsafe_b64encode(forged_sig).decode().rstrip("=")
        status, _, _ = self.api.json("GET", "/api/users/%d" % user["id"], headers=self.bearer(forged))
        self.assertEqual(status, 401)

    def test_short_secret_or_two_signing_methods_refuse_to_start(self):
        short = os.path.join(self.dir, "short")
        with open(short, "w") as f:
            f.write("too short")
        base = [API_BIN, "--listen", "127.0.0.1:%d" % free_port(), "--db", os.path.join(self.dir, "b.db")]
        r = subprocess.run(base + ["--signing-secret-file", short], capture_output=True, timeout=10 * SLOW)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"at least 32 bytes", r.stderr)
        r = subprocess.run(base + ["--signing-secret-file", short, "--signing-key", "k.pem"],
                           capture_output=True, timeout=10 * SLOW)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"exactly one of", r.stderr)


if __name__ == "__main__":
    unittest.main()
