#pragma once
// One worker thread: its own io_context, its own SO_REUSEPORT acceptor per
// listener, its own upstream pools. A connection accepted here lives here, so
// the request path takes no locks.
//
// Threading: bind() runs on the control thread before start(); post_*()
// and the public stop/drain calls are thread-safe (they post to the worker);
// the accessors used by connections are worker-thread only.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proxy/admin/metrics.h"
#include "proxy/common/request_id.h"
#include "proxy/server/snapshot.h"
#include "proxy/upstream/upstream_pool.h"

namespace gatehouse {

class DownstreamConnection;

// What a worker serves with: a config snapshot and the upstream pools built
// for it. Requests hold it by shared_ptr, so after a reload the requests in
// flight finish with the pools (and indexes) of the config they started with;
// the old pools close their idle connections when the last such request ends.
struct ServingState {
  ServingState(boost::asio::any_io_executor executor, std::shared_ptr<const Snapshot> snapshot);
  UpstreamPool& pool(std::size_t upstream_index) { return pools[upstream_index]; }
  const config::Config& config() const noexcept { return snapshot->config(); }

  std::shared_ptr<const Snapshot> snapshot;
  std::vector<UpstreamPool> pools;  // by Config::upstreams index
};

class Worker {
 public:
  Worker(unsigned index, Metrics& metrics, std::shared_ptr<const Snapshot> snapshot);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Opens this worker's acceptor on every listener address. Control thread.
  bool bind(std::string& error);
  void start();
  // Serve new requests with `snapshot` from now on. The listeners and worker
  // count must be those of the running config (checked by the caller).
  void update(std::shared_ptr<const Snapshot> snapshot);
  // Stop accepting; close idle connections; the thread ends when the last
  // connection has finished its response.
  void begin_drain();
  // Close every connection now and end the thread.
  void stop_now();
  void join();
  // True once the thread has no connections left after begin_drain().
  bool drained() const noexcept { return drained_.load(std::memory_order_acquire); }

  // --- worker thread only ---
  boost::asio::io_context& io() noexcept { return io_; }
  const std::shared_ptr<ServingState>& state() const noexcept { return state_; }
  RequestIdGenerator& request_ids() noexcept { return request_ids_; }
  Metrics& metrics() noexcept { return metrics_; }
  bool draining() const noexcept { return draining_; }
  void add(DownstreamConnection* c) { connections_.insert(c); }
  void remove(DownstreamConnection* c);

 private:
  struct Acceptor {
    boost::asio::ip::tcp::acceptor acceptor;
    std::size_t listener_index;
    boost::asio::steady_timer retry;  // back-off after an accept error
    boost::asio::ip::tcp::endpoint peer;  // filled by accept(), saving a getpeername() per connection
  };
  void accept(Acceptor& a);
  void schedule_sweep();
  void finish_if_drained();

  // Declaration order matters for destruction: the io_context outlives the
  // sockets and timers that use it, and is destroyed (destroying the
  // connections its pending handlers own) while connections_ still exists.
  unsigned index_;
  Metrics& metrics_;
  std::unordered_set<DownstreamConnection*> connections_;
  bool draining_ = false;
  bool destroying_ = false;
  std::atomic<bool> drained_{false};
  // Scheduler locking stays (other threads post drain and reload work), but
  // sockets are only ever touched by this thread, so their locks go.
  boost::asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::shared_ptr<ServingState> state_;
  std::vector<std::unique_ptr<Acceptor>> acceptors_;
  boost::asio::steady_timer sweep_timer_;
  RequestIdGenerator request_ids_;
  std::thread thread_;
};

}  // namespace gatehouse
