#include "examples/api/identity.h"

#include <charconv>

#include "examples/api/auth/access_token.h"

namespace gatehouse::api {
namespace {

std::optional<Caller> from_gateway_headers(const http::ServerRequest& request) {
  const std::string* id = request.head.headers.find("X-User-Id");
  if (!id) return std::nullopt;
  Caller caller;
  auto r = std::from_chars(id->data(), id->data() + id->size(), caller.user_id);
  if (r.ec != std::errc() || r.ptr != id->data() + id->size() || caller.user_id <= 0) return std::nullopt;
  const std::string* role = request.head.headers.find("X-User-Role");
  caller.role = role && *role == "admin" ? "admin" : "user";
  return caller;
}

// The token of "Bearer <token>" (scheme case-insensitive, RFC 6750).
std::optional<std::string_view> bearer_token(const http::ServerRequest& request) {
  const std::string* auth = request.head.headers.find("Authorization");
  if (!auth || auth->size() < 7) return std::nullopt;
  std::string_view value = *auth;
  std::string_view scheme = value.substr(0, 7);
  static constexpr std::string_view kBearer = "bearer ";
  for (std::size_t i = 0; i < kBearer.size(); ++i) {
    char c = scheme[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kBearer[i]) return std::nullopt;
  }
  std::string_view token = value.substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

}  // namespace

std::optional<Caller> Identity::current_user(const http::ServerRequest& request) const {
  if (trust_gateway_headers_ && request.head.headers.contains("X-User-Id") &&
      any_contains(gateway_networks_, request.peer)) {
    return from_gateway_headers(request);
  }
  std::optional<std::string_view> token = bearer_token(request);
  if (!token) return std::nullopt;
  std::optional<boost::json::object> claims = signer_.verify(*token, expect_);
  if (!claims) return std::nullopt;
  std::optional<auth::AccessTokenSubject> subject = auth::access_token_subject(*claims);
  if (!subject) return std::nullopt;
  return Caller{subject->user_id, subject->role == "admin" ? "admin" : "user"};
}

}  // namespace gatehouse::api
