#include "examples/api/chat_handlers.h"

#include <optional>
#include <string>
#include <string_view>

#include "examples/api/chat_session.h"
#include "examples/api/json_response.h"
#include "proxy/http/header_map.h"

namespace gatehouse::api {
namespace {

bool is_name(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-';
    if (!ok) return false;
  }
  return true;
}

bool is_websocket_upgrade(const http::HeaderMap& headers) {
  const std::string* upgrade = headers.find("upgrade");
  const std::string* connection = headers.find("connection");
  return upgrade != nullptr && connection != nullptr && http::list_contains_token(*upgrade, "websocket") &&
         http::list_contains_token(*connection, "upgrade");
}

// The request as it came, for Beast to parse and answer.
std::string request_text(const http::RequestHead& head) {
  std::string out = head.method + " " + head.target + " HTTP/1." + std::to_string(head.version_minor) + "\r\n";
  for (const http::Header& h : head.headers) out += h.name + ": " + h.value + "\r\n";
  out += "\r\n";
  return out;
}

}  // namespace

void ChatHandlers::register_routes(Router& router) {
  router.add(http::Method::kGet, "/ws/chat", [this](const ApiRequest& r) { return open(r); });
}

http::ServerResponse ChatHandlers::open(const ApiRequest& request) {
  std::optional<std::string> room = request.query.get("room");
  if (!room || !is_name(*room, 64)) return error_response(400, "`room` must be 1-64 of [A-Za-z0-9_-]");
  std::optional<std::string> name = request.query.get("name");
  if (name && !is_name(*name, 30)) return error_response(400, "`name` must be 1-30 of [A-Za-z0-9_-]");
  if (!is_websocket_upgrade(request.headers())) {
    http::ServerResponse r = error_response(426, "UPGRADE_REQUIRED", "this endpoint speaks WebSocket only");
    r.headers.set("Upgrade", "websocket");
    r.headers.set("Connection", "Upgrade");
    return r;
  }
  ChatSessionOptions options{.room = *room, .user = name ? *name : "guest-" + std::to_string(++guests_)};
  http::ServerResponse r;
  r.upgrade = [hub = hub_, options = std::move(options), head = request_text(request.raw.head)](
                  boost::asio::ip::tcp::socket socket, std::string rest) mutable {
    start_chat_session(std::move(socket), head + rest, std::move(hub), std::move(options));
  };
  return r;
}

}  // namespace gatehouse::api
