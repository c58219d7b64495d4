#include "examples/api/auth/jwt_claims.h"

#include <cmath>
#include <cstdint>
#include <optional>

namespace gatehouse::api::auth {
namespace {

// A NumericDate (seconds since the epoch) as whole seconds, or nullopt when
// the value is not a finite number in a sane range.
std::optional<std::int64_t> numeric_date(const boost::json::value& v) {
  constexpr std::int64_t kMax = std::int64_t{1} << 40;  // ~36,000 years
  if (v.is_int64()) {
    std::int64_t t = v.get_int64();
    if (t < -kMax || t > kMax) return std::nullopt;
    return t;
  }
  if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<std::uint64_t>(kMax)) return std::nullopt;
    return static_cast<std::int64_t>(v.get_uint64());
  }
  if (v.is_double()) {
    double d = v.get_double();
    if (!std::isfinite(d) || d < -static_cast<double>(kMax) || d > static_cast<double>(kMax)) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(std::floor(d));
  }
  return std::nullopt;
}

bool audience_matches(const boost::json::value* aud, const std::string& expected) {
  if (aud == nullptr) return false;
  if (aud->is_string()) return aud->get_string() == expected;
  if (!aud->is_array()) return false;
  for (const auto& a : aud->get_array()) {
    if (a.is_string() && a.get_string() == expected) return true;
  }
  return false;
}

}  // namespace

JwtError check_claims(const boost::json::object& claims, const JwtExpectations& expect,
                      std::chrono::system_clock::time_point now) {
  const std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const std::int64_t leeway = expect.leeway.count();

  const boost::json::value* exp = claims.if_contains("exp");
  std::optional<std::int64_t> exp_s = exp ? numeric_date(*exp) : std::nullopt;
  if (!exp_s || now_s >= *exp_s + leeway) return JwtError::kExpired;

  if (const boost::json::value* nbf = claims.if_contains("nbf")) {
    std::optional<std::int64_t> nbf_s = numeric_date(*nbf);
    if (!nbf_s || now_s + leeway < *nbf_s) return JwtError::kNotYetValid;
  }

  const boost::json::value* iss = claims.if_contains("iss");
  if (iss == nullptr || !iss->is_string() || iss->get_string() != expect.issuer) {
    return JwtError::kIssuerMismatch;
  }
  if (!audience_matches(claims.if_contains("aud"), expect.audience)) {
    return JwtError::kAudienceMismatch;
  }
  return JwtError::kNone;
}

}  // namespace gatehouse::api::auth
