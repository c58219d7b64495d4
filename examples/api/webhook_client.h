#pragma once
// A tiny async HTTP/1.1 client for outbox webhooks: one POST per
// connection (`Connection: close`), plain http only, the response parsed
// with gatehouse::http::ResponseParser. No exceptions: every outcome,
// including an overall timeout, reaches `done` exactly once on `io`.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

namespace gatehouse::api {

struct WebhookUrl {
  std::string host;
  std::string port;    // "80" when the URL names none
  std::string target;  // path and query, "/" at least
};

// "http://HOST[:PORT][/path]" (HOST may be "[v6]"); nullopt otherwise.
std::optional<WebhookUrl> parse_webhook_url(std::string_view url);

struct WebhookResult {
  int status = 0;     // the HTTP status; 0 when no response came
  std::string error;  // why, when status is 0
};

// POSTs `body` as application/json. `done` runs once, on `io`.
void post_webhook(boost::asio::io_context& io, const WebhookUrl& url, std::string body,
                  std::chrono::milliseconds timeout, std::function<void(WebhookResult)> done);

}  // namespace gatehouse::api
