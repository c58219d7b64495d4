#pragma once
// The response headers that tell a client where it stands:
//
// - IETF (draft-ietf-httpapi-ratelimit-headers-10, the current draft; the
//   format is the same since -08): two Structured Fields lists with one item
//   per limit, named by its rate:
//     RateLimit-Policy: "10/s";q=20;w=2, "1000/h";q=1000;w=3600
//     RateLimit: "10/s";r=19;t=1, "1000/h";r=999;t=3600
//   q = quota, w = window (s), r = remaining quota, t = seconds until the
//   quota is fully available again. For a token bucket q is its capacity and
//   w the time a full refill takes.
// - Legacy (de facto, single-valued): X-RateLimit-Limit, -Remaining and
//   -Reset (seconds) of the most restrictive limit: the one with the least
//   remaining, and of those the one that resets last (the one a client
//   really has to wait for).
// - Retry-After (seconds, at least 1) on a request a limit denied.
//
// Seconds are rounded up: a client that waits the advertised time must find
// the quota there.

#include <cstdint>
#include <string>
#include <vector>

#include "policies/rate_limit/limit_store.h"
#include "proxy/http/header_map.h"

namespace gatehouse::policies::rate_limit {

// Whole seconds, rounded up.
std::uint64_t ceil_seconds(Nanos duration) noexcept;

// The RateLimit-Policy value of these limits (named by `names`).
std::string ratelimit_policy_field(const std::vector<std::string>& names, const std::vector<LimitSpec>& limits);
// The index of the decision that drives the legacy headers.
std::size_t most_restrictive(const Verdict& verdict) noexcept;
// For a denied verdict: the seconds until every denying limit admits again.
std::uint64_t retry_after_seconds(const Verdict& verdict) noexcept;

struct HeaderChoice {
  bool ietf = true;
  bool legacy = true;
};

// The headers of one policy, with everything that does not change between
// requests (RateLimit-Policy, the items' names) formatted once at load, so a
// response only pays for a few integers and one pass over its fields.
class RateLimitHeaders {
 public:
  RateLimitHeaders(const std::vector<std::string>& names, const std::vector<LimitSpec>& limits, HeaderChoice choice);

  // Sets the chosen headers on `headers`, replacing any of the same name
  // (e.g. from an upstream that limits too), and Retry-After when denied
  // (an upstream's Retry-After, say on a 503, is kept otherwise).
  void apply(const Verdict& verdict, http::HeaderMap& headers) const;

 private:
  HeaderChoice choice_;
  std::string policy_field_;                // RateLimit-Policy, constant
  std::vector<std::string> item_prefixes_;  // `"10/s";r=` per limit
};

}  // namespace gatehouse::policies::rate_limit
