"""Integration tests for the `lua` policy (issue 6): Lua hooks in a real
Gatehouse in front of gatehouse-upstream.

A route verifies an HS256 token with the `jwt` policy, then the shipped
example scripts (examples/lua) read the verified claims: the subject goes to
the upstream as X-User-Id (as /inspect shows), and a denied role is refused
with the script's own 403. A script that fails (a Lua error, a runaway
loop) answers 500 and the server keeps serving; a reload with a broken
script keeps the running one, and a fixed one is picked up (its path
relative to the YAML file).
"""

import http.client
import json
import os
import signal
import time

from harness import SLOW, SOURCE_DIR, GatehouseTestCase, assert_stops_cleanly, simple_config
from test_jwt import API_AUDIENCE, bearer, good_claims, hs_token
from test_reload import wait_for_log, write

EXAMPLES = os.path.join(SOURCE_DIR, "examples", "lua")
ISSUER = "https://issuer.test"
SECRET = b"lua-integration-test-secret-0123456789abcdef"


def request(port, path, headers=None, method="GET"):
    """(status, headers dict with lower-case names, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10 * SLOW)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def seen(body, name):
    """Values of header `name` that gatehouse-upstream's /inspect received."""
    return [v for n, v in json.loads(body)["headers"] if n.lower() == name.lower()]


def token(**claims):
    return hs_token(SECRET, good_claims(ISSUER, **claims))


def jwt(optional=False):
    return {"jwt": {"issuers": [{"issuer": ISSUER, "audiences": [API_AUDIENCE], "algorithms": ["HS256"],
                                 "secret": SECRET.decode()}], "optional": optional}}


