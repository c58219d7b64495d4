#pragma once
// The Redis store (`store: redis`): a limit counted across every Gatehouse
// instance that shares one Redis, decided by the scripts in redis_scripts.h.
//
// - A RedisLimitCounters belongs to one limit definition (like a local
//   counter table) and is shared by all workers; it holds no connection. Each
//   acquire() runs on a worker thread and goes through that worker's own
//   RedisClient (RedisClient::for_executor), so connections are never shared
//   between threads.
// - When Redis does not answer in time, is unreachable, or answers an error,
//   `on_store_error` decides: local_fallback (the local store, with every
//   limit divided by `expected_instances`), fail_open, or fail_closed.
// - RedisHealth logs one line when an endpoint becomes unreachable and one
//   when it answers again, however many requests and workers see it.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "policies/rate_limit/limit_store.h"
#include "policies/rate_limit/redis_client.h"
#include "proxy/admin/worker_local_metrics.h"

namespace gatehouse::policies::rate_limit {

enum class OnStoreError : std::uint8_t { kLocalFallback, kFailOpen, kFailClosed };

struct RedisStoreSettings {
  RedisEndpoint endpoint;
  std::string prefix = "gatehouse:rl:";
  OnStoreError on_error = OnStoreError::kLocalFallback;
  std::uint64_t expected_instances = 1;
};

// Whether an endpoint answers, as last seen by any worker; logs changes.
class RedisHealth {
 public:
  explicit RedisHealth(std::string address) : address_(std::move(address)) {}
  void report_ok();
  void report_failure(const RedisResult& result);
  bool down() const noexcept { return down_.load(std::memory_order_relaxed); }

 private:
  std::string address_;
  std::atomic<bool> down_{false};
};

// A process-wide service (PolicyServices::shared<RedisHealthRegistry>()):
// one RedisHealth per address, kept across reloads.
class RedisHealthRegistry {
 public:
  std::shared_ptr<RedisHealth> for_address(const std::string& address);

 private:
  std::mutex mutex_;  // config loads only
  std::map<std::string, std::shared_ptr<RedisHealth>> health_;
};

struct StoreOutcome {
  enum class Source : std::uint8_t {
    kRedis,          // Redis decided
    kLocalFallback,  // Redis failed; the local store decided with the divided limits
    kFailOpen,       // Redis failed; admitted without counting
    kFailClosed,     // Redis failed; to be refused with 503
  };
  Source source = Source::kRedis;
  Verdict verdict;  // kRedis and kLocalFallback
};

// The divided limits the local fallback enforces: each quota (and burst)
// divided by `instances`, at least 1.
std::vector<LimitSpec> fallback_limits(const std::vector<LimitSpec>& limits, std::uint64_t instances);

class RedisLimitCounters : public std::enable_shared_from_this<RedisLimitCounters> {
 public:
  using Done = std::function<void(StoreOutcome)>;

  // `key_prefix` is the settings' prefix plus the definition's fingerprint;
  // `fallback` decides under local_fallback (null otherwise); `latency` may
  // be null.
  RedisLimitCounters(RedisStoreSettings settings, std::vector<LimitSpec> limits, std::string key_prefix,
                     std::shared_ptr<LimitCounters> fallback, std::shared_ptr<RedisHealth> health,
                     WorkerLocalHistogram* latency);

  // Decides one request of `key`; `done` runs later on `executor`, which
  // must be the calling worker's. `now` is the local clock, for the fallback.
  void acquire(const boost::asio::any_io_executor& executor, std::string_view key, TimePoint now, Done done) const;

  const RedisStoreSettings& settings() const noexcept { return settings_; }

 private:
  StoreOutcome on_failure(const RedisResult& result, std::string_view key, TimePoint now) const;

  RedisStoreSettings settings_;
  std::vector<LimitSpec> limits_;
  std::string key_prefix_;
  std::string endpoint_id_;        // settings_.endpoint.id(), for the per-worker client lookup
  std::vector<std::string> args_;  // ARGV, the same for every request
  std::shared_ptr<LimitCounters> fallback_;
  std::shared_ptr<RedisHealth> health_;
  WorkerLocalHistogram* latency_;
};

}  // namespace gatehouse::policies::rate_limit
