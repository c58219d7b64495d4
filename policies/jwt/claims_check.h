#pragma once
// The registered-claim checks (RFC 7519 §4.1) on a payload whose signature
// has been verified.
//
// - `exp` is required and must be a NumericDate; the token is expired once
//   now >= exp + leeway.
// - `nbf`, when present, must be <= now + leeway.
// - `iat`, when present, must be <= now + leeway (not issued in the future).
// - `iss` must equal the issuer exactly (the caller picked the issuer by it).
// - `aud` (a string or an array of strings) must contain one of `audiences`.
// - every name in `required` must be present and not null (dotted names
//   walk nested objects, as claim_text() does).
// - with `max_lifetime`, exp - iat (or exp - now without iat) must not
//   exceed it.
// The first failing check is returned, in the order above.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "policies/jwt/failure.h"

namespace gatehouse::policies::jwt {

struct ClaimRequirements {
  std::string issuer;
  std::vector<std::string> audiences;       // at least one
  std::chrono::seconds leeway{60};
  std::optional<std::chrono::seconds> max_lifetime;
  std::vector<std::string> required;
};

// `now` in whole seconds since the epoch.
Failure check_claims(const boost::json::object& claims, const ClaimRequirements& req, std::int64_t now);

// A NumericDate as whole seconds, or nullopt when `v` is not a finite number
// within +/- 2^40 s.
std::optional<std::int64_t> numeric_date(const boost::json::value& v);

}  // namespace gatehouse::policies::jwt
