#include "policies/rate_limit/redis_store.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "policies/rate_limit/redis_scripts.h"
#include "proxy/common/log.h"

namespace gatehouse::policies::rate_limit {

void RedisHealth::report_ok() {
  if (!down_.load(std::memory_order_relaxed)) return;
  if (down_.exchange(false)) {
    log_info("rate_limit: Redis at " + address_ + " answers again; limits are counted in Redis");
  }
}

void RedisHealth::report_failure(const RedisResult& result) {
  if (down_.load(std::memory_order_relaxed)) return;
  if (!down_.exchange(true)) {
    log_warn("rate_limit: Redis at " + address_ + " is unreachable (" + to_string(result.status) + ": " +
             result.error + "); limits follow their on_store_error until it is reachable");
  }
}

std::shared_ptr<RedisHealth> RedisHealthRegistry::for_address(const std::string& address) {
  std::lock_guard lock(mutex_);
  std::shared_ptr<RedisHealth>& slot = health_[address];
  if (!slot) slot = std::make_shared<RedisHealth>(address);
  return slot;
}

std::vector<LimitSpec> fallback_limits(const std::vector<LimitSpec>& limits, std::uint64_t instances) {
  std::vector<LimitSpec> out = limits;
  const std::uint64_t n = std::max<std::uint64_t>(instances, 1);
  for (LimitSpec& l : out) {
    l.quota = std::max<std::uint64_t>(l.quota / n, 1);
    l.burst = std::max<std::uint64_t>(l.burst / n, 1);
  }
  return out;
}

RedisLimitCounters::RedisLimitCounters(RedisStoreSettings settings, std::vector<LimitSpec> limits,
                                       std::string key_prefix, std::shared_ptr<LimitCounters> fallback,
                                       std::shared_ptr<RedisHealth> health, WorkerLocalHistogram* latency)
    : settings_(std::move(settings)),
      limits_(std::move(limits)),
      key_prefix_(std::move(key_prefix)),
      endpoint_id_(settings_.endpoint.id()),
      args_(redis_script_args(limits_)),
      fallback_(std::move(fallback)),
      health_(std::move(health)),
      latency_(latency) {}

void RedisLimitCounters::acquire(const boost::asio::any_io_executor& executor, std::string_view key, TimePoint now,
                                 Done done) const {
  std::shared_ptr<RedisClient> client = RedisClient::for_executor(executor, settings_.endpoint, endpoint_id_);
  std::string full_key = key_prefix_ + std::string(key);
  const auto started = std::chrono::steady_clock::now();
  // The callback keeps this definition alive (the policy that asked may be
  // reloaded away meanwhile); the key is copied for a fallback decision.
  client->eval(redis_script(limits_.front().algorithm), {full_key}, args_,
               [self = shared_from_this(), key = std::string(key), now, started,
                done = std::move(done)](RedisResult result) {
                 if (self->latency_ != nullptr) {
                   self->latency_->observe(
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
                 }
                 if (result.status == RedisResult::Status::kOk) {
                   if (std::optional<Verdict> verdict = verdict_from_redis_reply(self->limits_, result.integers)) {
                     self->health_->report_ok();
                     return done(StoreOutcome{StoreOutcome::Source::kRedis, *verdict});
                   }
                   result.status = RedisResult::Status::kError;
                   result.error = "the script's reply does not match the limits";
                 }
                 self->health_->report_failure(result);
                 done(self->on_failure(result, key, now));
               });
}

StoreOutcome RedisLimitCounters::on_failure(const RedisResult& /*result*/, std::string_view key,
                                            TimePoint now) const {
  switch (settings_.on_error) {
    case OnStoreError::kFailOpen:
      return StoreOutcome{StoreOutcome::Source::kFailOpen, {}};
    case OnStoreError::kFailClosed:
      return StoreOutcome{StoreOutcome::Source::kFailClosed, {}};
    case OnStoreError::kLocalFallback:
      break;
  }
  if (!fallback_) return StoreOutcome{StoreOutcome::Source::kFailOpen, {}};
  return StoreOutcome{StoreOutcome::Source::kLocalFallback, fallback_->acquire(key, now)};
}

}  // namespace gatehouse::policies::rate_limit
