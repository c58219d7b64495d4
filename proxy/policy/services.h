#pragma once
// What policies share beyond one config snapshot.
//
// Policies are rebuilt on every reload, but some of their state must not be:
// rate-limit counters, the cache store, JWKS key sets, Redis connections.
// Such state lives in a process-wide service, one instance per type, that a
// policy's factory looks up here and keeps a reference to. The Prometheus
// registry the policies' metrics go to (the one /metrics serves) lives here
// too.
//
// Lifetime: a Config holds a shared_ptr to the services its policies were
// built with, so a service outlives every policy that refers to it. The
// server passes one instance to every load; `gatehouse check` and tests get
// a fresh one per load.
//
// Threading: shared<T>() may be called from any thread (the control thread
// builds policies); a service must itself be safe for the worker threads
// that use it concurrently.
//
// Shutdown: a service that runs work of its own (a thread, timers) and hands
// completions to workers registers with on_stop() how to end that work. The
// server calls stop() once its workers have stopped and before their
// io_contexts are destroyed, so no service completion can reach a worker
// that is gone.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <type_traits>
#include <typeindex>
#include <utility>
#include <vector>

#include <prometheus/registry.h>

namespace gatehouse::policy {

class PolicyServices {
 public:
  explicit PolicyServices(std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>())
      : registry_(std::move(registry)) {}
  PolicyServices(const PolicyServices&) = delete;
  PolicyServices& operator=(const PolicyServices&) = delete;

  prometheus::Registry& metrics_registry() noexcept { return *registry_; }

  // How many worker threads serve, as the first config loaded said
  // (`workers` cannot change on reload): a service sizes its lock shards by
  // it. 1 until set; only the first call counts.
  void set_worker_count(unsigned workers);
  unsigned worker_count() const;

  // The one instance of T, created on first use from `T(PolicyServices&)`
  // when T has that constructor, else `T()`. Stable until the services die.
  template <typename T>
  T& shared() {
    std::lock_guard lock(mutex_);
    std::shared_ptr<void>& slot = services_[std::type_index(typeid(T))];
    if (!slot) {
      if constexpr (std::is_constructible_v<T, PolicyServices&>) {
        slot = std::make_shared<T>(*this);
      } else {
        slot = std::make_shared<T>();
      }
    }
    return *static_cast<T*>(slot.get());
  }

  // Registers `hook` for stop(). May be called from a service's constructor
  // (inside shared<T>()). The hook must stay valid while the services live;
  // a service capturing itself is fine, as the services own it.
  void on_stop(std::function<void()> hook);
  // Runs the hooks, newest first; later calls do nothing. Thread-safe.
  void stop();

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::mutex mutex_;
  std::map<std::type_index, std::shared_ptr<void>> services_;
  std::atomic<unsigned> worker_count_{0};  // 0: not set yet
  // Separate from mutex_: on_stop() runs inside shared<T>(), which holds it.
  std::mutex stop_mutex_;
  std::vector<std::function<void()>> stop_hooks_;
  bool stopped_ = false;
};

// Changes to process-wide state that a config's policies make only once
// that config is put in service: a rejected reload, or `gatehouse check`,
// must leave the running process as it was.
class Activations {
 public:
  // Adds `action`, or replaces the one added before under the same `key`
  // (e.g. the service it changes): of several routes' settings for one
  // service, only the last built is applied, once.
  void set(const void* key, std::function<void()> action);
  // Runs the actions, in the order their keys were first added, then
  // forgets them.
  void run();
  bool empty() const noexcept { return actions_.empty(); }

 private:
  std::vector<std::pair<const void*, std::function<void()>>> actions_;
};

// Given to a policy factory along with its options.
struct PolicyBuildContext {
  // The route the policy is built for; empty for a `defaults` entry built
  // only to validate it.
  std::string_view route_name;
  PolicyServices& services;
  // Where the factory defers such changes (e.g. resizing a shared store).
  // Null when nothing built will be put in service.
  Activations* activations = nullptr;
};

}  // namespace gatehouse::policy
