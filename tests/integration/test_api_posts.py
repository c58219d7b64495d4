"""Integration tests for gatehouse-api's posts endpoints (issue 3).

Starts the real gatehouse-api binary (GATEHOUSE_API_BIN, set by CTest) on a
free port with a temporary SQLite file, and talks HTTP to it. Users are
seeded straight into the database, and the API is started with
--trust-gateway-headers so that it takes the caller from X-User-Id /
X-User-Role as it does behind Gatehouse (test_api_auth.py covers real tokens
and that those headers are ignored without the flag).
"""

import email.utils
import http.client
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

from harness import (Process, RawClient, SLOW, assert_stops_cleanly, free_port, start_listening,
                     wait_for_port)

API_BIN = os.environ.get("GATEHOUSE_API_BIN", "build/bin/gatehouse-api")


class Api(Process):
    """gatehouse-api on a free port, storing into `db_path`, signing with a
    key next to it (generated on first start), bcrypt cost 4 so tests run
    fast."""

    def __init__(self, db_path, trust_gateway_headers=True, extra_args=(), signing_args=None):
        self.db_path = db_path
        self.key_path = os.path.join(os.path.dirname(db_path), "signing-key.pem")
        if signing_args is None:
            signing_args = ["--signing-key", self.key_path]
        options = ["--db", db_path, "--bcrypt-cost", "4"] + list(signing_args)
        if trust_gateway_headers:
            options.append("--trust-gateway-headers")

        def start():
            self.port = free_port()
            Process.__init__(self, [API_BIN, "--listen", "127.0.0.1:%d" % self.port] + options
                             + list(extra_args), "gatehouse-api")
        start_listening(self, start, lambda: self.port)

    def request(self, method, path, body=None, headers=None, user=None, role=None):
        """(status, headers dict with lower-case names, body bytes)."""
        headers = dict(headers or {})
        if user is not None:
            headers["X-User-Id"] = str(user)
        if role is not None:
            headers["X-User-Role"] = role
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10 * SLOW)
        try:
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()

    def json(self, method, path, body=None, headers=None, user=None, role=None):
        """(status, headers, parsed JSON body or None when empty)."""
        status, h, data = self.request(method, path, body, headers, user, role)
        return status, h, (json.loads(data) if data else None)


class ApiTestCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="gatehouse-api-test-")
        self.db_path = os.path.join(self.dir, "api.db")
        self.processes = []
        self.start()
        self.alice = self.add_user("alice@example.com", "alice")
        self.bob = self.add_user("bob@example.com", "bob")
        self.admin = self.add_user("root@example.com", "root", role="admin")

    def tearDown(self):
        try:
            for p in self.processes:
                assert_stops_cleanly(self, p)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def start(self):
        self.api = Api(self.db_path)
        self.processes.append(self.api)

    def restart(self):
        self.assertEqual(self.api.stop(), 0, self.api.output())
        self.start()

    def add_user(self, email_address, username, role="user"):
        with sqlite3.connect(self.db_path, timeout=10) as db:
            cur = db.execute(
                "INSERT INTO users (email, username, password_hash, role, created_at, updated_at)"
                " VALUES (?, ?, 'x', ?, 0, 0)", (email_address, username, role))
            return cur.lastrowid

    def create_post(self, title="a title", body="a body", user=None):
        status, headers, post = self.api.json("POST", "/api/posts", {"title": title, "body": body},
                                              user=user or self.alice)
        self.assertEqual(status, 201, post)
        return post

    def assert_error(self, status, body, code):
        self.assertIsInstance(body, dict)
        self.assertEqual(body["error"]["code"], code, body)
        self.assertIsInstance(body["error"]["message"], str)


