#pragma once
// Verifies one token against a route's issuers: parse (compact_token.h),
// pick the issuer by the (not yet trusted) `iss`, check the algorithm is
// allowed for it, find the keys (those whose `kid` is the token's, plus
// keys without an id; every key when the token names no kid) that suit the
// algorithm, verify the signature with them, then the
// claims (claims_check.h). Rules (`require`) are the policy's business.
//
// Remote keys: when the issuer's JWKS is not loaded yet, or the token's
// `kid` is unknown to it, the result names that source (`wait_on`) instead
// of failing; the caller may ask it for a fetch and verify again once it has
// finished. On the second attempt (`after_fetch`) an unknown kid fails.
//
// Immutable and thread-safe; the cache is internally locked.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "policies/jwt/failure.h"
#include "policies/jwt/jwt_config.h"
#include "policies/jwt/key_source.h"
#include "policies/jwt/verification_cache.h"

namespace gatehouse::policies::jwt {

struct IssuerRuntime {
  IssuerConfig config;
  std::shared_ptr<RemoteKeySource> remote;  // with config.remote
};

struct VerifyResult {
  Failure failure = Failure::kNone;
  std::shared_ptr<const boost::json::object> claims;  // when failure == kNone
  RemoteKeySource* wait_on = nullptr;                 // keys may come: fetch, then verify again
  bool cached = false;                                // answered from the verification cache
};

class TokenVerifier {
 public:
  // `cache_entries` 0: no cache.
  TokenVerifier(std::vector<IssuerRuntime> issuers, std::size_t cache_entries);

  // `now` in seconds since the epoch.
  VerifyResult verify(std::string_view token, std::int64_t now, bool after_fetch) const;

  const std::vector<IssuerRuntime>& issuers() const noexcept { return issuers_; }

 private:
  std::vector<IssuerRuntime> issuers_;
  std::unique_ptr<VerificationCache> cache_;
};

}  // namespace gatehouse::policies::jwt
