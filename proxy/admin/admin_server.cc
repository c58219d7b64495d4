#include "proxy/admin/admin_server.h"

#include <boost/asio/write.hpp>

#include "proxy/http/error_response.h"
#include "proxy/http/parser.h"
#include "proxy/http/serializer.h"

namespace gatehouse {
namespace {

// One admin connection: keep-alive, one request at a time, small bodies.
class AdminSession : public std::enable_shared_from_this<AdminSession> {
 public:
  AdminSession(boost::asio::ip::tcp::socket socket, Metrics& metrics, const std::function<bool()>& ready)
      : socket_(std::move(socket)), metrics_(metrics), ready_(ready) {}

  void read() {
    socket_.async_read_some(boost::asio::buffer(buffer_),
                            [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                              if (ec) return;
                              self->pending_.append(self->buffer_, n);
                              self->parse();
                            });
  }

 private:
  void parse() {
    http::BodySpans body;
    for (;;) {
      http::ParseStep step = parser_.parse(pending_, body);
      pending_.erase(0, step.consumed);
      switch (step.status) {
        case http::ParseStatus::kNeedMore: read(); return;
        case http::ParseStatus::kHeadComplete:
          if (parser_.head().framing != http::BodyFraming::kNone) {
            respond(400, "application/json", http::json_error_body("bad_request", "admin requests take no body", ""), false);
            return;
          }
          continue;
        case http::ParseStatus::kMessageComplete: answer(); return;
        case http::ParseStatus::kError:
          respond(parser_.error_status(), "application/json",
                  http::json_error_body(http::error_code_for_status(parser_.error_status()), parser_.error_reason(), ""),
                  false);
          return;
      }
    }
  }

  void answer() {
    const http::RequestHead& head = parser_.head();
    bool keep_alive = head.keep_alive;
    std::string_view path = head.path();
    if (head.method_id != http::Method::kGet && head.method_id != http::Method::kHead) {
      respond(405, "application/json", http::json_error_body("method_not_allowed", "use GET", ""), keep_alive);
    } else if (path == "/healthz") {
      respond(200, "text/plain", "ok\n", keep_alive);
    } else if (path == "/readyz") {
      bool ready = ready_();
      respond(ready ? 200 : 503, "text/plain", ready ? "ready\n" : "draining\n", keep_alive);
    } else if (path == "/metrics") {
      respond(200, "text/plain; version=0.0.4; charset=utf-8", metrics_.serialize(), keep_alive);
    } else {
      respond(404, "application/json", http::json_error_body("not_found", "unknown admin path", ""), keep_alive);
    }
  }

  void respond(int status, std::string_view type, std::string body, bool keep_alive) {
    http::HeaderMap headers;
    headers.add("Content-Type", type);
    std::string length;
    http::append_decimal(length, body.size());
    headers.add("Content-Length", length);
    if (!keep_alive) headers.add("Connection", "close");
    out_.clear();
    http::append_response_head(out_, status, {}, headers);
    if (parser_.head().method_id != http::Method::kHead) out_.append(body);
    boost::asio::async_write(socket_, boost::asio::buffer(out_),
                             [self = shared_from_this(), keep_alive](const boost::system::error_code& ec, std::size_t) {
                               if (ec || !keep_alive) {
                                 boost::system::error_code ignored;
                                 self->socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
                                 return;
                               }
                               self->parse();
                             });
  }

  boost::asio::ip::tcp::socket socket_;
  Metrics& metrics_;
  const std::function<bool()>& ready_;
  http::RequestParser parser_;
  char buffer_[4096];
  std::string pending_;
  std::string out_;
};

}  // namespace

AdminServer::AdminServer(boost::asio::io_context& io, Metrics& metrics, std::function<bool()> ready)
    : acceptor_(io), metrics_(metrics), ready_(std::move(ready)) {}

bool AdminServer::listen(const boost::asio::ip::tcp::endpoint& endpoint, std::string& error) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(boost::asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error = "admin cannot listen on " + endpoint.address().to_string() + ":" + std::to_string(endpoint.port()) +
            ": " + ec.message();
    return false;
  }
  accept();
  return true;
}

void AdminServer::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

void AdminServer::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted) return;
    if (!ec) std::make_shared<AdminSession>(std::move(socket), metrics_, ready_)->read();
    accept();
  });
}

}  // namespace gatehouse
