#pragma once
// Picks the route for a request: host (exact, "*.suffix" or "*"), path
// (exact, prefix or RE2 full match) and method; the first route in file order
// that matches wins. Immutable after construction; safe to share across
// workers. A route that lists GET also accepts HEAD (as nginx's limit_except).

#include <string_view>
#include <vector>

#include "proxy/config/config.h"
#include "proxy/http/message.h"

namespace gatehouse {

class Router {
 public:
  // `routes` must outlive the router (both live in one config snapshot).
  explicit Router(const std::vector<config::RouteConfig>& routes) : routes_(&routes) {}

  // `host` is the Host header as sent (any case, maybe with a port).
  // Returns nullptr when no route matches.
  const config::RouteConfig* match(std::string_view host, std::string_view path,
                                   http::Method method) const;

  // The host part of a Host header value, without port or IPv6 brackets.
  static std::string_view host_without_port(std::string_view host) noexcept;

 private:
  const std::vector<config::RouteConfig>* routes_;
};

}  // namespace gatehouse
