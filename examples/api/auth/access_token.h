#pragma once
// The API's access tokens: short-lived JWTs whose claims say who the caller
// is (sub = user id as a string, role) and for whom the token is (iss, aud).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "examples/api/auth/jwt_signer.h"

namespace gatehouse::api::auth {

// Token lifetimes and the issuer/audience the API puts in and expects back.
struct TokenSettings {
  std::string issuer;
  std::string audience;
  std::chrono::seconds access_ttl{std::chrono::minutes(15)};
  std::chrono::seconds refresh_ttl{std::chrono::hours(24 * 7)};
};

// {"sub":"<user_id>","role":role,"iat":now,"exp":now+access_ttl,"iss","aud"}
// with times in whole seconds since the epoch.
boost::json::object access_token_claims(std::int64_t user_id, std::string_view role,
                                        const TokenSettings& settings,
                                        std::chrono::system_clock::time_point now);

// What JwtSigner::verify() must check for the API's own tokens.
JwtExpectations access_token_expectations(const TokenSettings& settings);

// The identity an access token carries.
struct AccessTokenSubject {
  std::int64_t user_id = 0;
  std::string role;
};

// Reads sub and role back from verified claims. nullopt when sub is not the
// decimal text of a positive 64-bit integer or role is not a string.
std::optional<AccessTokenSubject> access_token_subject(const boost::json::object& claims);

}  // namespace gatehouse::api::auth
