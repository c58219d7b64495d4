#include "proxy/server/snapshot.h"

namespace gatehouse {

Snapshot::Snapshot(std::shared_ptr<const config::Config> config, Metrics& metrics)
    : config_(std::move(config)), router_(config_->routes), unmatched_metrics_(&metrics.route("none")) {
  for (const config::RouteConfig& route : config_->routes) route_metrics_.push_back(&metrics.route(route.name));
  for (const config::UpstreamConfig& upstream : config_->upstreams) {
    upstream_metrics_.push_back(&metrics.upstream(upstream.name));
  }
}

}  // namespace gatehouse
