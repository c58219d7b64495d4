#pragma once
// Claims of a credential (a JWT) that a policy earlier in the chain verified,
// published for the policies after it: a rate limit keyed on `claim:sub`,
// claims copied to upstream headers, ... Only a policy that verified the
// signature publishes this, so whatever is here may be trusted.
//
// Publishing (the verifying policy, in on_request()):
//   ctx.set_data(&policy::kVerifiedClaimsKey, std::make_unique<policy::VerifiedClaims>(claims));
// Reading (any later policy): policy::verified_claims(ctx), null when no
// credential was verified for this request.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "proxy/policy/policy.h"

namespace gatehouse::policy {

struct VerifiedClaims final : RequestData {
  explicit VerifiedClaims(boost::json::object c) : claims(std::move(c)) {}
  boost::json::object claims;  // the token's payload, as verified
};

// The well-known per-request data key: its address, not its value, is what
// identifies the slot (see RequestContext::set_data).
inline const char kVerifiedClaimsKey = 0;

inline const VerifiedClaims* verified_claims(RequestContext& ctx) {
  return ctx.data_as<VerifiedClaims>(&kVerifiedClaimsKey);
}

namespace detail {

// A scalar's text; arrays are joined with commas (`roles: [a, b]` -> "a,b"),
// objects are given as compact JSON. Null has no text.
inline std::optional<std::string> claim_value_text(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::string:
      return std::string(v.get_string());
    case boost::json::kind::bool_:
      return std::string(v.get_bool() ? "true" : "false");
    case boost::json::kind::int64:
      return std::to_string(v.get_int64());
    case boost::json::kind::uint64:
      return std::to_string(v.get_uint64());
    case boost::json::kind::double_:
      return boost::json::serialize(v);
    case boost::json::kind::array: {
      std::string joined;
      bool first = true;
      for (const boost::json::value& item : v.get_array()) {
        std::optional<std::string> text = claim_value_text(item);
        if (!text) continue;
        if (!first) joined += ',';
        joined += *text;
        first = false;
      }
      return joined;
    }
    case boost::json::kind::object:
      return boost::json::serialize(v);
    case boost::json::kind::null:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace detail

// The text of claim `name`, or nullopt when absent or null. `name` is first
// looked up as written (claim names may contain dots, e.g. URL-named
// claims), then as a path through nested objects (`realm.role`).
inline std::optional<std::string> claim_text(const boost::json::object& claims, std::string_view name) {
  if (const boost::json::value* v = claims.if_contains(name)) return detail::claim_value_text(*v);
  const boost::json::object* level = &claims;
  while (true) {
    std::size_t dot = name.find('.');
    const boost::json::value* v = level->if_contains(name.substr(0, dot));
    if (v == nullptr) return std::nullopt;
    if (dot == std::string_view::npos) return detail::claim_value_text(*v);
    level = v->if_object();
    if (level == nullptr) return std::nullopt;
    name.remove_prefix(dot + 1);
  }
}

}  // namespace gatehouse::policy
