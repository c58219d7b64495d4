#pragma once
// Per-worker connections to one upstream group: round-robin target choice,
// passive failure marking, and an idle keep-alive pool per target.
//
// Contract: owned by one worker and used only on its thread (no locks).
// acquire() hands out a connection that is either open (reused from the
// pool) or closed (the caller connects it to endpoint(target)); release()
// takes it back. A target that failed to connect is skipped for
// `fail_timeout` when the group has other targets (a lone target is always
// tried, as nginx does).

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "proxy/config/config.h"
#include "proxy/upstream/upstream_connection.h"

namespace gatehouse {

class UpstreamPool {
 public:
  using Clock = std::chrono::steady_clock;

  UpstreamPool(boost::asio::any_io_executor executor, const config::UpstreamConfig& config);

  // The next usable target not in `tried` (bit i = target i already tried
  // for this request), with an idle connection when one is pooled. nullptr
  // when every untried target is marked down. `retryable`: the caller can
  // resend the request on a fresh connection if a reused one turns out
  // closed.
  //
  // A pooled connection is probed (UpstreamConnection::idle_check_failed,
  // one system call) unless `retryable` and it has been idle less than a
  // second: an upstream that closes or talks on a connection that soon is
  // rare, and under load connections are reused within microseconds. A
  // request that is not `retryable` reuses only a connection idle less than
  // a second: the probe cannot see an upstream's keep-alive timeout that
  // fires while the request is on its way (origins close idle connections
  // after 2 to 75 s), and such a request would get a 502. Past a second of
  // idleness the pool is lightly used, and a new connection costs little.
  std::unique_ptr<UpstreamConnection> acquire(std::uint64_t tried, bool retryable);

  // Returns a connection after a complete exchange that left it reusable.
  void release(std::unique_ptr<UpstreamConnection> connection);

  void report_connect_failure(std::size_t target);
  const config::Endpoint& endpoint(std::size_t target) const { return config_->targets[target].endpoint; }
  const config::UpstreamConfig& config() const noexcept { return *config_; }
  const boost::asio::any_io_executor& executor() const noexcept { return executor_; }
  std::size_t target_count() const noexcept { return targets_.size(); }

  // Closes idle connections past idle_timeout; called periodically.
  void sweep(Clock::time_point now);

 private:
  struct Target {
    std::vector<std::unique_ptr<UpstreamConnection>> idle;  // LIFO: warmest first
    Clock::time_point down_until{};
  };

  boost::asio::any_io_executor executor_;
  const config::UpstreamConfig* config_;
  std::vector<Target> targets_;
  std::size_t next_ = 0;
};

}  // namespace gatehouse
