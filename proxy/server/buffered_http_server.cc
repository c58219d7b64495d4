#include "proxy/server/buffered_http_server.h"

#include <boost/asio/write.hpp>

#include "proxy/common/read_buffer.h"
#include "proxy/http/error_response.h"
#include "proxy/http/http_date.h"
#include "proxy/http/serializer.h"

namespace gatehouse::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// One connection: read a whole request, hand it to the handler, write the
// whole response, repeat. Holds itself alive through its pending handlers.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<const RequestHandler> handler, const BufferedServerOptions& options)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        handler_(std::move(handler)),
        options_(options),
        parser_(options.limits),
        in_(16 * 1024) {
    error_code ec;
    request_.peer = socket_.remote_endpoint(ec).address();
  }

  void start() {
    arm(options_.header_timeout);
    read();
  }

 private:
  void arm(std::chrono::milliseconds timeout) {
    timer_.expires_after(timeout);
    timer_.async_wait([weak = weak_from_this()](const error_code& ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->on_timeout();
    });
  }

  void on_timeout() {
    if (busy_) return;  // the handler or a write is in progress
    if (parser_.in_message()) {
      fail(408, "request header not received in time");
    } else {
      close();
    }
  }

  void read() {
    in_.compact();
    socket_.async_read_some(asio::buffer(in_.free_space(), in_.free_size()),
                            [self = shared_from_this()](const error_code& ec, std::size_t n) {
                              if (ec) return self->close();
                              self->in_.commit(n);
                              self->parse();
                            });
  }

  void parse() {
    for (;;) {
      spans_.clear();
      ParseStep step = parser_.parse(in_.pending(), spans_);
      in_.consume(step.consumed);
      for (std::string_view s : spans_) request_.body.append(s);
      if (request_.body.size() > options_.max_body_size) return fail(413, "request body too large");
      switch (step.status) {
        case ParseStatus::kNeedMore:
          in_.clear();
          return read();
        case ParseStatus::kHeadComplete:
          if (parser_.head().framing == BodyFraming::kContentLength &&
              parser_.head().content_length > options_.max_body_size) {
            return fail(413, "request body too large");
          }
          if (parser_.head().expect_continue && parser_.head().framing != BodyFraming::kNone) {
            return send_continue();
          }
          continue;
        case ParseStatus::kMessageComplete:
          return dispatch();
        case ParseStatus::kError:
          return fail(parser_.error_status(), parser_.error_reason());
      }
    }
  }

  void send_continue() {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    asio::async_write(socket_, asio::buffer(kContinue), [self = shared_from_this()](const error_code& ec, std::size_t) {
      if (ec) return self->close();
      self->parse();
    });
  }

  void dispatch() {
    busy_ = true;
    request_.head = parser_.head();
    keep_alive_ = request_.head.keep_alive;
    auto self = shared_from_this();
    (*handler_)(request_, [self](ServerResponse response) { self->write(std::move(response)); });
  }

  void fail(int status, std::string_view message) {
    busy_ = true;
    keep_alive_ = false;
    write(json_error_response(status, message));
  }

  void write(ServerResponse response) {
    if (closed_) return;
    if (response.upgrade) {
      timer_.cancel();
      std::string rest(in_.pending());
      closed_ = true;
      response.upgrade(std::move(socket_), std::move(rest));
      return;
    }
    std::string length;
    append_decimal(length, response.body.size());
    response.headers.set("Content-Length", length);
    add_date_if_missing(response.headers);
    if (!keep_alive_) {
      response.headers.set("Connection", "close");
    } else if (request_.head.version_minor == 0) {
      response.headers.set("Connection", "keep-alive");
    }
    out_.clear();
    append_response_head(out_, response.status, {}, response.headers);
    if (request_.head.method_id != Method::kHead) out_.append(response.body);
    asio::async_write(socket_, asio::buffer(out_), [self = shared_from_this()](const error_code& ec, std::size_t) {
      if (ec || !self->keep_alive_) return self->close();
      self->next();
    });
  }

  void next() {
    busy_ = false;
    request_.body.clear();
    arm(options_.idle_timeout);
    if (!in_.empty()) return parse();  // pipelined
    in_.clear();
    read();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  std::shared_ptr<const RequestHandler> handler_;
  BufferedServerOptions options_;  // a copy: sessions may outlive the server
  RequestParser parser_;
  ReadBuffer in_;
  BodySpans spans_;
  ServerRequest request_;
  std::string out_;
  bool keep_alive_ = true;
  bool busy_ = false;
  bool closed_ = false;
};

}  // namespace

BufferedHttpServer::BufferedHttpServer(boost::asio::io_context& io, RequestHandler handler,
                                       BufferedServerOptions options)
    : acceptor_(io),
      accept_retry_(io),
      handler_(std::make_shared<const RequestHandler>(std::move(handler))),
      options_(std::move(options)) {}

BufferedHttpServer::~BufferedHttpServer() { stop(); }

bool BufferedHttpServer::listen(const tcp::endpoint& endpoint, std::string& error) {
  error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error = "cannot listen on " + endpoint.address().to_string() + ":" + std::to_string(endpoint.port()) + ": " +
            ec.message();
    return false;
  }
  accept();
  return true;
}

tcp::endpoint BufferedHttpServer::local_endpoint() const {
  error_code ec;
  return acceptor_.local_endpoint(ec);
}

void BufferedHttpServer::stop() {
  error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
}

void BufferedHttpServer::accept() {
  acceptor_.async_accept([this](const error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      // Typically out of file descriptors: back off instead of spinning.
      accept_retry_.expires_after(std::chrono::milliseconds(50));
      accept_retry_.async_wait([this](const error_code& e) {
        if (!e) accept();
      });
      return;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::make_shared<Session>(std::move(socket), handler_, options_)->start();
    accept();
  });
}

ServerResponse json_error_response(int status, std::string_view message, std::string_view request_id) {
  ServerResponse r;
  r.status = status;
  r.headers.add("Content-Type", "application/json");
  r.body = json_error_body(error_code_for_status(status), message, request_id);
  return r;
}

}  // namespace gatehouse::http
