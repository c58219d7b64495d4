#include "examples/api/identity.h"

#include <charconv>

namespace gatehouse::api {

std::optional<Caller> current_user(const http::ServerRequest& request) {
  const std::string* id = request.head.headers.find("X-User-Id");
  if (!id) return std::nullopt;
  Caller caller;
  auto r = std::from_chars(id->data(), id->data() + id->size(), caller.user_id);
  if (r.ec != std::errc() || r.ptr != id->data() + id->size() || caller.user_id <= 0) return std::nullopt;
  const std::string* role = request.head.headers.find("X-User-Role");
  caller.role = role && *role == "admin" ? "admin" : "user";
  return caller;
}

}  // namespace gatehouse::api
