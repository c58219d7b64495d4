#pragma once
// The admin listener: GET /healthz (the process is up), /readyz (it accepts
// traffic; 503 while draining) and /metrics (Prometheus text format).
// Runs on the control thread's io_context, apart from the workers, so a
// scrape never competes with proxied requests for a worker.

#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "proxy/admin/metrics.h"
#include "proxy/server/buffered_http_server.h"

namespace gatehouse {

class AdminServer {
 public:
  AdminServer(boost::asio::io_context& io, Metrics& metrics, std::function<bool()> ready);
  bool listen(const boost::asio::ip::tcp::endpoint& endpoint, std::string& error);
  void stop() { server_.stop(); }

 private:
  http::ServerResponse answer(const http::ServerRequest& request) const;

  Metrics& metrics_;
  std::function<bool()> ready_;
  http::BufferedHttpServer server_;
};

}  // namespace gatehouse
