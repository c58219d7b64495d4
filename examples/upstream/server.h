#pragma once
// Accepts connections on N io_contexts, one thread each, every one with its
// own SO_REUSEPORT acceptor on the same address: the kernel spreads the
// connections and no state is shared between threads but the connection ids.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

namespace upstream {

class Server {
 public:
  // Binds every acceptor; on failure returns false and says why.
  bool listen(const boost::asio::ip::tcp::endpoint& endpoint, unsigned threads, std::string& error);

  // The bound address (the real port when 0 was asked for).
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  // Serves until SIGINT or SIGTERM.
  void run();

 private:
  struct Worker {
    boost::asio::io_context io{1};
    boost::asio::ip::tcp::acceptor acceptor{io};
    boost::asio::steady_timer retry{io};
  };

  void accept(Worker& worker);

  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<std::uint64_t> next_connection_id_{1};
  std::uint16_t port_ = 0;
};

}  // namespace upstream