class RoutingTest(ApiTestCase):
    def test_healthz(self):
        status, _, body = self.api.json("GET", "/healthz")
        self.assertEqual(status, 200)
        self.assertEqual(body, {"status": "ok"})

    def test_unknown_route_is_404_json(self):
        for path in ["/nope", "/api/posts/1/extra", "/api/post", "/"]:
            status, headers, body = self.api.json("GET", path)
            self.assertEqual(status, 404, path)
            self.assertEqual(headers["content-type"], "application/json")
            self.assert_error(status, body, "NOT_FOUND")

    def test_wrong_method_is_405_with_allow(self):
        status, headers, body = self.api.json("DELETE", "/api/posts")
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "POST, GET, HEAD")
        self.assert_error(status, body, "METHOD_NOT_ALLOWED")
        status, headers, _ = self.api.json("POST", "/api/posts/1")
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "GET, HEAD, PUT, PATCH, DELETE")
        status, headers, _ = self.api.json("POST", "/healthz")
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "GET, HEAD")

    def test_malformed_json_is_400(self):
        for raw in [b"{", b"not json", b"", b"[1, 2]", b'"text"', b'{"title": "x",}']:
            status, _, body = self.api.json("POST", "/api/posts", raw, user=self.alice)
            self.assertEqual(status, 400, raw)
            self.assert_error(status, body, "BAD_REQUEST")

    def test_body_too_large_is_413(self):
        # Declared length over the 1 MiB limit: answered before the body is sent.
        client = RawClient(self.api.port)
        try:
            client.send(b"POST /api/posts HTTP/1.1\r\nHost: t\r\nX-User-Id: %d\r\n"
                        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                        % (self.alice, 2 * 1024 * 1024))
            self.assertEqual(client.read_response().status, 413)
        finally:
            client.close()
        # A chunked body that grows past the limit.
        client = RawClient(self.api.port)
        try:
            chunk = b"x" * 65536
            head = (b"POST /api/posts HTTP/1.1\r\nHost: t\r\nX-User-Id: %d\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n" % self.alice)
            try:
                client.send(head + (b"%x\r\n%s\r\n" % (len(chunk), chunk)) * 20)
            except OSError:
                pass  # the server may close while we still write
            self.assertEqual(client.read_response().status, 413)
        finally:
            client.close()

    def test_unexpected_failure_is_500_with_generic_message(self):
        post = self.create_post()
        with sqlite3.connect(self.db_path, timeout=10) as db:
            db.execute("ALTER TABLE posts RENAME TO posts_gone")
        status, _, body = self.api.json("GET", "/api/posts/%d" % post["id"])
        self.assertEqual(status, 500)
        self.assertEqual(body, {"error": {"code": "INTERNAL_ERROR", "message": "internal error"}})
        self.assertIn("no such table", self.api.output())  # details only in the log
        # The service goes on answering.
        self.assertEqual(self.api.json("GET", "/healthz")[0], 200)


