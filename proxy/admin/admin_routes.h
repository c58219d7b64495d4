#pragma once
// Admin endpoints contributed by policies (the cache's purge and stats),
// kept in a PolicyServices service so a policy factory can add them and the
// admin listener can find them without knowing any policy.
//
// Contract: add() keeps the first handler given for a prefix (policies are
// rebuilt on every reload; the handler must therefore refer only to
// process-wide state, such as another service). answer() runs on the
// admin's control thread; handlers must be thread-safe against the workers
// and must not block for long.

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proxy/server/buffered_http_server.h"

namespace gatehouse {

class AdminRoutes {
 public:
  using Handler = std::function<http::ServerResponse(const http::ServerRequest&)>;

  // `prefix` is matched against the request path ("/cache" matches
  // "/cache" and "/cache/..." only).
  void add(std::string prefix, Handler handler) {
    std::lock_guard lock(mutex_);
    for (const auto& [p, h] : routes_) {
      if (p == prefix) return;
    }
    routes_.emplace_back(std::move(prefix), std::move(handler));
  }

  // The response of the handler whose prefix matches `request`, if any.
  std::optional<http::ServerResponse> answer(const http::ServerRequest& request) const {
    const std::string_view path = request.head.path();
    Handler handler;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [p, h] : routes_) {
        if (path == p || (path.starts_with(p) && path.size() > p.size() && path[p.size()] == '/')) {
          handler = h;
          break;
        }
      }
    }
    if (!handler) return std::nullopt;
    return handler(request);
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, Handler>> routes_;
};

}  // namespace gatehouse
