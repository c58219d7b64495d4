#pragma once
// The process-wide state of the `cache` policy, one PolicyServices service
// (`services.shared<CacheRuntime>()`), so that it survives config reloads:
// the store itself, the in-flight misses that concurrent requests collapse
// onto, the keys being refreshed in the background, and the metrics.
//
// Threading: every member is safe to call from any worker thread; locks are
// held only for map work. Waiters are resumed by posting to their own
// worker's executor, never run on the caller's thread.
//
// Shutdown: stop() (registered with PolicyServices::on_stop) drops every
// waiter, so no timer or handle outlives the workers' io_contexts.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/unordered/unordered_flat_map.hpp>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>

#include "policies/cache/cache_store.h"
#include "proxy/admin/worker_local_metrics.h"
#include "proxy/policy/policy.h"
#include "proxy/policy/services.h"

namespace gatehouse::policies::cache {

// gatehouse_cache_lookups_total{route,result} for one route, counted
// worker-locally (worker_local_metrics.h; CacheRuntime publishes them before
// a scrape); null pointers count nothing (a `defaults` entry built only to
// be validated).
struct LookupCounters {
  WorkerLocalCounter* hit = nullptr;          // fresh (or allowed-stale) stored response served
  WorkerLocalCounter* miss = nullptr;         // forwarded: nothing usable stored
  WorkerLocalCounter* stale = nullptr;        // served stale (stale-while-revalidate, stale-if-error)
  WorkerLocalCounter* revalidated = nullptr;  // a 304 to our conditional request refreshed the entry
  WorkerLocalCounter* collapsed = nullptr;    // served after waiting for another request's miss
  WorkerLocalCounter* bypass = nullptr;       // not a cacheable method: passed through
};

inline void count_lookup(WorkerLocalCounter* counter) noexcept {
  if (counter != nullptr) counter->add();
}

// The leader's handle on one in-flight miss that others may wait for: a
// move-only value (one owner at a time, on the leader's worker; no
// allocation). The flight is the store's (CacheStore::claim_flight(), or a
// lookup that claims it); it ends (waking the waiters) when its response is
// stored (store_entry(), cache_fill.h, ends it in the same step) or judged
// not storable, or when the handle is destroyed, whichever comes first;
// finish() is idempotent. An empty handle (false) leads nothing.
class Flight {
 public:
  Flight() = default;
  // The handle on the flight `key` (flight_hash_of(primary_hash, ...),
  // cache_store.h) that the caller claimed in `runtime`'s store.
  Flight(class CacheRuntime& runtime, std::size_t primary_hash, std::uint64_t key)
      : runtime_(&runtime), primary_hash_(primary_hash), key_(key) {}
  Flight(Flight&& other) noexcept
      : runtime_(std::exchange(other.runtime_, nullptr)), primary_hash_(other.primary_hash_), key_(other.key_) {}
  Flight& operator=(Flight&& other) noexcept;
  Flight(const Flight&) = delete;
  Flight& operator=(const Flight&) = delete;
  ~Flight() { finish(); }
  explicit operator bool() const noexcept { return runtime_ != nullptr; }
  std::uint64_t key() const noexcept { return key_; }
  // Ends the flight in the store (waking its waiters) unless it has ended.
  // Inline: most handles are destroyed empty (moved from, or ended in the
  // store), and that case should cost no call.
  void finish() {
    if (runtime_ != nullptr) end();
  }
  // The store ended the flight itself (CacheStore::insert with a FlightEnd
  // that says so): wakes the waiters if `waited_for`; the handle is empty.
  void ended_in_store(bool waited_for);

 private:
  void end();
  class CacheRuntime* runtime_ = nullptr;  // null once finished
  std::size_t primary_hash_ = 0;           // CacheStore::key_hash() of the key
  std::uint64_t key_ = 0;                  // flight_hash_of()
};

class CacheRuntime {
 public:
  explicit CacheRuntime(policy::PolicyServices& services);

