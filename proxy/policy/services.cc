#include "proxy/policy/services.h"

#include <utility>

namespace gatehouse::policy {

void PolicyServices::set_worker_count(unsigned workers) {
  unsigned unset = 0;
  worker_count_.compare_exchange_strong(unset, workers);
}

unsigned PolicyServices::worker_count() const {
  const unsigned workers = worker_count_.load();
  return workers == 0 ? 1 : workers;
}

void PolicyServices::on_stop(std::function<void()> hook) {
  std::lock_guard lock(stop_mutex_);
  stop_hooks_.push_back(std::move(hook));
}

void PolicyServices::stop() {
  std::vector<std::function<void()>> hooks;
  {
    std::lock_guard lock(stop_mutex_);
    if (stopped_) return;
    stopped_ = true;
    hooks.swap(stop_hooks_);
  }
  // Outside the lock: a hook may block (it joins its service's thread), and
  // nothing it waits for may need this lock.
  for (auto it = hooks.rbegin(); it != hooks.rend(); ++it) (*it)();
}

void Activations::set(const void* key, std::function<void()> action) {
  for (auto& [k, existing] : actions_) {
    if (k != key) continue;
    existing = std::move(action);
    return;
  }
  actions_.emplace_back(key, std::move(action));
}

void Activations::run() {
  for (auto& [key, action] : actions_) action();
  actions_.clear();
}

}  // namespace gatehouse::policy
