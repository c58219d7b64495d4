#include "policies/jwt/claims_check.h"

#include <algorithm>
#include <cmath>


namespace gatehouse::policies::jwt {
namespace {

bool audience_matches(const boost::json::value& aud, const std::vector<std::string>& audiences) {
  auto accepted = [&](const boost::json::value& v) {
    return v.is_string() && std::find(audiences.begin(), audiences.end(), std::string_view(v.get_string())) !=
                                audiences.end();
  };
  if (aud.is_string()) return accepted(aud);
  if (const boost::json::array* list = aud.if_array()) return std::any_of(list->begin(), list->end(), accepted);
  return false;
}

bool present(const boost::json::object& claims, std::string_view name) {
  if (const boost::json::value* v = claims.if_contains(name)) return !v->is_null();
  const boost::json::object* level = &claims;
  while (true) {
    std::size_t dot = name.find('.');
    const boost::json::value* v = level->if_contains(name.substr(0, dot));
    if (v == nullptr) return false;
    if (dot == std::string_view::npos) return !v->is_null();
    level = v->if_object();
    if (level == nullptr) return false;
    name.remove_prefix(dot + 1);
  }
}

}  // namespace

std::optional<std::int64_t> numeric_date(const boost::json::value& v) {
  constexpr std::int64_t kMax = std::int64_t{1} << 40;
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
    if (!std::isfinite(d) || std::fabs(d) > static_cast<double>(kMax)) return std::nullopt;
    return static_cast<std::int64_t>(std::floor(d));
  }
  return std::nullopt;
}

Failure check_claims(const boost::json::object& claims, const ClaimRequirements& req, std::int64_t now) {
  const std::int64_t leeway = req.leeway.count();
  const boost::json::value* exp_v = claims.if_contains("exp");
  if (exp_v == nullptr) return Failure::kMissingClaim;
  std::optional<std::int64_t> exp = numeric_date(*exp_v);
  if (!exp) return Failure::kMalformed;
  if (now >= *exp + leeway) return Failure::kExpired;

  if (const boost::json::value* nbf_v = claims.if_contains("nbf")) {
    std::optional<std::int64_t> nbf = numeric_date(*nbf_v);
    if (!nbf) return Failure::kMalformed;
    if (now + leeway < *nbf) return Failure::kNotYetValid;
  }
  std::optional<std::int64_t> iat;
  if (const boost::json::value* iat_v = claims.if_contains("iat")) {
    iat = numeric_date(*iat_v);
    if (!iat) return Failure::kMalformed;
    if (*iat > now + leeway) return Failure::kIssuedInFuture;
  }
  const boost::json::value* iss = claims.if_contains("iss");
  if (iss == nullptr || !iss->is_string() || iss->get_string() != req.issuer) return Failure::kUnknownIssuer;
  const boost::json::value* aud = claims.if_contains("aud");
  if (aud == nullptr || !audience_matches(*aud, req.audiences)) return Failure::kBadAudience;
  for (const std::string& name : req.required) {
    if (!present(claims, name)) return Failure::kMissingClaim;
  }
  if (req.max_lifetime) {
    const std::int64_t start = iat ? *iat : now;
    if (*exp - start > req.max_lifetime->count()) return Failure::kLifetimeTooLong;
  }
  return Failure::kNone;
}

}  // namespace gatehouse::policies::jwt
