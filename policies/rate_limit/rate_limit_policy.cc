#include "policies/rate_limit/rate_limit_policy.h"

#include <boost/asio/steady_timer.hpp>

#include "policies/rate_limit/local_store.h"

namespace gatehouse::policies::rate_limit {
namespace {

// The decision taken in on_request(), for on_response() to report.
struct KeptVerdict final : policy::RequestData {
  explicit KeptVerdict(const Verdict& v) : verdict(v) {}
  Verdict verdict;
};

}  // namespace

policy::RequestOutcome RateLimitPolicy::on_request(policy::RequestContext& ctx) const {
  KeyResult key = build_key(config_.key, ctx);
  if (key.kind == KeyResult::Kind::kAllow) return policy::RequestOutcome::proceed();
  if (key.kind == KeyResult::Kind::kDeny) {
    // 403 rather than 429: waiting would not help, the request lacks what
    // this route tells clients apart by.
    count(metrics_.limited);
    return policy::RequestOutcome::respond_error(
        403, "rate_limit_key_missing", "the request lacks `" + key.missing + "`, which this route is rate limited by");
  }

  const Verdict verdict = counters_->acquire(key.key, now_());
  ctx.set_data(this, std::make_unique<KeptVerdict>(verdict));
  if (!verdict.allowed) {
    count(metrics_.limited);
    return policy::RequestOutcome::respond_error(429, "rate_limited", "too many requests; retry after " +
                                                     std::to_string(retry_after_seconds(verdict)) + "s");
  }
  if (verdict.delay > Nanos(0)) {
    count(metrics_.delayed);
    return delay(ctx, verdict.delay);
  }
  count(metrics_.allowed);
  return policy::RequestOutcome::proceed();
}

// Holds the request on the worker's loop. The timer keeps itself alive
// through the handler's shared_ptr; if the client leaves meanwhile, resume()
// finds no exchange and does nothing. The wait is bounded by max_delay.
policy::RequestOutcome RateLimitPolicy::delay(policy::RequestContext& ctx, Nanos wait) const {
  auto timer = std::make_shared<boost::asio::steady_timer>(ctx.executor(), wait);
  timer->async_wait([timer, paused = ctx.pause_handle()](const boost::system::error_code& ec) {
    if (ec == boost::asio::error::operation_aborted) return;  // the worker is shutting down
    paused.resume(policy::RequestOutcome::proceed());
  });
  return policy::RequestOutcome::pause();
}

void RateLimitPolicy::on_response(policy::RequestContext& ctx, http::ResponseHead& response) const {
  const KeptVerdict* kept = ctx.data_as<KeptVerdict>(this);
  if (kept == nullptr) return;  // not limited (key missing under `allow`, or refused for its key)
  headers_.apply(kept->verdict, response.headers);
}

std::unique_ptr<const policy::Policy> create_rate_limit_policy(const config::ConfigNode& options,
                                                               const policy::PolicyBuildContext& build) {
  std::optional<RateLimitConfig> config = parse_rate_limit_config(options);
  if (!config) return nullptr;
  CounterTableSpec spec{.limits = config->limits, .max_keys = config->max_keys, .tolerance = config->tolerance()};
  std::shared_ptr<LimitCounters> counters =
      build.services.shared<LocalLimitStore>().counters(config->fingerprint(build.route_name), spec);
  DecisionCounters metrics = build.services.shared<RateLimitMetrics>().for_route(build.route_name);
  return std::make_unique<const RateLimitPolicy>(std::move(*config), std::move(counters), metrics);
}

}  // namespace gatehouse::policies::rate_limit
