#include "policies/rate_limit/rate_limit_key.h"

#include <optional>
#include <string_view>

#include "proxy/policy/verified_claims.h"

namespace gatehouse::policies::rate_limit {
namespace {

// The part's value in this request, or nullopt when missing. An empty value
// counts as missing: an empty API key identifies nobody.
std::optional<std::string> part_value(const KeyPart& part, policy::RequestContext& ctx) {
  switch (part.kind) {
    case KeyPart::Kind::kClientIp:
      if (ctx.client_address().empty()) return std::nullopt;
      return std::string(ctx.client_address());
    case KeyPart::Kind::kRoute:
      return std::string(ctx.route_name());
    case KeyPart::Kind::kHeader: {
      const std::string* value = ctx.request().headers.find(part.name);
      if (value == nullptr || value->empty()) return std::nullopt;
      return *value;
    }
    case KeyPart::Kind::kClaim: {
      const policy::VerifiedClaims* claims = policy::verified_claims(ctx);
      if (claims == nullptr) return std::nullopt;
      std::optional<std::string> text = policy::claim_text(claims->claims, part.name);
      if (!text || text->empty()) return std::nullopt;
      return text;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string KeyPart::to_string() const {
  switch (kind) {
    case Kind::kClientIp: return "client_ip";
    case Kind::kRoute: return "route";
    case Kind::kHeader: return "header:" + name;
    case Kind::kClaim: return "claim:" + name;
  }
  return {};
}

KeyResult build_key(const KeySpec& spec, policy::RequestContext& ctx) {
  KeyResult result;
  for (const KeyPart& part : spec.parts) {
    std::optional<std::string> value = part_value(part, ctx);
    if (!value) {
      if (spec.on_missing != OnMissingKey::kShared) {
        result.kind = spec.on_missing == OnMissingKey::kDeny ? KeyResult::Kind::kDeny : KeyResult::Kind::kAllow;
        result.key.clear();
        result.missing = part.to_string();
        return result;
      }
      result.key += '-';  // a value is always "<length>:..."
      continue;
    }
    result.key += std::to_string(value->size());
    result.key += ':';
    result.key += *value;
  }
  return result;
}

}  // namespace gatehouse::policies::rate_limit
