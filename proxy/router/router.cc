#include "proxy/router/router.h"

#include <re2/re2.h>

#include "proxy/http/header_map.h"

namespace gatehouse {
namespace {

using config::RouteMatch;

bool host_matches(const std::string& pattern, std::string_view host) noexcept {
  if (pattern == "*") return true;
  if (pattern.size() > 1 && pattern[0] == '*' && pattern[1] == '.') {
    // "*.example.com" matches "a.example.com" and "a.b.example.com", not "example.com".
    std::string_view suffix = std::string_view(pattern).substr(1);
    return host.size() > suffix.size() &&
           http::iequals(host.substr(host.size() - suffix.size()), suffix);
  }
  return http::iequals(pattern, host);
}

bool path_matches(const RouteMatch& m, std::string_view path) noexcept {
  switch (m.path_kind) {
    case RouteMatch::PathKind::kAny: return true;
    case RouteMatch::PathKind::kExact: return path == m.path;
    case RouteMatch::PathKind::kPrefix: return path.substr(0, m.path.size()) == m.path;
    case RouteMatch::PathKind::kRegex:
      return re2::RE2::FullMatch(re2::StringPiece(path.data(), path.size()), *m.path_regex);
  }
  return false;
}

bool method_matches(const RouteMatch& m, http::Method method) noexcept {
  if (m.any_method) return true;
  if (m.methods[static_cast<std::size_t>(method)]) return true;
  return method == http::Method::kHead && m.methods[static_cast<std::size_t>(http::Method::kGet)];
}

}  // namespace

std::string_view Router::host_without_port(std::string_view host) noexcept {
  if (!host.empty() && host.front() == '[') {
    std::size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(1, close - 1);
  }
  std::size_t colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

const config::RouteConfig* Router::match(std::string_view host, std::string_view path,
                                         http::Method method) const {
  std::string_view bare_host = host_without_port(host);
  for (const config::RouteConfig& route : *routes_) {
    const RouteMatch& m = route.match;
    if (host_matches(m.host, bare_host) && method_matches(m, method) && path_matches(m, path)) {
      return &route;
    }
  }
  return nullptr;
}

}  // namespace gatehouse
