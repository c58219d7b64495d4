#include "examples/api/auth/access_token.h"

#include <charconv>

namespace gatehouse::api::auth {

boost::json::object access_token_claims(std::int64_t user_id, std::string_view role,
                                        const TokenSettings& settings,
                                        std::chrono::system_clock::time_point now) {
  const std::int64_t iat =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  return boost::json::object{{"sub", std::to_string(user_id)},
                             {"role", role},
                             {"iat", iat},
                             {"exp", iat + settings.access_ttl.count()},
                             {"iss", settings.issuer},
                             {"aud", settings.audience}};
}

JwtExpectations access_token_expectations(const TokenSettings& settings) {
  return JwtExpectations{settings.issuer, settings.audience, std::chrono::seconds(60)};
}

std::optional<AccessTokenSubject> access_token_subject(const boost::json::object& claims) {
  const boost::json::value* sub = claims.if_contains("sub");
  const boost::json::value* role = claims.if_contains("role");
  if (sub == nullptr || !sub->is_string() || role == nullptr || !role->is_string()) {
    return std::nullopt;
  }
  const boost::json::string& text = sub->get_string();
  AccessTokenSubject out;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out.user_id);
  if (ec != std::errc() || end != text.data() + text.size() || out.user_id <= 0 ||
      text.starts_with('+') || text.starts_with('0')) {
    return std::nullopt;
  }
  out.role = std::string(role->get_string());
  return out;
}

}  // namespace gatehouse::api::auth
