#include "policies/cache/cache_runtime.h"

#include <algorithm>
#include <bit>
#include <cmath>
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

void Flight::end() { std::exchange(runtime_, nullptr)->end_flight(primary_hash_, key_); }

void Flight::ended_in_store(bool waited_for) {
  CacheRuntime* runtime = std::exchange(runtime_, nullptr);
  if (runtime != nullptr && waited_for) runtime->wake(key_);
}

Flight& Flight::operator=(Flight&& other) noexcept {
  if (this != &other) {
    finish();
    runtime_ = std::exchange(other.runtime_, nullptr);
    primary_hash_ = other.primary_hash_;
    key_ = other.key_;
  }
  return *this;
}

namespace {

// One worker has no other thread to contend with for a shard's lock (the
// admin's rare calls aside), and one shard keeps each insert's next victim
// close at hand: the insert that evicts it comes next, while the memory the
// insert before asked for it is still in the caches (with N shards it comes
// N inserts later, on average, and mostly from memory again). More workers
// get four shards each, so that two seldom want the same lock, up to 16: a
// shard holds max_size / shards, and an entry larger than that cannot be
// stored (16 shards of the default 256 MiB hold the default 8 MiB objects).
std::size_t store_shards(unsigned workers) {
  if (workers <= 1) return 1;
  return std::min<std::size_t>(std::bit_ceil(std::size_t{4} * workers), 16);
}

}  // namespace

CacheRuntime::CacheRuntime(policy::PolicyServices& services)
    : store_(store_shards(services.worker_count())),
      lookups_(&prometheus::BuildCounter()
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

std::map<std::string, std::uint64_t> CacheRuntime::lookup_totals() {
  publish_metrics();
  std::map<std::string, std::uint64_t> totals;
  for (const prometheus::MetricFamily& family : lookups_->Collect()) {
    for (const prometheus::ClientMetric& metric : family.metric) {
      for (const prometheus::ClientMetric::Label& label : metric.label) {
        // A prometheus counter is a double; these count lookups one by one.
        if (label.name == "result") totals[label.value] += static_cast<std::uint64_t>(std::llround(metric.counter.value));
      }
    }
  }
  return totals;
}

Flight CacheRuntime::lead(std::size_t primary_hash, std::uint64_t key) {
  if (!store_.claim_flight(primary_hash, key)) return Flight();
  return Flight(*this, primary_hash, key);
}

bool CacheRuntime::wait(std::size_t primary_hash, std::uint64_t key, policy::PausedRequest paused,
                        boost::asio::any_io_executor executor, std::chrono::milliseconds max_wait) {
  auto waiter = std::make_shared<Waiter>(std::move(paused), executor);
  // Listed with the store's shard locked, so the flight cannot end (and
  // wake its waiters) before this waiter is among them.
  const bool joined = store_.join_flight(primary_hash, key, [&] {
    WaiterShard& shard = waiter_shard(key);
    std::lock_guard lock(shard.mutex);
    if (stopped_.load(std::memory_order_relaxed)) return false;
    shard.waiters[key].push_back(waiter);
    return true;
  });
  if (!joined) return false;
  // The caller runs on `executor`, so arming the timer here is on its thread.
  waiter->timer.expires_after(max_wait);
  waiter->timer.async_wait([waiter](const boost::system::error_code& ec) {
    if (ec || waiter->done) return;
    waiter->done = true;
    waiter->paused.resume(policy::RequestOutcome::retry());
  });
  return true;
}

void CacheRuntime::end_flight(std::size_t primary_hash, std::uint64_t key) {
  if (store_.end_flight(primary_hash, key)) wake(key);
}

void CacheRuntime::wake(std::uint64_t key) {
  std::vector<std::shared_ptr<Waiter>> waiters;
  WaiterShard& shard = waiter_shard(key);
  {
    std::lock_guard lock(shard.mutex);
    auto it = shard.waiters.find(key);
    if (it == shard.waiters.end()) return;
    waiters.swap(it->second);
    shard.waiters.erase(it);
  }
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
  if (stopped_.load(std::memory_order_relaxed) || background_.size() >= kMaxBackgroundFetches) return false;
  return background_.insert(key).second;
}

void CacheRuntime::end_background(const std::string& key) {
  std::lock_guard lock(background_mutex_);
  background_.erase(key);
}

void CacheRuntime::stop() {
  stopped_ = true;
  { std::lock_guard lock(background_mutex_); }  // a begin_background() in progress is over
  for (WaiterShard& shard : waiter_shards_) {
    // Dropped after the unlock: a waiter's destructor cancels its timer.
    boost::unordered_flat_map<std::uint64_t, std::vector<std::shared_ptr<Waiter>>> dropped;
    std::lock_guard lock(shard.mutex);
    dropped.swap(shard.waiters);
  }
}

}  // namespace gatehouse::policies::cache
