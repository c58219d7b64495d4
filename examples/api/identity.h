#pragma once
// Who is calling. The one place the posts handlers learn the caller's
// identity from.
//
// Today it reads the headers `X-User-Id` (a positive integer) and
// `X-User-Role` ("admin" or anything else, which means "user"). That is
// trust in whatever the client sends, acceptable only while the service is
// a local sample: the auth module (examples/api/auth/) replaces the body of
// current_user() with verification of the request's JWT, and the handlers
// do not change.

#include <cstdint>
#include <optional>
#include <string>

#include "proxy/server/buffered_http_server.h"

namespace gatehouse::api {

struct Caller {
  std::int64_t user_id = 0;
  std::string role = "user";
  bool is_admin() const { return role == "admin"; }
};

// The caller, or nullopt when the request carries no (valid) identity.
std::optional<Caller> current_user(const http::ServerRequest& request);

}  // namespace gatehouse::api
