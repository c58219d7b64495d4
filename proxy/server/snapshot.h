#pragma once
// Everything a worker needs to serve with one config: the config itself, the
// router over its routes, and the metric handles of each route and upstream.
// Immutable once built; shared by workers as shared_ptr<const Snapshot>. A
// request keeps the snapshot it started with.

#include <memory>
#include <vector>

#include "proxy/admin/metrics.h"
#include "proxy/config/config.h"
#include "proxy/router/router.h"

namespace gatehouse {

class Snapshot {
 public:
  // Builds on the control thread (creates metric children).
  Snapshot(std::shared_ptr<const config::Config> config, Metrics& metrics);

  const config::Config& config() const noexcept { return *config_; }
  const Router& router() const noexcept { return router_; }

  RouteMetrics& route_metrics(const config::RouteConfig& route) const {
    return *route_metrics_[static_cast<std::size_t>(&route - config_->routes.data())];
  }
  UpstreamMetrics& upstream_metrics(std::size_t upstream_index) const {
    return *upstream_metrics_[upstream_index];
  }
  // Requests that matched no route are counted under route="none".
  RouteMetrics& unmatched_metrics() const noexcept { return *unmatched_metrics_; }

 private:
  std::shared_ptr<const config::Config> config_;
  Router router_;
  std::vector<RouteMetrics*> route_metrics_;
  std::vector<UpstreamMetrics*> upstream_metrics_;
  RouteMetrics* unmatched_metrics_;
};

}  // namespace gatehouse
