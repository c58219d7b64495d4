#include "proxy/server/worker.h"

#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>

#include "proxy/server/downstream_connection.h"

namespace gatehouse {
namespace {

using reuse_port = boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
constexpr std::chrono::seconds kSweepInterval{2};

}  // namespace

ServingState::ServingState(boost::asio::any_io_executor executor, std::shared_ptr<const Snapshot> s)
    : snapshot(std::move(s)) {
  const auto& upstreams = snapshot->config().upstreams;
  pools.reserve(upstreams.size());
  for (const config::UpstreamConfig& upstream : upstreams) pools.emplace_back(executor, upstream);
}

Worker::Worker(unsigned index, Metrics& metrics, std::shared_ptr<const Snapshot> snapshot)
    : index_(index),
      metrics_(metrics),
      work_(io_.get_executor()),
      state_(std::make_shared<ServingState>(io_.get_executor(), std::move(snapshot))),
      sweep_timer_(io_) {}

void Worker::update(std::shared_ptr<const Snapshot> snapshot) {
  boost::asio::post(io_, [this, snapshot = std::move(snapshot)]() mutable {
    state_ = std::make_shared<ServingState>(io_.get_executor(), std::move(snapshot));
  });
}

Worker::~Worker() {
  join();
  destroying_ = true;
}

bool Worker::bind(std::string& error) {
  const auto& listeners = state_->config().listeners;
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    auto a = std::make_unique<Acceptor>(
        Acceptor{boost::asio::ip::tcp::acceptor(io_), i, boost::asio::steady_timer(io_), boost::asio::ip::tcp::endpoint()});
    boost::system::error_code ec;
    const auto& endpoint = listeners[i].address;
    a->acceptor.open(endpoint.protocol(), ec);
    if (!ec) a->acceptor.set_option(boost::asio::socket_base::reuse_address(true), ec);
    if (!ec) a->acceptor.set_option(reuse_port(true), ec);
    if (!ec) a->acceptor.bind(endpoint, ec);
    if (!ec) a->acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
    if (ec) {
      error = "listener `" + listeners[i].name + "` cannot listen on " + endpoint.address().to_string() + ":" +
              std::to_string(endpoint.port()) + ": " + ec.message();
      return false;
    }
    acceptors_.push_back(std::move(a));
  }
  return true;
}

void Worker::start() {
  for (auto& a : acceptors_) accept(*a);
  schedule_sweep();
  thread_ = std::thread([this] { io_.run(); });
}

void Worker::accept(Acceptor& a) {
  a.acceptor.async_accept(a.peer, [this, &a](const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted || draining_) return;
    if (ec) {
      // Typically out of file descriptors: back off instead of spinning.
      a.retry.expires_after(std::chrono::milliseconds(50));
      a.retry.async_wait([this, &a](const boost::system::error_code& e) {
        if (!e && !draining_) accept(a);
      });
      return;
    }
    boost::system::error_code ignored;
    socket.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
    std::make_shared<DownstreamConnection>(*this, std::move(socket), a.peer.address(), a.listener_index)->start();
    accept(a);
  });
}

void Worker::schedule_sweep() {
  sweep_timer_.expires_after(kSweepInterval);
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || draining_) return;
    auto now = UpstreamPool::Clock::now();
    for (UpstreamPool& pool : state_->pools) pool.sweep(now);
    schedule_sweep();
  });
}

void Worker::remove(DownstreamConnection* c) {
  connections_.erase(c);
  if (draining_ && !destroying_) finish_if_drained();
}

void Worker::begin_drain() {
  boost::asio::post(io_, [this] {
    draining_ = true;
    boost::system::error_code ignored;
    for (auto& a : acceptors_) {
      a->acceptor.close(ignored);
      a->retry.cancel();
    }
    sweep_timer_.cancel();
    // drain() may close (and so erase) the connection: iterate over a copy.
    std::vector<DownstreamConnection*> open(connections_.begin(), connections_.end());
    for (DownstreamConnection* c : open) {
      if (connections_.count(c) != 0) c->drain();
    }
    finish_if_drained();
  });
}

void Worker::finish_if_drained() {
  if (!connections_.empty()) return;
  for (UpstreamPool& pool : state_->pools) pool.sweep(UpstreamPool::Clock::time_point::max());
  drained_.store(true, std::memory_order_release);
  work_.reset();
}

void Worker::stop_now() {
  boost::asio::post(io_, [this] {
    draining_ = true;
    std::vector<DownstreamConnection*> open(connections_.begin(), connections_.end());
    for (DownstreamConnection* c : open) {
      if (connections_.count(c) != 0) c->abort();
    }
    io_.stop();
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace gatehouse
