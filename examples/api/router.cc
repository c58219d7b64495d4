#include "examples/api/router.h"

#include <charconv>

namespace gatehouse::api {
namespace {

// "/api/posts/7" -> {"api", "posts", "7"}; "/" -> {}; "/a/" -> {"a", ""}.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty()) return out;
  for (;;) {
    std::size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

std::string_view ApiRequest::param(std::string_view name) const {
  for (const auto& [n, v] : params) {
    if (n == name) return v;
  }
  return {};
}

std::optional<std::int64_t> ApiRequest::id_param(std::string_view name) const {
  const std::string_view s = param(name);
  std::int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

void Router::add(http::Method method, std::string_view pattern, RouteHandler handler) {
  add_async(method, pattern, [handler = std::move(handler)](const ApiRequest& request, http::Respond respond) {
    respond(handler(request));
  });
}

void Router::add_async(http::Method method, std::string_view pattern, AsyncRouteHandler handler) {
  Route route{method, {}, std::move(handler)};
  for (std::string_view s : split_path(pattern)) route.segments.emplace_back(s);
  routes_.push_back(std::move(route));
}

bool Router::match_path(const Route& route, const std::vector<std::string_view>& segments,
                        std::vector<std::pair<std::string, std::string>>* params) {
  if (route.segments.size() != segments.size()) return false;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& want = route.segments[i];
    if (!want.empty() && want.front() == ':') {
      if (segments[i].empty()) return false;
      if (params) params->emplace_back(want.substr(1), percent_decode(segments[i], false));
    } else if (want != segments[i]) {
      return false;
    }
  }
  return true;
}

Router::Match Router::match(http::Method method, std::string_view path) const {
  std::vector<std::string_view> segments = split_path(path);
  http::Method wanted = method == http::Method::kHead ? http::Method::kGet : method;
  Match result;
  std::vector<http::Method> allowed;
  for (const Route& route : routes_) {
    if (!match_path(route, segments, nullptr)) continue;
    if (route.method == wanted) {
      result.kind = Match::Kind::kFound;
      result.handler = &route.handler;
      match_path(route, segments, &result.params);
      return result;
    }
    allowed.push_back(route.method);
  }
  if (allowed.empty()) return result;
  result.kind = Match::Kind::kMethodNotAllowed;
  for (http::Method m : allowed) {
    if (!result.allow.empty()) result.allow += ", ";
    result.allow += http::method_label(m);
    if (m == http::Method::kGet) result.allow += ", HEAD";
  }
  return result;
}

}  // namespace gatehouse::api
