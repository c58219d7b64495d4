#include "policies/jwt/jwt_metrics.h"

#include <string>

namespace gatehouse::policies::jwt {

JwtMetrics::JwtMetrics(policy::PolicyServices& services)
    : failures_(&prometheus::BuildCounter()
                     .Name("gatehouse_jwt_failures_total")
                     .Help("Requests refused by the jwt policy, by route and reason")
                     .Register(services.metrics_registry())) {}

FailureCounters JwtMetrics::for_route(std::string_view route) {
  FailureCounters out;
  if (route.empty()) return out;
  const std::string name(route);
  for (std::size_t i = 1; i < kFailureCount; ++i) {
    out.by_reason[i] = &failures_->Add({{"route", name}, {"reason", std::string(failure_reason(static_cast<Failure>(i)))}});
  }
  return out;
}

}  // namespace gatehouse::policies::jwt
