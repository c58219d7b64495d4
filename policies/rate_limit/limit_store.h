#pragma once
// Where a rate limit's counters live, behind one small interface so that a
// store shared between instances (Redis, a later increment) can take the
// local store's place without the policy changing its decision logic.
//
// A LimitCounters holds the counters of one limit definition (one route's
// limits and key settings); a request asks it once per request for its key.

#include <array>
#include <cstddef>
#include <string_view>

#include "policies/rate_limit/algorithms.h"

namespace gatehouse::policies::rate_limit {

// Limits per rate_limit entry (`limits:` list); bounded so a decision needs
// no allocation.
inline constexpr std::size_t kMaxLimits = 4;

// The outcome of one request against all of a definition's limits.
struct Verdict {
  bool allowed = false;  // every limit allowed it
  Nanos delay{0};        // delay mode: how long the request must wait first (the longest of the limits')
  std::array<Decision, kMaxLimits> decisions{};  // one per limit, in configuration order
  std::size_t count = 0;                         // how many of `decisions` are used
};

class LimitCounters {
 public:
  virtual ~LimitCounters() = default;
  // Decides one request of `key` at `now` against every limit, atomically:
  // the request consumes from all limits or, when any denies it, from none.
  // Safe to call concurrently from every worker thread; never blocks beyond
  // a short critical section, never throws.
  //
  // (A networked store cannot answer synchronously: the Redis store,
  // RedisLimitCounters in redis_store.h, has an asynchronous acquire() for
  // which the policy pauses the request. The local store stays synchronous
  // because waking the chain up costs more than the decision itself.)
  virtual Verdict acquire(std::string_view key, TimePoint now) noexcept = 0;
};

}  // namespace gatehouse::policies::rate_limit
