#include "proxy/admin/metrics.h"

#include <vector>

#include <prometheus/text_serializer.h>

namespace gatehouse {
namespace {

const prometheus::Histogram::BucketBoundaries& latency_buckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return kBuckets;
}

}  // namespace

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  requests_ = &prometheus::BuildCounter()
                   .Name("gatehouse_requests_total")
                   .Help("Requests answered, by route, method and status class")
                   .Register(*registry_);
  request_duration_ = &prometheus::BuildHistogram()
                           .Name("gatehouse_request_duration_seconds")
                           .Help("Time from the request head to the last response byte, by route")
                           .Register(*registry_);
  upstream_duration_ = &prometheus::BuildHistogram()
                            .Name("gatehouse_upstream_duration_seconds")
                            .Help("Time from choosing an upstream connection to the last response byte")
                            .Register(*registry_);
  upstream_connect_errors_ = &prometheus::BuildCounter()
                                  .Name("gatehouse_upstream_connect_errors_total")
                                  .Help("Failed or timed-out connection attempts to upstream targets")
                                  .Register(*registry_);
  active_connections_ = &prometheus::BuildGauge()
                             .Name("gatehouse_active_connections")
                             .Help("Open client connections")
                             .Register(*registry_)
                             .Add({});
}

RouteMetrics& Metrics::route(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto& slot = routes_[name];
  if (!slot) {
    slot = std::make_unique<RouteMetrics>();
    slot->owner_ = this;
    slot->name_ = name;
    slot->duration_ =
        &worker_local_.histogram(request_duration_->Add({{"route", name}}, latency_buckets()), latency_buckets());
  }
  return *slot;
}

UpstreamMetrics& Metrics::upstream(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto& slot = upstreams_[name];
  if (!slot) {
    slot = std::make_unique<UpstreamMetrics>();
    slot->duration =
        &worker_local_.histogram(upstream_duration_->Add({{"upstream", name}}, latency_buckets()), latency_buckets());
    slot->connect_errors = &upstream_connect_errors_->Add({{"upstream", name}});
  }
  return *slot;
}

WorkerLocalCounter* Metrics::request_counter(const std::string& route, http::Method method, int status_class) {
  static constexpr const char* kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  // Family::Add returns the existing child for labels it already has, so
  // racing first uses agree on one counter, and on its worker-local one.
  return &worker_local_.counter(requests_->Add({{"route", route},
                                                {"method", std::string(http::method_label(method))},
                                                {"status_class", kClasses[status_class]}}));
}

void RouteMetrics::count_request(http::Method method, int status) {
  int status_class = status / 100 - 1;
  if (status_class < 0 || status_class >= static_cast<int>(kStatusClasses)) status_class = 4;
  auto& slot = requests_[static_cast<std::size_t>(method) * kStatusClasses + status_class];
  WorkerLocalCounter* counter = slot.load(std::memory_order_acquire);
  if (counter == nullptr) {
    counter = owner_->request_counter(name_, method, status_class);
    slot.store(counter, std::memory_order_release);
  }
  counter->add();
}

std::string Metrics::serialize() {
  worker_local_.publish();
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  {
    // Policies make their route's series when they are built, and a reload
    // builds every route before it is accepted or rejected: a route that
    // was never served (only in a rejected file) must not show up.
    std::lock_guard lock(mutex_);
    for (prometheus::MetricFamily& family : families) {
      std::erase_if(family.metric, [this](const prometheus::ClientMetric& metric) {
        for (const prometheus::ClientMetric::Label& label : metric.label) {
          if (label.name == "route") return !routes_.contains(label.value);
        }
        return false;
      });
    }
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace gatehouse