class CreateAndReadTest(ApiTestCase):
    def test_create_is_201_with_location(self):
        status, headers, post = self.api.json("POST", "/api/posts", {"title": "Hello", "body": "World"},
                                              user=self.alice)
        self.assertEqual(status, 201)
        self.assertEqual(headers["location"], "/api/posts/%d" % post["id"])
        self.assertEqual(post["title"], "Hello")
        self.assertEqual(post["body"], "World")
        self.assertEqual(post["authorId"], self.alice)
        self.assertEqual(post["version"], 1)
        self.assertTrue(post["createdAt"].endswith("Z"))
        status, _, fetched = self.api.json("GET", headers["location"])
        self.assertEqual(status, 200)
        self.assertEqual(fetched, post)

    def test_create_without_identity_is_401(self):
        for user in [None, "abc", "0", "-3"]:
            status, _, body = self.api.json("POST", "/api/posts", {"title": "t", "body": "b"}, user=user)
            self.assertEqual(status, 401, user)
            self.assert_error(status, body, "UNAUTHORIZED")
        # An identity that names no user is not an author either.
        status, _, _ = self.api.json("POST", "/api/posts", {"title": "t", "body": "b"}, user=9999)
        self.assertEqual(status, 401)

    def test_validation_is_422_with_details(self):
        cases = [
            ({"body": "b"}, ["title"]),
            ({"title": "t"}, ["body"]),
            ({"title": "", "body": "b"}, ["title"]),
            ({"title": "   ", "body": "b"}, ["title"]),
            ({"title": "t" * 201, "body": "b"}, ["title"]),
            ({"title": "t", "body": "b" * 20001}, ["body"]),
            ({"title": 5, "body": None}, ["title", "body"]),
            ({}, ["title", "body"]),
        ]
        for payload, fields in cases:
            status, _, body = self.api.json("POST", "/api/posts", payload, user=self.alice)
            self.assertEqual(status, 422, payload)
            self.assert_error(status, body, "VALIDATION")
            self.assertEqual([d["field"] for d in body["error"]["details"]], fields, payload)
            for d in body["error"]["details"]:
                self.assertIsInstance(d["message"], str)

    def test_limits_count_characters_not_bytes(self):
        post = self.create_post(title="é" * 200, body="b" * 20000)
        self.assertEqual(len(post["title"]), 200)

    def test_missing_post_is_404(self):
        for path in ["/api/posts/12345", "/api/posts/abc", "/api/posts/0", "/api/posts/-1"]:
            status, _, body = self.api.json("GET", path)
            self.assertEqual(status, 404, path)
            self.assert_error(status, body, "NOT_FOUND")

    def test_head_has_headers_without_body(self):
        post = self.create_post()
        status, headers, data = self.api.request("HEAD", "/api/posts/%d" % post["id"])
        self.assertEqual(status, 200)
        self.assertEqual(data, b"")
        self.assertIn("etag", headers)


class ConditionalGetTest(ApiTestCase):
    def get(self, post_id, **headers):
        return self.api.request("GET", "/api/posts/%d" % post_id, headers=headers)

    def test_caching_headers(self):
        post = self.create_post()
        status, headers, _ = self.get(post["id"])
        self.assertEqual(status, 200)
        etag = headers["etag"]
        self.assertTrue(etag.startswith('"') and etag.endswith('"'), etag)  # strong
        self.assertEqual(headers["cache-control"], "public, max-age=60, stale-while-revalidate=300")
        modified = email.utils.parsedate_to_datetime(headers["last-modified"])
        self.assertLess(abs(modified.timestamp() - time.time()), 120)

    def test_if_none_match(self):
        post = self.create_post()
        _, headers, _ = self.get(post["id"])
        etag = headers["etag"]
        for value in [etag, '"other", ' + etag, "W/" + etag, "*"]:
            status, h, data = self.get(post["id"], **{"If-None-Match": value})
            self.assertEqual(status, 304, value)
            self.assertEqual(data, b"")
            self.assertEqual(h["etag"], etag)
            self.assertEqual(h["cache-control"], "public, max-age=60, stale-while-revalidate=300")
        for value in ['"nope"', 'W/"nope", "also-not"']:
            status, _, data = self.get(post["id"], **{"If-None-Match": value})
            self.assertEqual(status, 200, value)
            self.assertEqual(json.loads(data)["id"], post["id"])

    def test_if_modified_since(self):
        post = self.create_post()
        _, headers, _ = self.get(post["id"])
        status, _, data = self.get(post["id"], **{"If-Modified-Since": headers["last-modified"]})
        self.assertEqual(status, 304)
        self.assertEqual(data, b"")
        later = email.utils.formatdate(time.time() + 3600, usegmt=True)
        self.assertEqual(self.get(post["id"], **{"If-Modified-Since": later})[0], 304)
        earlier = email.utils.formatdate(time.time() - 3600, usegmt=True)
        self.assertEqual(self.get(post["id"], **{"If-Modified-Since": earlier})[0], 200)
        self.assertEqual(self.get(post["id"], **{"If-Modified-Since": "yesterday"})[0], 200)
        # If-None-Match decides alone when both are present.
        status, _, _ = self.get(post["id"], **{"If-None-Match": '"nope"', "If-Modified-Since": later})
        self.assertEqual(status, 200)

    def test_etag_changes_after_every_update(self):
        post = self.create_post()
        _, headers, _ = self.get(post["id"])
        first = headers["etag"]
        status, h, updated = self.api.json("PATCH", "/api/posts/%d" % post["id"], {"title": "new"}, user=self.alice)
        self.assertEqual(status, 200)
        second = h["etag"]
        self.assertNotEqual(first, second)
        self.assertEqual(updated["version"], 2)
        self.assertEqual(self.get(post["id"], **{"If-None-Match": first})[0], 200)
        self.assertEqual(self.get(post["id"], **{"If-None-Match": second})[0], 304)
        # Same content again still changes the ETag.
        _, h, _ = self.api.json("PATCH", "/api/posts/%d" % post["id"], {"title": "new"}, user=self.alice)
        self.assertNotIn(h["etag"], [first, second])


