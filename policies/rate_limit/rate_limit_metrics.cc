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

DecisionCounters RateLimitMetrics::for_route(std::string_view route) {
  if (route.empty()) return {};
  const std::string name(route);
  // Family::Add is internally locked and returns the existing child for
  // labels it has seen.
  return DecisionCounters{
      .allowed = &decisions_->Add({{"route", name}, {"result", "allowed"}}),
      .limited = &decisions_->Add({{"route", name}, {"result", "limited"}}),
      .delayed = &decisions_->Add({{"route", name}, {"result", "delayed"}}),
  };
}

}  // namespace gatehouse::policies::rate_limit

namespace gatehouse::policies::rate_limit {

DecisionCounters RateLimitMetrics::for_redis_route(std::string_view route) {
  DecisionCounters counters = for_route(route);
  if (route.empty()) return counters;
  const std::string name(route);
  counters.fallback = &decisions_->Add({{"route", name}, {"result", "fallback"}});
  counters.store_duration = &store_duration_->Add(
      {{"route", name}}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25});
  return counters;
}

}  // namespace gatehouse::policies::rate_limit
