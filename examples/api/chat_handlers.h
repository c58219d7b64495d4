#pragma once
// GET /ws/chat?room=R[&name=U]: the WebSocket chat (chat_hub.h has the
// event format), a real peer for Gatehouse's WebSocket proxying.
//
// Contract: `room` is required, 1-64 of [A-Za-z0-9_-] (else 400); `name` is
// optional, 1-30 of the same (else 400; default "guest-N"). A request that
// is not a WebSocket upgrade gets 426 with `Upgrade: websocket`. A valid one
// hands the connection to a ChatSession; Beast validates the handshake
// headers (Sec-WebSocket-Key, version 13) and answers 101 or 400.

#include <cstdint>
#include <memory>

#include "examples/api/chat_hub.h"
#include "examples/api/router.h"

namespace gatehouse::api {

class ChatHandlers {
 public:
  ChatHandlers() : hub_(std::make_shared<ChatHub>()) {}
  void register_routes(Router& router);

 private:
  http::ServerResponse open(const ApiRequest& request);

  // Shared with the sessions, which may outlive these handlers.
  std::shared_ptr<ChatHub> hub_;
  std::uint64_t guests_ = 0;
};

}  // namespace gatehouse::api
