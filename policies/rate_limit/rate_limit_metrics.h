#pragma once
// gatehouse_rate_limit_decisions_total{route,result}: what the rate limits
// decided, per route; gatehouse_rate_limit_store_duration_seconds{route}: how
// long the Redis store took to answer (or to fail), per route. A process-wide service (PolicyServices::shared) so the
// family is registered once however many routes and reloads build policies
// (prometheus-cpp refuses a family registered twice with different help).
// Both are updated on every request (every Redis call), so they are counted
// worker-locally (worker_local_metrics.h) and published into the families
// before each scrape (publish(), a ScrapeHooks hook).

#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>

#include "proxy/admin/worker_local_metrics.h"
#include "proxy/policy/services.h"

namespace gatehouse::policies::rate_limit {

// One route's counters; null pointers count nothing (a `defaults` entry is
// built only to be validated and must not create an empty route's series).
struct DecisionCounters {
  WorkerLocalCounter* allowed = nullptr;
  WorkerLocalCounter* limited = nullptr;  // denied: over a limit, or a missing key under `deny`
  WorkerLocalCounter* delayed = nullptr;  // admitted after waiting (delay mode)
  // store: redis only. Decided without Redis (it failed or timed out), in
  // addition to allowed/limited for what the fallback decided.
  WorkerLocalCounter* fallback = nullptr;
  WorkerLocalHistogram* store_duration = nullptr;
};

inline void count(WorkerLocalCounter* counter) noexcept {
  if (counter != nullptr) counter->add();
}

class RateLimitMetrics {
 public:
  explicit RateLimitMetrics(policy::PolicyServices& services);
  // The route's counters, created on first use; the same ones after a
  // reload. They live as long as this service.
  DecisionCounters for_route(std::string_view route);
  // ...with the Redis store's series too.
  DecisionCounters for_redis_route(std::string_view route);
  // Adds what the workers counted into the Prometheus families.
  void publish();

 private:
  WorkerLocalCounter* decision_counter(const std::string& route, const char* result);

  prometheus::Family<prometheus::Counter>* decisions_;
  prometheus::Family<prometheus::Histogram>* store_duration_;
  WorkerLocalSet worker_local_;
};

}  // namespace gatehouse::policies::rate_limit
