#pragma once
// The Redis store's decisions: one Lua script per algorithm, run atomically
// on the server (EVALSHA), that does what algorithms.cc does for the local
// store, for every limit of a definition at once (all-or-none: a request
// consumes from every limit or, when one denies it, from none).
//
// - Time is the Redis server's (TIME), in microseconds since the Unix epoch,
//   so every instance sharing the server sees the same clock and windows.
//   Lua numbers are doubles: microseconds stay exact integers (< 2^53), and a
//   token bucket's emission interval is rounded to whole microseconds (at
//   least 1: a Redis-backed limit admits at most 1,000,000 requests/s per key).
// - State: one hash per rate-limit key, fields per limit i (1-based):
//   `t<i>` (token_bucket: GCRA's theoretical arrival time), `i<i>`/`c<i>`/`p<i>`
//   (windows: index, count, previous window's count). Every committed
//   request sets the hash's expiry to when all of its limits are fresh again
//   (PEXPIRE), so idle keys vanish by themselves.
// - Reply: an integer array [allowed, then per limit: allowed, remaining,
//   reset_us, retry_after_us].

#include <optional>
#include <string>
#include <vector>

#include "policies/rate_limit/algorithms.h"
#include "policies/rate_limit/limit_store.h"
#include "policies/rate_limit/redis_client.h"

namespace gatehouse::policies::rate_limit {

// The script for `algorithm` (static; lives for the process).
const RedisScript& redis_script(Algorithm algorithm);

// ARGV for `limits` (all of one algorithm): the limit count, then two
// numbers per limit (token_bucket: interval_us, burst; windows: quota, window_us).
std::vector<std::string> redis_script_args(const std::vector<LimitSpec>& limits);

// The verdict a script reply describes; nullopt when the reply does not fit
// `limits` (a different script, a corrupted answer).
std::optional<Verdict> verdict_from_redis_reply(const std::vector<LimitSpec>& limits,
                                                const std::vector<long long>& reply);

}  // namespace gatehouse::policies::rate_limit
