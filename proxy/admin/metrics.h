#pragma once
// Gatehouse's Prometheus metrics, on a prometheus-cpp registry.
//
// Labels are route and upstream names from the config, never raw paths, so
// cardinality is bounded by the config. Metric objects are created on the
// control thread when a config is activated (RouteMetrics/UpstreamMetrics are
// looked up by name and outlive reloads); workers only increment them
// (prometheus-cpp metrics are atomic). The per-route request counters by
// method and status class are created on first use, through an atomic slot,
// so an unused combination never shows up as a zero line.

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

#include "proxy/http/message.h"

namespace gatehouse {

class Metrics;

class RouteMetrics {
 public:
  // Counts one finished request; `status` is the status sent to the client.
  void count_request(http::Method method, int status);
  void observe_duration(double seconds) { duration_->Observe(seconds); }

 private:
  friend class Metrics;
  static constexpr std::size_t kStatusClasses = 5;  // 1xx..5xx
  Metrics* owner_ = nullptr;
  std::string name_;
  prometheus::Histogram* duration_ = nullptr;
  std::array<std::atomic<prometheus::Counter*>, http::kMethodCount * kStatusClasses> requests_{};
};

struct UpstreamMetrics {
  prometheus::Histogram* duration = nullptr;
  prometheus::Counter* connect_errors = nullptr;
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

  // The Prometheus text exposition of every metric.
  std::string serialize() const;

 private:
  friend class RouteMetrics;
  prometheus::Counter* request_counter(const std::string& route, http::Method method, int status_class);

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* request_duration_;
  prometheus::Family<prometheus::Histogram>* upstream_duration_;
  prometheus::Family<prometheus::Counter>* upstream_connect_errors_;
  prometheus::Gauge* active_connections_;
  std::mutex mutex_;  // guards the maps (control thread and first-use creation)
  std::map<std::string, std::unique_ptr<RouteMetrics>> routes_;
  std::map<std::string, std::unique_ptr<UpstreamMetrics>> upstreams_;
};

}  // namespace gatehouse
