#include "policies/rate_limit/rate_limit_metrics.h"

#include <string>

namespace gatehouse::policies::rate_limit {

RateLimitMetrics::RateLimitMetrics(policy::PolicyServices& services)
    : decisions_(&prometheus::BuildCounter()
                      .Name("gatehouse_rate_limit_decisions_total")
                      .Help("Rate-limit decisions by route and result (allowed, limited, delayed, fallback)")
                      .Register(services.metrics_registry())),
      store_duration_(&prometheus::BuildHistogram()
                           .Name("gatehouse_rate_limit_store_duration_seconds")
                           .Help("Time the rate limit's Redis store took to answer or fail, by route")
                           .Register(services.metrics_registry())) {}

WorkerLocalCounter* RateLimitMetrics::decision_counter(const std::string& route, const char* result) {
  // Family::Add returns the existing child for labels it has seen, so a
  // rebuilt policy gets the worker-local counter it had.
  return &worker_local_.counter(decisions_->Add({{"route", route}, {"result", result}}));
}

DecisionCounters RateLimitMetrics::for_route(std::string_view route) {
  if (route.empty()) return {};
  const std::string name(route);
  return DecisionCounters{
      .allowed = decision_counter(name, "allowed"),
      .limited = decision_counter(name, "limited"),
      .delayed = decision_counter(name, "delayed"),
  };
}

void RateLimitMetrics::publish() { worker_local_.publish(); }

}  // namespace gatehouse::policies::rate_limit

namespace gatehouse::policies::rate_limit {

DecisionCounters RateLimitMetrics::for_redis_route(std::string_view route) {
  DecisionCounters counters = for_route(route);
  if (route.empty()) return counters;
  const std::string name(route);
  counters.fallback = decision_counter(name, "fallback");
  const prometheus::Histogram::BucketBoundaries buckets{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25};
  counters.store_duration = &worker_local_.histogram(store_duration_->Add({{"route", name}}, buckets), buckets);
  return counters;
}

}  // namespace gatehouse::policies::rate_limit