  CacheStore& store() noexcept { return store_; }
  // The same counters for every call with the same route (policies are
  // rebuilt on every reload); they live as long as the runtime.
  LookupCounters counters_for(std::string_view route);
  // Brings the metrics up to date: the stored-bytes/entries gauges and the
  // evictions counter with the store, the lookup counters with what the
  // workers counted. Run before each scrape (a ScrapeHooks hook), not on the
  // data path.
  void publish_metrics();
  // gatehouse_cache_lookups_total summed over routes, by result (admin
  // stats), published first. Counts: whole numbers, as JSON shows them.
  std::map<std::string, std::uint64_t> lookup_totals();

  // Request collapsing. The flights themselves are the store's (claimed by
  // a lookup: CacheStore::lookup's `claim_flight`, or by lead()), each named
  // by its primary key's hash and its flight_hash_of(); the runtime keeps
  // only the requests waiting for one. lead(): the caller becomes the
  // leader of flight `key` (non-null) unless one is in flight already
  // (null). wait(): pause `paused` until flight `key` ends or `max_wait`
  // passes, then resume it with RequestOutcome::retry() on `executor`;
  // false when no flight is in progress (the caller should go upstream).
  //
  // Flights are keyed by the hash alone, so two different cache keys with
  // the same hash share one flight. That costs a delay, never a wrong
  // answer: a waiter is never handed the leader's response, it is resumed
  // with retry() and looks its own key up again, finding only what is
  // stored for that key; finding nothing (the leader stored another key),
  // it goes upstream, since a request that waited once never waits again:
  // at most `max_wait` later than it would have. Only one flight exists
  // per hash (a second claim is refused), so ending one never ends
  // another's; but the waiters of a flight that ended are woken just after,
  // so one that joined a new flight of the same hash in that moment is
  // woken early (it looks again, and goes upstream: one request more).
  Flight lead(std::size_t primary_hash, std::uint64_t key);
  bool wait(std::size_t primary_hash, std::uint64_t key, policy::PausedRequest paused,
            boost::asio::any_io_executor executor, std::chrono::milliseconds max_wait);

  // Background fetches (stale-while-revalidate refreshes, Range fills):
  // one per key at a time, and at most kMaxBackgroundFetches at once in the
  // process: each buffers up to max_object_size, and a burst of requests
  // for distinct keys must not turn into as many fetches (the request that
  // found no room is answered as it would be anyway; a later one fetches).
  // False when the key's fetch runs already, the cap is reached, or after
  // stop().
  static constexpr std::size_t kMaxBackgroundFetches = 64;
  bool begin_background(const std::string& key);
  void end_background(const std::string& key);

  void stop();

 private:
  friend class Flight;
  struct Waiter;
  void end_flight(std::size_t primary_hash, std::uint64_t key);
  // Resumes the requests waiting for flight `key`, which has ended.
  void wake(std::uint64_t key);

  CacheStore store_;
  prometheus::Family<prometheus::Counter>* lookups_;
  prometheus::Gauge* stored_bytes_;
  prometheus::Gauge* stored_entries_;
  prometheus::Counter* evictions_;
  std::atomic<std::uint64_t> evictions_published_{0};
  WorkerLocalSet lookup_counters_;

  // The requests waiting for a flight, by its hash, in shards with a lock
  // and a cache line each: only flights that someone joined are here.
  struct alignas(64) WaiterShard {
    std::mutex mutex;
    boost::unordered_flat_map<std::uint64_t, std::vector<std::shared_ptr<Waiter>>> waiters;
  };
  static constexpr std::size_t kWaiterShards = 16;
  WaiterShard& waiter_shard(std::uint64_t key) noexcept { return waiter_shards_[key % kWaiterShards]; }
  std::array<WaiterShard, kWaiterShards> waiter_shards_;

  std::mutex background_mutex_;
  std::unordered_set<std::string> background_;
  // Set once by stop(); read under a shard's (or background_mutex_'s) lock,
  // which stop() takes after setting it, so nothing is added after it drops
  // a shard's waiters.
  std::atomic<bool> stopped_{false};
};

}  // namespace gatehouse::policies::cache
