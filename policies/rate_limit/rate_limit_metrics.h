#pragma once
// gatehouse_rate_limit_decisions_total{route,result}: what the rate limits
// decided, per route. A process-wide service (PolicyServices::shared) so the
// family is registered once however many routes and reloads build policies
// (prometheus-cpp refuses a family registered twice with different help).

#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>

#include "proxy/policy/services.h"

namespace gatehouse::policies::rate_limit {

// One route's counters; null pointers count nothing (a `defaults` entry is
// built only to be validated and must not create an empty route's series).
struct DecisionCounters {
  prometheus::Counter* allowed = nullptr;
  prometheus::Counter* limited = nullptr;  // denied: over a limit, or a missing key under `deny`
  prometheus::Counter* delayed = nullptr;  // admitted after waiting (delay mode)
};

inline void count(prometheus::Counter* counter) noexcept {
  if (counter != nullptr) counter->Increment();
}

class RateLimitMetrics {
 public:
  explicit RateLimitMetrics(policy::PolicyServices& services);
  // The route's counters, created on first use; the same ones after a reload.
  DecisionCounters for_route(std::string_view route);

 private:
  prometheus::Family<prometheus::Counter>* decisions_;
};

}  // namespace gatehouse::policies::rate_limit
