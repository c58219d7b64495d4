#include "policies/cache/cache_runtime.h"

#include <functional>

#include <boost/asio/post.hpp>
#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

namespace gatehouse::policies::cache {

// A paused request waiting for a flight. `done` makes its resume happen once
// whichever of the wake-up and the timer comes first; both run on the
// request's own executor.
struct CacheRuntime::Waiter {
  Waiter(policy::PausedRequest p, boost::asio::any_io_executor ex) : paused(std::move(p)), executor(ex), timer(ex) {}
  policy::PausedRequest paused;
  boost::asio::any_io_executor executor;
  boost::asio::steady_timer timer;
  bool done = false;  // touched on `executor` only
};

std::uint64_t flight_hash(std::string_view primary, std::string_view extra) noexcept {
  return flight_hash_of(CacheStore::key_hash(primary), extra);
}

std::uint64_t flight_hash_of(std::uint64_t primary_hash, std::string_view extra) noexcept {
  if (extra.empty()) return primary_hash;
  // boost::hash_combine's mixing step: order matters, so (a, b) and (b, a)
  // differ.
  return primary_hash ^ (std::hash<std::string_view>{}(extra) + 0x9e3779b97f4a7c15ULL + (primary_hash << 6) +
                         (primary_hash >> 2));
}

void Flight::finish() {
  if (runtime_ != nullptr) std::exchange(runtime_, nullptr)->end_flight(key_);
}

Flight& Flight::operator=(Flight&& other) noexcept {
  if (this != &other) {
    finish();
    runtime_ = std::exchange(other.runtime_, nullptr);
    key_ = other.key_;
  }
  return *this;
}

CacheRuntime::CacheRuntime(policy::PolicyServices& services)
    : lookups_(&prometheus::BuildCounter()
                    .Name("gatehouse_cache_lookups_total")
                    .Help("Cache lookups by route and result (hit, miss, stale, revalidated, collapsed, bypass)")
                    .Register(services.metrics_registry())) {
  stored_bytes_ = &prometheus::BuildGauge()
                       .Name("gatehouse_cache_stored_bytes")
                       .Help("Bytes held by the response cache (bodies, headers and bookkeeping)")
                       .Register(services.metrics_registry())
                       .Add({});
  stored_entries_ = &prometheus::BuildGauge()
                         .Name("gatehouse_cache_entries")
                         .Help("Responses held by the cache (every Vary variant counts)")
                         .Register(services.metrics_registry())
                         .Add({});
  evictions_ = &prometheus::BuildCounter()
                    .Name("gatehouse_cache_evictions_total")
                    .Help("Stored responses evicted to make room (least recently used first)")
                    .Register(services.metrics_registry())
                    .Add({});
  services.on_stop([this] { stop(); });
}

LookupCounters CacheRuntime::counters_for(std::string_view route) {
  if (route.empty()) return {};
  const std::string name(route);
  // Family::Add returns the existing child for labels it has seen, so a
  // rebuilt policy gets the worker-local counters it had.
  auto add = [&](const char* result) {
    return &lookup_counters_.counter(lookups_->Add({{"route", name}, {"result", result}}));
  };
  return LookupCounters{.hit = add("hit"), .miss = add("miss"), .stale = add("stale"),
                        .revalidated = add("revalidated"), .collapsed = add("collapsed"), .bypass = add("bypass")};
}

void CacheRuntime::publish_metrics() {
  const StoreStats stats = store_.totals();
  stored_bytes_->Set(static_cast<double>(stats.bytes));
  stored_entries_->Set(static_cast<double>(stats.entries));
  const std::uint64_t seen = evictions_published_.exchange(stats.evictions);
  if (stats.evictions > seen) evictions_->Increment(static_cast<double>(stats.evictions - seen));
  lookup_counters_.publish();
}

std::map<std::string, double> CacheRuntime::lookup_totals() {
  publish_metrics();
  std::map<std::string, double> totals;
  for (const prometheus::MetricFamily& family : lookups_->Collect()) {
    for (const prometheus::ClientMetric& metric : family.metric) {
      for (const prometheus::ClientMetric::Label& label : metric.label) {
        if (label.name == "result") totals[label.value] += metric.counter.value;
      }
    }
  }
  return totals;
}

Flight CacheRuntime::lead(std::uint64_t key) {
  FlightShard& shard = flight_shard(key);
  {
    std::lock_guard lock(shard.mutex);
    if (stopped_.load(std::memory_order_relaxed) || !shard.flights.try_emplace(key).second) return Flight();
  }
  return Flight(*this, key);
}

bool CacheRuntime::wait(std::uint64_t key, policy::PausedRequest paused, boost::asio::any_io_executor executor,
                        std::chrono::milliseconds max_wait) {
  auto waiter = std::make_shared<Waiter>(std::move(paused), executor);
  FlightShard& shard = flight_shard(key);
  {
    std::lock_guard lock(shard.mutex);
    auto it = shard.flights.find(key);
    if (stopped_.load(std::memory_order_relaxed) || it == shard.flights.end()) return false;
    it->second.push_back(waiter);
  }
  // The caller runs on `executor`, so arming the timer here is on its thread.
  waiter->timer.expires_after(max_wait);
  waiter->timer.async_wait([waiter](const boost::system::error_code& ec) {
    if (ec || waiter->done) return;
    waiter->done = true;
    waiter->paused.resume(policy::RequestOutcome::retry());
  });
  return true;
}

void CacheRuntime::end_flight(std::uint64_t key) {
  std::vector<std::shared_ptr<Waiter>> waiters;
  FlightShard& shard = flight_shard(key);
  {
    std::lock_guard lock(shard.mutex);
    auto it = shard.flights.find(key);
    if (it == shard.flights.end()) return;
    waiters.swap(it->second);
    shard.flights.erase(it);
  }
  if (waiters.empty()) return;
  for (std::shared_ptr<Waiter>& waiter : waiters) {
    boost::asio::any_io_executor ex = waiter->executor;
    boost::asio::post(ex, [waiter = std::move(waiter)] {
      if (waiter->done) return;
      waiter->done = true;
      waiter->timer.cancel();
      waiter->paused.resume(policy::RequestOutcome::retry());
    });
  }
}

bool CacheRuntime::begin_background(const std::string& key) {
  std::lock_guard lock(background_mutex_);
  if (stopped_.load(std::memory_order_relaxed)) return false;
  return background_.insert(key).second;
}

void CacheRuntime::end_background(const std::string& key) {
  std::lock_guard lock(background_mutex_);
  background_.erase(key);
}

void CacheRuntime::stop() {
  stopped_ = true;
  { std::lock_guard lock(background_mutex_); }  // a begin_background() in progress is over
  for (FlightShard& shard : flight_shards_) {
    // Dropped after the unlock: a waiter's destructor cancels its timer.
    boost::unordered_flat_map<std::uint64_t, std::vector<std::shared_ptr<Waiter>>> dropped;
    std::lock_guard lock(shard.mutex);
    dropped.swap(shard.flights);
  }
}

}  // namespace gatehouse::policies::cache