class UpdateAndDeleteTest(ApiTestCase):
    def test_put_replaces(self):
        post = self.create_post()
        path = "/api/posts/%d" % post["id"]
        status, _, updated = self.api.json("PUT", path, {"title": "T2", "body": "B2"}, user=self.alice)
        self.assertEqual(status, 200)
        self.assertEqual((updated["title"], updated["body"], updated["version"]), ("T2", "B2", 2))
        status, _, body = self.api.json("PUT", path, {"title": "only title"}, user=self.alice)
        self.assertEqual(status, 422)
        self.assertEqual([d["field"] for d in body["error"]["details"]], ["body"])

    def test_patch_is_partial(self):
        post = self.create_post(title="T", body="B")
        path = "/api/posts/%d" % post["id"]
        status, _, updated = self.api.json("PATCH", path, {"body": "B2"}, user=self.alice)
        self.assertEqual(status, 200)
        self.assertEqual((updated["title"], updated["body"]), ("T", "B2"))
        self.assertEqual(self.api.json("PATCH", path, {}, user=self.alice)[0], 422)
        self.assertEqual(self.api.json("PATCH", path, {"title": ""}, user=self.alice)[0], 422)
        self.assertEqual(self.api.json("PATCH", path, b"{oops", user=self.alice)[0], 400)

    def test_permissions(self):
        post = self.create_post(user=self.alice)
        path = "/api/posts/%d" % post["id"]
        for method, payload in [("PUT", {"title": "x", "body": "y"}), ("PATCH", {"title": "x"}), ("DELETE", None)]:
            status, _, body = self.api.json(method, path, payload)
            self.assertEqual(status, 401, method)
            self.assert_error(status, body, "UNAUTHORIZED")
            status, _, body = self.api.json(method, path, payload, user=self.bob)
            self.assertEqual(status, 403, method)
            self.assert_error(status, body, "FORBIDDEN")
            # The role header is what makes an admin; a user id alone is not.
            self.assertEqual(self.api.json(method, path, payload, user=self.bob, role="user")[0], 403)
            status, _, body = self.api.json(method, "/api/posts/99999", payload, user=self.alice)
            self.assertEqual(status, 404, method)
        status, _, updated = self.api.json("PATCH", path, {"title": "by admin"}, user=self.admin, role="admin")
        self.assertEqual(status, 200)
        self.assertEqual(updated["authorId"], self.alice)  # the author does not change

    def test_if_match_makes_writes_conditional(self):
        post = self.create_post()
        path = "/api/posts/%d" % post["id"]
        _, headers, _ = self.api.request("GET", path)
        stale = headers["etag"]
        status, h, _ = self.api.json("PATCH", path, {"title": "v2"}, user=self.alice, headers={"If-Match": stale})
        self.assertEqual(status, 200)
        fresh = h["etag"]
        # A second editor still holding the old ETag is refused.
        status, _, body = self.api.json("PUT", path, {"title": "x", "body": "y"}, user=self.alice,
                                        headers={"If-Match": stale})
        self.assertEqual(status, 412)
        self.assert_error(status, body, "PRECONDITION_FAILED")
        self.assertEqual(self.api.json("PATCH", path, {"title": "x"}, user=self.alice,
                                       headers={"If-Match": "W/" + fresh})[0], 412)  # strong comparison
        self.assertEqual(self.api.request("DELETE", path, user=self.alice, headers={"If-Match": stale})[0], 412)
        self.assertEqual(self.api.json("GET", path)[2]["title"], "v2")
        self.assertEqual(self.api.request("DELETE", path, user=self.alice, headers={"If-Match": fresh})[0], 204)

    def test_delete(self):
        mine = self.create_post(user=self.alice)
        theirs = self.create_post(user=self.bob)
        status, _, data = self.api.request("DELETE", "/api/posts/%d" % mine["id"], user=self.alice)
        self.assertEqual((status, data), (204, b""))
        self.assertEqual(self.api.json("GET", "/api/posts/%d" % mine["id"])[0], 404)
        self.assertEqual(self.api.request("DELETE", "/api/posts/%d" % mine["id"], user=self.alice)[0], 404)
        status, _, _ = self.api.request("DELETE", "/api/posts/%d" % theirs["id"], user=self.admin, role="admin")
        self.assertEqual(status, 204)


