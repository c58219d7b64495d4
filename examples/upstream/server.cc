#include "examples/upstream/server.h"

#include <sys/socket.h>

#include <chrono>
#include <thread>

#include <boost/asio/signal_set.hpp>

#include "examples/upstream/session.h"

namespace upstream {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

bool Server::listen(const tcp::endpoint& endpoint, unsigned threads, std::string& error) {
  tcp::endpoint where = endpoint;
  for (unsigned i = 0; i < threads; ++i) {
    auto worker = std::make_unique<Worker>();
    tcp::acceptor& a = worker->acceptor;
    error_code ec;
    a.open(where.protocol(), ec);
    if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) a.set_option(reuse_port(true), ec);
    if (!ec) a.bind(where, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      error = ec.message();
      return false;
    }
    // With port 0, the others must join the port the first one was given.
    if (i == 0) where = a.local_endpoint(ec);
    workers_.push_back(std::move(worker));
  }
  port_ = where.port();
  return true;
}

tcp::endpoint Server::local_endpoint() const {
  error_code ec;
  return workers_.front()->acceptor.local_endpoint(ec);
}

void Server::accept(Worker& worker) {
  worker.acceptor.async_accept([this, &worker](const error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      // Typically out of file descriptors: back off instead of spinning.
      worker.retry.expires_after(std::chrono::milliseconds(50));
      worker.retry.async_wait([this, &worker](const error_code& e) {
        if (!e) accept(worker);
      });
      return;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::uint64_t id = next_connection_id_.fetch_add(1, std::memory_order_relaxed);
    std::make_shared<Session>(std::move(socket), id, port_)->start();
    accept(worker);
  });
}

void Server::run() {
  asio::signal_set signals(workers_.front()->io, SIGINT, SIGTERM);
  signals.async_wait([this](const error_code& ec, int) {
    if (ec) return;
    for (auto& w : workers_) w->io.stop();
  });
  for (auto& w : workers_) accept(*w);
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < workers_.size(); ++i) {
    threads.emplace_back([&io = workers_[i]->io] { io.run(); });
  }
  workers_.front()->io.run();
  for (std::thread& t : threads) t.join();
}

}  // namespace upstream
