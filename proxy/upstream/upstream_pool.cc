#include "proxy/upstream/upstream_pool.h"

namespace gatehouse {

UpstreamPool::UpstreamPool(boost::asio::any_io_executor executor, const config::UpstreamConfig& config)
    : executor_(std::move(executor)), config_(&config), targets_(config.targets.size()) {}

namespace {
constexpr std::chrono::seconds kUnprobedIdle{1};
}  // namespace

std::unique_ptr<UpstreamConnection> UpstreamPool::acquire(std::uint64_t tried, bool retryable) {
  const std::size_t n = targets_.size();
  const bool lone = n == 1;
  Clock::time_point now{};
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t t = (next_ + i) % n;
    if (t < 64 && (tried >> t) & 1U) continue;
    Target& target = targets_[t];
    if (!lone && target.down_until != Clock::time_point{}) {
      if (now == Clock::time_point{}) now = Clock::now();
      if (now < target.down_until) continue;
      target.down_until = {};
    }
    next_ = (t + 1) % n;
    while (!target.idle.empty()) {
      // Warmest first: when it has been idle a second, so have the rest
      // (left for requests that can be resent, or for the sweep).
      const bool recent = Clock::now() - target.idle.back()->idle_since < kUnprobedIdle;
      if (!retryable && !recent) break;
      std::unique_ptr<UpstreamConnection> c = std::move(target.idle.back());
      target.idle.pop_back();
      if (retryable && recent && c->socket().is_open() && c->buffer().empty()) return c;
      if (!c->idle_check_failed()) return c;
    }
    return std::make_unique<UpstreamConnection>(executor_, t);
  }
  return nullptr;
}

void UpstreamPool::release(std::unique_ptr<UpstreamConnection> connection) {
  Target& target = targets_[connection->target()];
  if (target.idle.size() >= config_->max_idle_connections) return;  // closes it
  connection->idle_since = Clock::now();
  target.idle.push_back(std::move(connection));
}

void UpstreamPool::report_connect_failure(std::size_t target) {
  if (config_->fail_timeout.count() > 0) {
    targets_[target].down_until = Clock::now() + config_->fail_timeout;
  }
}

void UpstreamPool::sweep(Clock::time_point now) {
  for (Target& target : targets_) {
    std::erase_if(target.idle, [&](const std::unique_ptr<UpstreamConnection>& c) {
      return now - c->idle_since > config_->idle_timeout || c->idle_check_failed();
    });
  }
}

}  // namespace gatehouse
