#include "policies/rate_limit/rate_limit_metrics.h"

#include <string>

namespace gatehouse::policies::rate_limit {

RateLimitMetrics::RateLimitMetrics(policy::PolicyServices& services)
    : decisions_(&prometheus::BuildCounter()
                      .Name("gatehouse_rate_limit_decisions_total")
                      .Help("Rate-limit decisions by route and result (allowed, limited, delayed)")
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
