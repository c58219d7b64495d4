#include "policies/rate_limit/rate_limit_policy.h"

#include <boost/asio/steady_timer.hpp>

#include "policies/rate_limit/local_store.h"
#include "policies/rate_limit/redis_client.h"
#include "proxy/admin/scrape_hooks.h"

namespace gatehouse::policies::rate_limit {
namespace {

// The decision taken in on_request(), for on_response() to report.
struct KeptVerdict final : policy::RequestData {
  explicit KeptVerdict(const Verdict& v) : verdict(v) {}
  explicit KeptVerdict(std::shared_ptr<const std::optional<Verdict>> later) : pending(std::move(later)) {}
  // The verdict to report: the local one, or the one the Redis store's
  // callback filled in (none when the store failed open or closed).
  const Verdict* get() const noexcept {
    if (!pending) return &verdict;
    return pending->has_value() ? &**pending : nullptr;
  }
  Verdict verdict;
  std::shared_ptr<const std::optional<Verdict>> pending;
};

policy::RequestOutcome limited(const Verdict& verdict) {
  return policy::RequestOutcome::respond_error(
      429, "rate_limited", "too many requests; retry after " + std::to_string(retry_after_seconds(verdict)) + "s");
}

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

  if (redis_) return ask_redis(ctx, key.key);
  const Verdict verdict = counters_->acquire(key.key, now_());
  ctx.set_data(this, std::make_unique<KeptVerdict>(verdict));
  if (!verdict.allowed) {
    count(metrics_.limited);
    return limited(verdict);
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

// The callback runs on the worker's executor (RedisClient posts it there)
// and holds only what it uses: the request's verdict slot, the pause handle
// and the metric pointers (which live as long as the registry).
policy::RequestOutcome RateLimitPolicy::ask_redis(policy::RequestContext& ctx, std::string_view key) const {
  auto slot = std::make_shared<std::optional<Verdict>>();
  ctx.set_data(this, std::make_unique<KeptVerdict>(slot));
  redis_->acquire(ctx.executor(), key, now_(),
                  [slot, paused = ctx.pause_handle(), metrics = metrics_](StoreOutcome outcome) {
                    if (outcome.source != StoreOutcome::Source::kRedis) count(metrics.fallback);
                    if (outcome.source == StoreOutcome::Source::kFailClosed) {
                      return paused.resume(policy::RequestOutcome::respond_error(
                          503, "rate_limit_store_unavailable",
                          "the rate limit's store is unavailable; try again later"));
                    }
                    if (outcome.source == StoreOutcome::Source::kFailOpen) {
                      count(metrics.allowed);
                      return paused.resume(policy::RequestOutcome::proceed());
                    }
                    *slot = outcome.verdict;
                    if (!outcome.verdict.allowed) {
                      count(metrics.limited);
                      return paused.resume(limited(outcome.verdict));
                    }
                    count(metrics.allowed);
                    paused.resume(policy::RequestOutcome::proceed());
                  });
  return policy::RequestOutcome::pause();
}

void RateLimitPolicy::on_response(policy::RequestContext& ctx, http::ResponseHead& response) const {
  const KeptVerdict* kept = ctx.data_as<KeptVerdict>(this);
  if (kept == nullptr || kept->get() == nullptr) return;  // not limited, or the store failed open/closed
  headers_.apply(*kept->get(), response.headers);
}

std::unique_ptr<const policy::Policy> create_rate_limit_policy(const config::ConfigNode& options,
                                                               const policy::PolicyBuildContext& build) {
  std::optional<RateLimitConfig> config = parse_rate_limit_config(options);
  if (!config) return nullptr;
  const std::string fingerprint = config->fingerprint(build.route_name);
  LocalLimitStore& local = build.services.shared<LocalLimitStore>();
  RateLimitMetrics& rate_limit_metrics = build.services.shared<RateLimitMetrics>();
  // Counted worker-locally, added to the families when scraped.
  build.services.shared<ScrapeHooks>().add(&rate_limit_metrics,
                                           [&rate_limit_metrics] { rate_limit_metrics.publish(); });
  if (!config->redis) {
    CounterTableSpec spec{.limits = config->limits, .max_keys = config->max_keys, .tolerance = config->tolerance()};
    std::shared_ptr<LimitCounters> counters = local.counters(fingerprint, spec);
    DecisionCounters metrics = rate_limit_metrics.for_route(build.route_name);
    return std::make_unique<const RateLimitPolicy>(std::move(*config), std::move(counters), metrics);
  }
  const RedisStoreSettings& redis = *config->redis;
  std::shared_ptr<LimitCounters> fallback;
  if (redis.on_error == OnStoreError::kLocalFallback) {
    const std::string n = std::to_string(redis.expected_instances);
    CounterTableSpec spec{.limits = fallback_limits(config->limits, redis.expected_instances),
                          .max_keys = config->max_keys};
    fallback = local.counters(fingerprint + "|redis-fallback/" + n, spec);
  }
  DecisionCounters metrics = rate_limit_metrics.for_redis_route(build.route_name);
  // Keys name the definition by a hash of its fingerprint: a changed limit
  // starts afresh, an unchanged one (across reloads and instances) shares.
  const std::string key_prefix = redis.prefix + RedisScript(fingerprint).sha1().substr(0, 16) + ":";
  auto store = std::make_shared<const RedisLimitCounters>(
      redis, config->limits, key_prefix, std::move(fallback),
      build.services.shared<RedisHealthRegistry>().for_address(redis.endpoint.address()), metrics.store_duration);
  return std::make_unique<const RateLimitPolicy>(std::move(*config), nullptr, metrics, &Clock::now, std::move(store));
}

}  // namespace gatehouse::policies::rate_limit