class PaginationTest(ApiTestCase):
    def ids(self, body):
        return [p["id"] for p in body["data"]]

    def test_offset_pagination_meta(self):
        created = [self.create_post(title="p%d" % i)["id"] for i in range(25)]
        status, _, body = self.api.json("GET", "/api/posts?page=1&limit=10")
        self.assertEqual(status, 200)
        self.assertEqual(body["meta"], {"page": 1, "limit": 10, "total": 25, "totalPages": 3})
        self.assertEqual(self.ids(body), created[::-1][:10])  # newest first
        _, _, body = self.api.json("GET", "/api/posts?page=3&limit=10")
        self.assertEqual(self.ids(body), created[::-1][20:])
        _, _, body = self.api.json("GET", "/api/posts?page=4&limit=10")
        self.assertEqual(body["data"], [])
        _, _, body = self.api.json("GET", "/api/posts")
        self.assertEqual(body["meta"], {"page": 1, "limit": 20, "total": 25, "totalPages": 2})

    def test_limit_is_capped_at_100(self):
        for _ in range(3):
            self.create_post()
        _, _, body = self.api.json("GET", "/api/posts?limit=1000")
        self.assertEqual(body["meta"]["limit"], 100)
        _, _, body = self.api.json("GET", "/api/posts?cursor=&limit=1000")
        self.assertEqual(len(body["data"]), 3)
        self.assertFalse(body["meta"]["hasMore"])

    def test_bad_parameters_are_422(self):
        for query in ["page=0", "page=-1", "page=abc", "page=", "limit=0", "limit=x", "limit=-5",
                      "cursor=!!!", "cursor=Zm9v", "cursor=abc&page=1"]:
            status, _, body = self.api.json("GET", "/api/posts?" + query)
            self.assertEqual(status, 422, query)
            self.assert_error(status, body, "VALIDATION")
            self.assertTrue(body["error"]["details"], query)

    def test_offset_pages_while_rows_are_inserted(self):
        created = [self.create_post(title="p%d" % i)["id"] for i in range(25)]
        newest_first = created[::-1]
        _, _, page1 = self.api.json("GET", "/api/posts?page=1&limit=10")
        self.assertEqual(self.ids(page1), newest_first[:10])
        for i in range(3):
            self.create_post(title="late%d" % i)
        _, _, page2 = self.api.json("GET", "/api/posts?page=2&limit=10")
        # Offset pages shift by the rows inserted above them: the last 3 rows
        # of page 1 come again, and nothing is skipped. The total follows.
        self.assertEqual(self.ids(page2), newest_first[7:17])
        self.assertEqual(page2["meta"]["total"], 28)
        self.assertEqual(page2["meta"]["totalPages"], 3)
        seen = set(self.ids(page1)) | set(self.ids(page2))
        self.assertTrue(set(newest_first[:17]) <= seen)

    def test_cursor_pages_are_stable_while_rows_are_inserted(self):
        created = [self.create_post(title="p%d" % i)["id"] for i in range(25)]
        newest_first = created[::-1]
        _, _, page = self.api.json("GET", "/api/posts?cursor=&limit=10")
        self.assertEqual(self.ids(page), newest_first[:10])
        self.assertTrue(page["meta"]["hasMore"])
        collected = self.ids(page)
        late = []
        while page["meta"]["hasMore"]:
            late += [self.create_post(title="late")["id"] for _ in range(3)]
            cursor = page["meta"]["nextCursor"]
            self.assertIsInstance(cursor, str)
            status, _, page = self.api.json("GET", "/api/posts?limit=10&cursor=" + cursor)
            self.assertEqual(status, 200)
            collected += self.ids(page)
        self.assertEqual(collected, newest_first)  # every row once, in order
        self.assertFalse(set(late) & set(collected))  # later inserts never appear
        self.assertIsNone(page["meta"]["nextCursor"])
        self.assertEqual(len(self.ids(page)), 5)

    def test_cursor_survives_deleted_anchor(self):
        created = [self.create_post()["id"] for _ in range(6)]
        _, _, page = self.api.json("GET", "/api/posts?cursor=&limit=3")
        anchor = page["data"][-1]["id"]
        self.assertEqual(self.api.request("DELETE", "/api/posts/%d" % anchor, user=self.alice)[0], 204)
        _, _, page = self.api.json("GET", "/api/posts?limit=3&cursor=" + page["meta"]["nextCursor"])
        self.assertEqual(self.ids(page), created[::-1][3:])

    def test_user_posts(self):
        mine = [self.create_post(user=self.alice)["id"] for _ in range(3)]
        self.create_post(user=self.bob)
        status, _, body = self.api.json("GET", "/api/users/%d/posts" % self.alice)
        self.assertEqual(status, 200)
        self.assertEqual(self.ids(body), mine[::-1])
        self.assertEqual(body["meta"]["total"], 3)
        _, _, body = self.api.json("GET", "/api/users/%d/posts?cursor=&limit=2" % self.alice)
        self.assertEqual(self.ids(body), mine[::-1][:2])
        _, _, body = self.api.json("GET", "/api/users/%d/posts?limit=2&cursor=%s" %
                                   (self.alice, body["meta"]["nextCursor"]))
        self.assertEqual(self.ids(body), mine[:1])
        self.assertFalse(body["meta"]["hasMore"])
        _, _, body = self.api.json("GET", "/api/users/%d/posts" % self.admin)
        self.assertEqual(body["data"], [])
        self.assertEqual(self.api.json("GET", "/api/users/9999/posts")[0], 404)
        self.assertEqual(self.api.json("GET", "/api/users/x/posts")[0], 404)
        self.assertEqual(self.api.json("GET", "/api/users/%d/posts?limit=0" % self.alice)[0], 422)


