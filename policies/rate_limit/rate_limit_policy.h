#pragma once
// The `rate_limit` policy (options in rate_limit_config.h): counts requests
// per key in a store shared by every worker, and answers 429 once a key is
// over any of the route's limits, or (delay mode) holds the request until
// its turn comes.
//
// Contract:
// - on_request(): builds the key; a request missing a key part is limited in
//   a shared bucket, not limited, or answered 403 (`on_missing_key`). Then
//   one store decision: allowed -> proceed; over a limit -> respond 429 with
//   the standard JSON error body (code `rate_limited`); delay mode with room
//   in the key's queue -> pause, and proceed when a timer on the worker's
//   executor fires. Never blocks, never throws.
// - store: redis: the decision comes from the worker's Redis client; the
//   request pauses while it is in flight and resumes on the worker's executor
//   with the same outcomes, or what `on_store_error` says when Redis fails
//   (fail_closed: 503 `rate_limit_store_unavailable`). The callback holds
//   no reference to the policy (a reload may free it meanwhile).
// - on_response(): adds the RateLimit headers (and Retry-After on a 429) to
//   every response of the route, from the upstream or from any policy's
//   reply, using the decision kept with the request (RequestContext data
//   under this policy's address).
// - Immutable after construction; its counters belong to the store, so a
//   reload that rebuilds an identical policy keeps counting where it was.

#include <memory>

#include "policies/rate_limit/limit_store.h"
#include "policies/rate_limit/rate_limit_config.h"
#include "policies/rate_limit/rate_limit_headers.h"
#include "policies/rate_limit/rate_limit_metrics.h"
#include "policies/rate_limit/redis_store.h"
#include "proxy/config/config_node.h"
#include "proxy/policy/policy.h"
#include "proxy/policy/services.h"

namespace gatehouse::policies::rate_limit {

class RateLimitPolicy final : public policy::Policy {
 public:
  using NowFunction = TimePoint (*)();

  // `now` is the clock decisions are made with (tests inject their own).
  // `redis` (store: redis) decides instead of `counters` when set.
  RateLimitPolicy(RateLimitConfig config, std::shared_ptr<LimitCounters> counters, DecisionCounters metrics,
                  NowFunction now = &Clock::now, std::shared_ptr<const RedisLimitCounters> redis = nullptr)
      : config_(std::move(config)),
        headers_(config_.limit_names, config_.limits,
                 HeaderChoice{.ietf = config_.ietf_headers, .legacy = config_.legacy_headers}),
        counters_(std::move(counters)),
        redis_(std::move(redis)),
        metrics_(metrics),
        now_(now) {}

  policy::RequestOutcome on_request(policy::RequestContext& ctx) const override;
  void on_response(policy::RequestContext& ctx, http::ResponseHead& response) const override;

  const RateLimitConfig& config() const noexcept { return config_; }

 private:
  policy::RequestOutcome delay(policy::RequestContext& ctx, Nanos wait) const;
  policy::RequestOutcome ask_redis(policy::RequestContext& ctx, std::string_view key) const;

  RateLimitConfig config_;
  RateLimitHeaders headers_;
  std::shared_ptr<LimitCounters> counters_;
  std::shared_ptr<const RedisLimitCounters> redis_;
  DecisionCounters metrics_;
  NowFunction now_;
};

// The registry's entry (proxy/policy/registry.cc): parses `options`, finds
// or creates the counters in the process's LocalLimitStore and builds the
// policy; or reports errors against `options` and returns null.
std::unique_ptr<const policy::Policy> create_rate_limit_policy(const config::ConfigNode& options,
                                                               const policy::PolicyBuildContext& build);

}  // namespace gatehouse::policies::rate_limit
