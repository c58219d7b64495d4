#pragma once
// The in-process store: counters shared by every worker thread, surviving
// config reloads, with bounded memory.
//
// - Concurrency: keys are spread over independently locked stripes (by hash),
//   so workers limiting different keys rarely meet on a lock, and each
//   critical section is one hash lookup plus integer arithmetic. A key's
//   limits are checked and consumed under its stripe's lock, which is what
//   makes the count exact across threads.
// - Memory: at most `max_keys` keys per table (rounded up to a multiple of
//   the stripe count). Keys whose state has become equivalent to a fresh one
//   (bucket full again, window passed) are dropped as they reach the cold end
//   of their stripe's LRU list; when a stripe is still full, its least
//   recently used key is evicted (that key starts afresh if it returns).
// - Reloads: tables are found by a fingerprint of the route and the limit
//   definition. A reload builds the new policies while the old ones still
//   hold their tables, so an unchanged definition finds its counters again;
//   a changed one gets a fresh table, and the old table is freed with the
//   last policy that used it.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "policies/rate_limit/limit_store.h"

namespace gatehouse::policies::rate_limit {

struct CounterTableSpec {
  std::vector<LimitSpec> limits;  // 1..kMaxLimits
  std::uint64_t max_keys = 100000;
  Nanos tolerance{0};  // delay mode: how far ahead a token bucket may admit (see evaluate())
};

// Builds a table as LocalLimitStore would, without sharing (tests).
std::shared_ptr<LimitCounters> make_local_counters(CounterTableSpec spec);

// A process-wide service (PolicyServices::shared<LocalLimitStore>()).
class LocalLimitStore {
 public:
  // The table for `fingerprint`, created from `spec` when no live table has
  // that fingerprint. The fingerprint must cover everything in `spec`, so
  // that two definitions never share counters. Called at config load only.
  std::shared_ptr<LimitCounters> counters(const std::string& fingerprint, const CounterTableSpec& spec);

 private:
  std::mutex mutex_;  // config loads only; never taken while serving
  std::map<std::string, std::weak_ptr<LimitCounters>> tables_;
};

}  // namespace gatehouse::policies::rate_limit