class LifecycleTest(ApiTestCase):
    def test_posts_persist_across_restarts(self):
        first = self.create_post(title="before restart")
        self.restart()
        status, headers, fetched = self.api.json("GET", "/api/posts/%d" % first["id"])
        self.assertEqual(status, 200)
        self.assertEqual(fetched, first)
        etag = headers["etag"]
        status, _, _ = self.api.json("PATCH", "/api/posts/%d" % first["id"], {"body": "edited"}, user=self.alice)
        self.assertEqual(status, 200)
        second = self.create_post(title="after restart")
        self.assertGreater(second["id"], first["id"])
        self.restart()
        status, headers, fetched = self.api.json("GET", "/api/posts/%d" % first["id"])
        self.assertEqual((fetched["body"], fetched["version"]), ("edited", 2))
        self.assertNotEqual(headers["etag"], etag)
        _, _, body = self.api.json("GET", "/api/posts")
        self.assertEqual([p["id"] for p in body["data"]], [second["id"], first["id"]])
        with sqlite3.connect(self.db_path) as db:
            versions = [row[0] for row in db.execute("SELECT version FROM schema_migrations")]
            mode = db.execute("PRAGMA journal_mode").fetchone()[0]
        self.assertEqual(versions, [1])  # migrations applied once, not per start
        self.assertEqual(mode, "wal")

    def test_sigint_exits_zero(self):
        self.assertEqual(self.api.stop(signal.SIGINT), 0)

    def test_ids_are_never_reused(self):
        post = self.create_post()
        self.api.request("DELETE", "/api/posts/%d" % post["id"], user=self.alice)
        again = self.create_post()
        self.assertGreater(again["id"], post["id"])


