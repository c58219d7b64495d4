#pragma once
// Gatehouse's Prometheus metrics, on a prometheus-cpp registry.
//
// Labels are route and upstream names from the config, never raw paths, so
// cardinality is bounded by the config. Metric objects are created on the
// control thread when a config is activated (RouteMetrics/UpstreamMetrics are
// looked up by name and outlive reloads). What workers update on every
// request (request counts, request and upstream durations) they update in
// worker-local slots (worker_local_metrics.h), which serialize() adds into
// the Prometheus metrics before it writes them: no lock and no shared cache
// line per request, exact figures per scrape. The per-route request counters
// by method and status class are created on first use, through an atomic
// slot, so an unused combination never shows up as a zero line.

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "proxy/admin/worker_local_metrics.h"
#include "proxy/http/message.h"

namespace gatehouse {

class Metrics;

class RouteMetrics {
 public:
  // Counts one finished request; `status` is the status sent to the client.
  void count_request(http::Method method, int status);
  void observe_duration(double seconds) { duration_->observe(seconds); }

 private:
  friend class Metrics;
  static constexpr std::size_t kStatusClasses = 5;  // 1xx..5xx
  Metrics* owner_ = nullptr;
  std::string name_;
  // Owned by Metrics (worker_local_), which publishes them.
  WorkerLocalHistogram* duration_ = nullptr;
  std::array<std::atomic<WorkerLocalCounter*>, http::kMethodCount * kStatusClasses> requests_{};
};

struct UpstreamMetrics {
  WorkerLocalHistogram* duration = nullptr;       // owned by Metrics
  prometheus::Counter* connect_errors = nullptr;  // rare: counted in place
};

class Metrics {
 public:
  Metrics();

  // Stable for the life of the Metrics object. Control thread only.
  RouteMetrics& route(const std::string& name);
  UpstreamMetrics& upstream(const std::string& name);

  prometheus::Gauge& active_connections() { return *active_connections_; }
  // The registry behind serialize(), for metrics defined elsewhere (policies).
  const std::shared_ptr<prometheus::Registry>& registry() const noexcept { return registry_; }

  // The Prometheus text exposition of every metric, after adding what the
  // workers counted since the last call (one caller at a time is enough;
  // concurrent calls are serialised). Series labelled with a route that no
  // activated config has served (route() was never called for it) are left
  // out, whoever registered them.
  std::string serialize();

 private:
  friend class RouteMetrics;
  WorkerLocalCounter* request_counter(const std::string& route, http::Method method, int status_class);

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* request_duration_;
  prometheus::Family<prometheus::Histogram>* upstream_duration_;
  prometheus::Family<prometheus::Counter>* upstream_connect_errors_;
  prometheus::Gauge* active_connections_;
  std::mutex mutex_;  // guards the maps (control thread)
  std::map<std::string, std::unique_ptr<RouteMetrics>> routes_;
  std::map<std::string, std::unique_ptr<UpstreamMetrics>> upstreams_;
  WorkerLocalSet worker_local_;
};

}  // namespace gatehouse
