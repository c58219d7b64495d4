#pragma once
// One WebSocket chat client: Boost.Beast's websocket stream on the socket
// that BufferedHttpServer hands over for GET /ws/chat.
//
// Lifetime: owned by its pending operations (each handler holds a
// shared_ptr); the hub holds it weakly. It joins its room once the
// handshake succeeds and leaves when its read loop ends (close frame, error,
// idle timeout), so every join has one leave. Frames to send wait in a
// bounded queue; a client that falls more than kMaxQueuedFrames behind is
// disconnected rather than buffered without bound.

#include <cstddef>
#include <deque>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "examples/api/chat_hub.h"

namespace gatehouse::api {

struct ChatSessionOptions {
  std::string room;
  std::string user;
  std::size_t max_message_bytes = 64 * 1024;
};

// Takes the upgraded connection: `request_text` is the upgrade request as
// received (head + anything read after it), which Beast parses and answers
// with 101. Must be called on the socket's io_context thread.
void start_chat_session(boost::asio::ip::tcp::socket socket, std::string request_text,
                        std::shared_ptr<ChatHub> hub, ChatSessionOptions options);

inline constexpr std::size_t kMaxQueuedFrames = 256;

}  // namespace gatehouse::api