class CliTest(unittest.TestCase):
    def test_usage_errors_exit_2(self):
        for args in [[], ["--listen", "127.0.0.1:1"], ["--db", "/tmp/x.db"], ["--bogus", "1"]]:
            r = subprocess.run([API_BIN] + args, capture_output=True, timeout=10)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(b"usage", r.stderr)

    def test_unopenable_database_exits_1(self):
        tmp = tempfile.mkdtemp(prefix="gatehouse-api-test-")
        try:
            r = subprocess.run([API_BIN, "--listen", "127.0.0.1:%d" % free_port(), "--db", "/nonexistent/dir/api.db",
                                "--signing-key", os.path.join(tmp, "key.pem")],
                               capture_output=True, timeout=10 * SLOW)
            self.assertEqual(r.returncode, 1)
            self.assertIn(b"database", r.stderr)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_bad_signing_key_exits_1(self):
        tmp = tempfile.mkdtemp(prefix="gatehouse-api-test-")
        try:
            key = os.path.join(tmp, "key.pem")
            with open(key, "w") as f:
                f.write("not a key\n")
            r = subprocess.run([API_BIN, "--listen", "127.0.0.1:%d" % free_port(), "--db", os.path.join(tmp, "a.db"),
                                "--signing-key", key], capture_output=True, timeout=10 * SLOW)
            self.assertEqual(r.returncode, 1)
            self.assertIn(b"EC P-256", r.stderr)
            r = subprocess.run([API_BIN, "--listen", "127.0.0.1:1", "--db", os.path.join(tmp, "a.db"),
                                "--signing-key", key, "--bcrypt-cost", "3"], capture_output=True, timeout=10 * SLOW)
            self.assertEqual(r.returncode, 2)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_config_file_supplies_options(self):
        tmp = tempfile.mkdtemp(prefix="gatehouse-api-test-")
        try:
            port = free_port()
            config = os.path.join(tmp, "api.yaml")
            with open(config, "w") as f:
                f.write("listen: 127.0.0.1:%d\ndb: %s\nsigning_key: %s\nissuer: https://issuer.example\n"
                        "audience: aud-x\ntrust_gateway_headers: false\n"
                        % (port, os.path.join(tmp, "api.db"), os.path.join(tmp, "key.pem")))
            p = Process([API_BIN, "--config", config], "gatehouse-api")
            try:
                wait_for_port(port, proc=p.proc)
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10 * SLOW)
                conn.request("GET", "/healthz")
                r = conn.getresponse()
                self.assertEqual(r.status, 200)
                r.read()
                conn.request("GET", "/.well-known/jwks.json")
                r = conn.getresponse()
                self.assertEqual(r.status, 200)
                self.assertEqual(len(json.loads(r.read())["keys"]), 1)
                conn.close()
                self.assertTrue(os.path.exists(os.path.join(tmp, "key.pem")))
            finally:
                self.assertEqual(p.stop(), 0, p.output())
            with open(config, "w") as f:
                f.write("listen: 127.0.0.1:1\nport: 3\n")
            r = subprocess.run([API_BIN, "--config", config], capture_output=True, timeout=10 * SLOW)
            self.assertEqual(r.returncode, 2)
            self.assertIn(b"api.yaml:2:1: unknown key `port`", r.stderr)
            with open(config, "w") as f:
                f.write("listen: 127.0.0.1:1\n  # comment\noutbox_max_attempts: zero\n")
            r = subprocess.run([API_BIN, "--config", config], capture_output=True, timeout=10 * SLOW)
            self.assertEqual(r.returncode, 2)
            self.assertIn(b"api.yaml:3:1: outbox_max_attempts: must be a whole number in 1..1000", r.stderr)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