class LuaTest(GatehouseTestCase):
    def test_claims_reach_the_upstream_and_a_denied_role_is_refused(self):
        upstream = self.start_upstream()
        cfg = simple_config([upstream.address], workers=2)
        cfg["routes"] = [
            # Host `guarded.test`: the script decides who may pass.
            {"name": "guarded", "match": {"host": "guarded.test", "path_prefix": "/"}, "upstream": "app",
             "policies": [jwt(optional=True), {"lua": {"file": os.path.join(EXAMPLES, "deny_role.lua")}}]},
            {"name": "identity", "match": {"path_prefix": "/"}, "upstream": "app",
             "policies": [jwt(), {"lua": {"file": os.path.join(EXAMPLES, "claim_headers.lua")}}]},
        ]
        gh = self.start_gatehouse(cfg)

        headers = dict(bearer(token(sub="alice", org={"id": 42})), **{"X-User-Id": "forged"})
        status, got, body = request(gh.port, "/inspect", headers)
        self.assertEqual(status, 200, body)
        self.assertEqual(seen(body, "X-User-Id"), ["alice"])  # the client's own value is gone
        self.assertEqual(seen(body, "X-User-Org"), ["42"])
        self.assertEqual(got.get("x-served-for"), "alice")   # on_response saw on_request's req.ctx

        guarded = {"Host": "guarded.test"}
        status, _, body = request(gh.port, "/inspect", dict(guarded, **bearer(token(role="user"))))
        self.assertEqual(status, 200, body)
        for role in ("guest", ["dev", "suspended"]):
            status, got, body = request(gh.port, "/inspect", dict(guarded, **bearer(token(role=role))))
            self.assertEqual(status, 403, role)
            self.assertEqual(got["content-type"], "application/json")
            self.assertEqual(json.loads(body)["error"], "forbidden")
            self.assertIsNotNone(got.get("x-request-id"))
        status, _, body = request(gh.port, "/inspect", guarded)
        self.assertEqual(status, 401)
        self.assertEqual(json.loads(body)["error"], "unauthorized")
        # A token the jwt policy refuses never reaches the script.
        status, _, _ = request(gh.port, "/inspect", dict(guarded, **bearer(token(role="user")[:-4] + "AAAA")))
        self.assertEqual(status, 401)
        self.assertEqual(gh.metric("gatehouse_lua_errors_total", route="guarded", phase="request"), 0)
        assert_stops_cleanly(self, gh)

    def test_a_failing_script_answers_500_and_the_server_keeps_serving(self):
        upstream = self.start_upstream()
        cfg = simple_config([upstream.address], workers=2)
        cfg["routes"][0]["policies"] = [{"lua": {"max_instructions": 200000, "source": (
            "function on_request(req)\n"
            "  if req.query == 'fail' then error('the script broke on purpose') end\n"
            "  if req.query == 'loop' then while true do end end\n"
            "  req:set_header('X-Hooked', 'yes')\n"
            "end\n"
            "function on_response(req, resp)\n"
            "  if req.query == 'late' then resp:set_header('Content-Length', '1') end\n"
            "end\n")}}]
        gh = self.start_gatehouse(cfg)
        for query in ("fail", "loop"):
            status, got, body = request(gh.port, "/inspect?" + query)
            self.assertEqual(status, 500, query)
            error = json.loads(body)["error"]
            self.assertEqual(error["code"], "internal_error")
            self.assertNotIn("on purpose", body.decode())  # the script's message stays in the log
            self.assertEqual(got["x-request-id"], error["request_id"])
        # Every worker goes on serving, the one whose state was replaced too.
        for _ in range(6):
            status, _, body = request(gh.port, "/inspect")
            self.assertEqual(status, 200, body)
            self.assertEqual(seen(body, "X-Hooked"), ["yes"])
        # A response-phase failure turns the upstream's 200 into a 500.
        status, _, _ = request(gh.port, "/inspect?late")
        self.assertEqual(status, 500)
        self.assertEqual(gh.metric("gatehouse_lua_errors_total", route="all", phase="request"), 2)
        self.assertEqual(gh.metric("gatehouse_lua_errors_total", route="all", phase="response"), 1)
        self.assertTrue(wait_for_log(gh, "the script broke on purpose"), gh.output())
        self.assertIn("lua: route `all`: on_request failed", gh.output())
        self.assertIn("routes[0].policies[0].lua.source:2:", gh.output())
        assert_stops_cleanly(self, gh)

    def test_a_reload_with_a_broken_script_keeps_the_running_one(self):
        upstream = self.start_upstream()

        def config(script):
            cfg = simple_config([upstream.address])
            cfg["routes"][0]["policies"] = [{"lua": script}]
            return cfg

        gh = self.start_gatehouse(config({"source": "function on_response(req, resp) resp:set_header('X-Version', '1') end"}))
        self.assertEqual(request(gh.port, "/inspect")[1].get("x-version"), "1")

        # The file is relative to the YAML file's directory.
        os.makedirs(os.path.join(gh.dir, "hooks"))
        script = os.path.join(gh.dir, "hooks", "version.lua")
        with open(script, "w") as f:
            f.write("function on_response(req, resp)\n  resp:set_header('X-Version' '2')\nend\n")
        write(gh, config({"file": "hooks/version.lua"}))
        gh.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for_log(gh, "reload rejected"), gh.output())
        self.assertIn("routes[0].policies[0].lua.file: the Lua script does not load: hooks/version.lua:2:", gh.output())
        self.assertEqual(request(gh.port, "/inspect")[1].get("x-version"), "1")

        with open(script, "w") as f:
            f.write("function on_response(req, resp)\n  resp:set_header('X-Version', '2')\nend\n")
        gh.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for_log(gh, "configuration reloaded"), gh.output())
        deadline = time.monotonic() + 5 * SLOW
        while request(gh.port, "/inspect")[1].get("x-version") != "2" and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(request(gh.port, "/inspect")[1].get("x-version"), "2")
        assert_stops_cleanly(self, gh)


if __name__ == "__main__":
    import unittest
    unittest.main()
