#pragma once
// The API's router: patterns with `:name` path parameters
// ("/api/posts/:id"), dispatched by method.
//
// Contract: segments match exactly or bind a parameter (a `:name` segment
// matches any one non-empty segment). Routes are tried in the order added;
// the first pattern whose path matches with the request's method wins. HEAD
// is answered by a GET route (the server drops the body). When a path
// matches but no method does, the result carries the `Allow` list.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "examples/api/query_string.h"
#include "proxy/http/message.h"
#include "proxy/server/buffered_http_server.h"

namespace gatehouse::api {

// What a handler sees: the whole request, its path parameters and query.
// The ApiRequest itself lives only during the handler call (an async
// handler copies what its later steps need); `raw` stays valid until the
// handler responds.
struct ApiRequest {
  const http::ServerRequest& raw;
  std::vector<std::pair<std::string, std::string>> params;
  QueryParams query;

  // A path parameter by name ("" when the route has none by that name).
  std::string_view param(std::string_view name) const;
  // A path parameter naming a resource by id: a positive decimal integer,
  // else nullopt (no such resource: callers answer 404).
  std::optional<std::int64_t> id_param(std::string_view name) const;
  const http::HeaderMap& headers() const { return raw.head.headers; }
};

// A synchronous handler computes the whole response before returning. It
// may throw: the dispatcher answers 500 then (see ApiService).
using RouteHandler = std::function<http::ServerResponse(const ApiRequest&)>;

// An asynchronous handler (e.g. one hashing a password on a thread pool)
// calls `respond` once, on the io_context thread, now or later. An exception
// thrown before it responds becomes a 500; work it runs later must catch its
// own exceptions and respond with error_response(500, ...).
using AsyncRouteHandler = std::function<void(const ApiRequest&, http::Respond)>;

class Router {
 public:
  void add(http::Method method, std::string_view pattern, RouteHandler handler);
  void add_async(http::Method method, std::string_view pattern, AsyncRouteHandler handler);

  struct Match {
    enum class Kind { kFound, kMethodNotAllowed, kNotFound } kind = Kind::kNotFound;
    const AsyncRouteHandler* handler = nullptr;  // when kFound
    std::vector<std::pair<std::string, std::string>> params;
    std::string allow;  // when kMethodNotAllowed, e.g. "GET, HEAD, PUT"
  };
  Match match(http::Method method, std::string_view path) const;

 private:
  struct Route {
    http::Method method;
    std::vector<std::string> segments;
    AsyncRouteHandler handler;
  };
  static bool match_path(const Route& route, const std::vector<std::string_view>& segments,
                         std::vector<std::pair<std::string, std::string>>* params);
  std::vector<Route> routes_;
};

}  // namespace gatehouse::api
