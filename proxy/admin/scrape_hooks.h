#pragma once
// Work to do just before the metrics are serialised for a scrape: a service
// whose figures are kept elsewhere (the cache store's bytes and entries,
// summed over its shards) copies them into its gauges here, instead of on
// every change on the data path, and a scrape still sees them exact.
//
// Contract: add() keeps the first hook given for an `owner` (policies are
// rebuilt on every reload and register again); a hook must refer only to
// process-wide state that outlives the admin listener (a PolicyServices
// service). run() is called on the admin's control thread before each
// /metrics answer; hooks must be thread-safe against the workers, must not
// throw and must not block for long.

#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace gatehouse {

class ScrapeHooks {
 public:
  void add(const void* owner, std::function<void()> hook) {
    std::lock_guard lock(mutex_);
    for (const auto& [o, h] : hooks_) {
      if (o == owner) return;
    }
    hooks_.emplace_back(owner, std::move(hook));
  }

  void run() const {
    std::vector<std::function<void()>> hooks;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [o, h] : hooks_) hooks.push_back(h);
    }
    for (const auto& hook : hooks) hook();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<const void*, std::function<void()>>> hooks_;
};

}  // namespace gatehouse
