#pragma once
// The admin listener: GET /healthz (the process is up), /readyz (it accepts
// traffic; 503 while draining) and /metrics (Prometheus text format).
// Paths that policies registered in AdminRoutes (e.g. /cache/...) are
// answered by them, whatever the method.
// Runs on the control thread's io_context, apart from the workers, so a
// scrape never competes with proxied requests for a worker.

#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "proxy/admin/metrics.h"
#include "proxy/policy/services.h"
#include "proxy/server/buffered_http_server.h"

namespace gatehouse {

class AdminServer {
 public:
  // `services` (may be null) gives the policies' AdminRoutes.
  AdminServer(boost::asio::io_context& io, Metrics& metrics, std::function<bool()> ready,
              policy::PolicyServices* services = nullptr);
  bool listen(const boost::asio::ip::tcp::endpoint& endpoint, std::string& error);
  void stop() { server_.stop(); }

 private:
  http::ServerResponse answer(const http::ServerRequest& request) const;

  Metrics& metrics_;
  std::function<bool()> ready_;
  policy::PolicyServices* services_;
  http::BufferedHttpServer server_;
};

}  // namespace gatehouse
