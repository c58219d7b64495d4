#pragma once
// gatehouse_jwt_failures_total{route,reason}: requests the `jwt` policy
// refused (or, with `optional: true`, let through without claims only when
// no token was sent — those are not failures), by reason (failure.h). A
// process-wide service so the family is registered once however many
// routes and reloads build policies.

#include <array>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>

#include "policies/jwt/failure.h"
#include "proxy/policy/services.h"

namespace gatehouse::policies::jwt {

// One route's counters by Failure; all null for a `defaults` entry (built
// only to be validated).
struct FailureCounters {
  std::array<prometheus::Counter*, kFailureCount> by_reason{};

  void count(Failure f) const noexcept {
    if (prometheus::Counter* c = by_reason[static_cast<std::size_t>(f)]) c->Increment();
  }
};

class JwtMetrics {
 public:
  explicit JwtMetrics(policy::PolicyServices& services);
  FailureCounters for_route(std::string_view route);

 private:
  prometheus::Family<prometheus::Counter>* failures_;
};

}  // namespace gatehouse::policies::jwt
