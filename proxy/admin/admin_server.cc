#include "proxy/admin/admin_server.h"

#include "proxy/admin/admin_routes.h"
#include "proxy/admin/scrape_hooks.h"

namespace gatehouse {
namespace {

http::ServerResponse text(int status, std::string_view content_type, std::string body) {
  http::ServerResponse r;
  r.status = status;
  r.headers.add("Content-Type", content_type);
  r.body = std::move(body);
  return r;
}

http::BufferedServerOptions admin_options() {
  http::BufferedServerOptions options;
  options.max_body_size = 0;  // admin requests carry no body
  return options;
}

}  // namespace

AdminServer::AdminServer(boost::asio::io_context& io, Metrics& metrics, std::function<bool()> ready,
                         policy::PolicyServices* services)
    : metrics_(metrics),
      ready_(std::move(ready)),
      services_(services),
      server_(io, [this](http::ServerRequest& request, http::Respond respond) { respond(answer(request)); },
              admin_options()) {}

bool AdminServer::listen(const boost::asio::ip::tcp::endpoint& endpoint, std::string& error) {
  if (server_.listen(endpoint, error)) return true;
  error = "admin " + error;
  return false;
}

http::ServerResponse AdminServer::answer(const http::ServerRequest& request) const {
  const http::RequestHead& head = request.head;
  if (services_ != nullptr) {
    if (std::optional<http::ServerResponse> r = services_->shared<AdminRoutes>().answer(request)) return std::move(*r);
  }
  if (head.method_id != http::Method::kGet && head.method_id != http::Method::kHead) {
    http::ServerResponse r = http::json_error_response(405, "the admin endpoints answer GET and HEAD");
    r.headers.add("Allow", "GET, HEAD");
    return r;
  }
  std::string_view path = head.path();
  if (path == "/healthz") return text(200, "text/plain", "ok\n");
  if (path == "/readyz") {
    bool ready = ready_();
    return text(ready ? 200 : 503, "text/plain", ready ? "ready\n" : "draining\n");
  }
  if (path == "/metrics") {
    if (services_ != nullptr) services_->shared<ScrapeHooks>().run();
    return text(200, "text/plain; version=0.0.4; charset=utf-8", metrics_.serialize());
  }
  return http::json_error_response(404, "unknown admin path");
}

}  // namespace gatehouse
