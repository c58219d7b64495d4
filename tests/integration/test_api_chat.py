"""gatehouse-api's WebSocket chat, GET /ws/chat?room=R (issue 3): join and
leave events, broadcast between two real clients, rooms kept apart, and the
non-WebSocket answers (400 for a bad room, 426 for a plain GET)."""

import json
import shutil
import tempfile
import unittest

from harness import SLOW, assert_stops_cleanly
from test_api_posts import Api
from ws_client import HandshakeError, WebSocket


class ChatTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="gatehouse-chat-test-")
        self.api = Api(self.dir + "/api.db")
        self.sockets = []

    def tearDown(self):
        try:
            for ws in self.sockets:
                ws.close()
            assert_stops_cleanly(self, self.api)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def connect(self, query):
        ws = WebSocket(self.api.port, "/ws/chat?" + query, timeout=10 * SLOW)
        self.sockets.append(ws)
        return ws

    def event(self, ws):
        return json.loads(ws.recv_text())

    def test_two_clients_see_joins_messages_and_leaves(self):
        alice = self.connect("room=lobby&name=alice")
        self.assertEqual(self.event(alice), {"type": "join", "room": "lobby", "user": "alice", "members": 1})
        bob = self.connect("room=lobby&name=bob")
        joined = {"type": "join", "room": "lobby", "user": "bob", "members": 2}
        self.assertEqual(self.event(alice), joined)
        self.assertEqual(self.event(bob), joined)

        alice.send_text("hello, bob")
        said = {"type": "message", "room": "lobby", "user": "alice", "text": "hello, bob"}
        self.assertEqual(self.event(alice), said)  # the sender gets its own message too
        self.assertEqual(self.event(bob), said)

        bob.send_text('quotes " and \u00e9')
        said = {"type": "message", "room": "lobby", "user": "bob", "text": 'quotes " and \u00e9'}
        self.assertEqual(self.event(bob), said)
        self.assertEqual(self.event(alice), said)

        bob.close()
        self.sockets.remove(bob)
        self.assertEqual(self.event(alice), {"type": "leave", "room": "lobby", "user": "bob", "members": 1})

    def test_rooms_are_separate(self):
        a = self.connect("room=one&name=a")
        self.event(a)
        b = self.connect("room=two&name=b")
        self.event(b)
        b.send_text("only in two")
        self.assertEqual(self.event(b)["text"], "only in two")
        a.send_text("only in one")
        # Had b's message reached room one, it would arrive here first.
        self.assertEqual(self.event(a), {"type": "message", "room": "one", "user": "a", "text": "only in one"})

    def test_a_client_that_vanishes_is_announced_as_leaving(self):
        a = self.connect("room=r&name=stays")
        self.event(a)
        b = self.connect("room=r&name=drops")
        self.event(a)
        self.event(b)
        b.sock.close()  # no close frame: the server sees the connection end
        self.sockets.remove(b)
        self.assertEqual(self.event(a), {"type": "leave", "room": "r", "user": "drops", "members": 1})

    def test_guests_get_names(self):
        ws = self.connect("room=r")
        self.assertTrue(self.event(ws)["user"].startswith("guest-"))

    def test_plain_get_is_told_to_upgrade(self):
        status, headers, body = self.api.request("GET", "/ws/chat?room=lobby")
        self.assertEqual(status, 426)
        self.assertEqual(headers["upgrade"], "websocket")
        self.assertEqual(json.loads(body)["error"]["code"], "UPGRADE_REQUIRED")

    def test_bad_room_or_name_is_400(self):
        for query in ("", "room=", "room=has%20space", "room=" + "x" * 65, "room=ok&name=bad!"):
            with self.assertRaises(HandshakeError) as caught:
                WebSocket(self.api.port, "/ws/chat?" + query, timeout=10 * SLOW)
            self.assertEqual(caught.exception.status, 400, query)

    def test_bad_handshake_is_refused_by_beast(self):
        upgrade = {"Upgrade": "websocket", "Connection": "Upgrade"}
        status, headers, _ = self.api.request("GET", "/ws/chat?room=r", headers=dict(
            upgrade, **{"Sec-WebSocket-Version": "8", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}))
        self.assertEqual(status, 426)
        self.assertEqual(headers["sec-websocket-version"], "13")
        self.assertEqual(headers["server"], "gatehouse-api")
        status, _, _ = self.api.request("GET", "/ws/chat?room=r", headers=dict(
            upgrade, **{"Sec-WebSocket-Version": "13"}))  # no Sec-WebSocket-Key
        self.assertEqual(status, 400)

    def test_server_still_serves_http_alongside(self):
        ws = self.connect("room=r")
        self.event(ws)
        status, _, _ = self.api.request("GET", "/healthz")
        self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main()
