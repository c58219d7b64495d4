#include "policies/jwt/token_verifier.h"

#include "policies/jwt/claims_check.h"
#include "policies/jwt/compact_token.h"

namespace gatehouse::policies::jwt {
namespace {

// Signature check against the keys that may verify `token`. A token's kid
// selects the key with that id; a key without an id (a secret, a PEM file,
// a JWK without `kid`) has none to contradict it and stays a candidate.
Failure check_signature(const CompactToken& token, const KeySet& keys) {
  bool any_kid = false;
  bool any_usable = false;
  for (const VerificationKey& key : keys) {
    if (token.has_kid && !key.kid.empty() && key.kid != token.kid) continue;
    any_kid = true;
    if (!key.usable_for(token.alg)) continue;
    any_usable = true;
    if (verify_signature(token.alg, key, token.signing_input, token.signature)) return Failure::kNone;
  }
  if (token.has_kid && !any_kid) return Failure::kUnknownKid;
  if (!any_usable) return Failure::kNoMatchingKey;
  return Failure::kBadSignature;
}

}  // namespace

TokenVerifier::TokenVerifier(std::vector<IssuerRuntime> issuers, std::size_t cache_entries)
    : issuers_(std::move(issuers)),
      cache_(cache_entries > 0 ? std::make_unique<VerificationCache>(cache_entries) : nullptr) {}

VerifyResult TokenVerifier::verify(std::string_view text, std::int64_t now, bool after_fetch) const {
  VerifyResult result;
  if (cache_) {
    if (std::optional<VerificationCache::Entry> hit = cache_->find(text, now)) {
      result.failure = check_claims(*hit->claims, issuers_[hit->issuer].config.claims, now);
      if (result.failure == Failure::kNone) result.claims = std::move(hit->claims);
      result.cached = true;
      return result;
    }
  }
  CompactToken token;
  result.failure = parse_compact(text, token);
  if (result.failure != Failure::kNone) return result;

  const boost::json::value* iss = token.claims.if_contains("iss");
  const IssuerRuntime* issuer = nullptr;
  std::size_t index = 0;
  if (iss != nullptr && iss->is_string()) {
    for (; index < issuers_.size(); ++index) {
      if (issuers_[index].config.claims.issuer == iss->get_string()) {
        issuer = &issuers_[index];
        break;
      }
    }
  }
  if (issuer == nullptr) {
    result.failure = Failure::kUnknownIssuer;
    return result;
  }
  if (!issuer->config.allows(token.alg)) {
    result.failure = Failure::kAlgNotAllowed;
    return result;
  }
  std::shared_ptr<const KeySet> keys = issuer->remote ? issuer->remote->keys() : issuer->config.keys;
  if (!keys) {
    result.failure = Failure::kKeysUnavailable;
    if (!after_fetch) result.wait_on = issuer->remote.get();
    return result;
  }
  result.failure = check_signature(token, *keys);
  if (result.failure == Failure::kUnknownKid && issuer->remote && !after_fetch) {
    result.wait_on = issuer->remote.get();
    return result;
  }
  if (result.failure != Failure::kNone) return result;

  auto claims = std::make_shared<const boost::json::object>(std::move(token.claims));
  result.failure = check_claims(*claims, issuer->config.claims, now);
  if (result.failure != Failure::kNone) return result;
  if (cache_) {
    const boost::json::value* exp = claims->if_contains("exp");
    std::optional<std::int64_t> exp_s = exp ? numeric_date(*exp) : std::nullopt;
    if (exp_s) {
      cache_->insert(text, {.claims = claims, .issuer = index,
                            .expires = *exp_s + issuer->config.claims.leeway.count()});
    }
  }
  result.claims = std::move(claims);
  return result;
}

}  // namespace gatehouse::policies::jwt
