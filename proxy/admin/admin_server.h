#pragma once
// The admin listener: GET /healthz (the process is up), /readyz (it accepts
// traffic; 503 while draining) and /metrics (Prometheus text format).
// Runs on the control thread's io_context, apart from the workers, so a
// scrape never competes with proxied requests for a worker.

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "proxy/admin/metrics.h"

namespace gatehouse {

class AdminServer {
 public:
  AdminServer(boost::asio::io_context& io, Metrics& metrics, std::function<bool()> ready);
  bool listen(const boost::asio::ip::tcp::endpoint& endpoint, std::string& error);
  void stop();

 private:
  void accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  Metrics& metrics_;
  std::function<bool()> ready_;
};

}  // namespace gatehouse
