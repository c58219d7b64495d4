#include "examples/api/webhook_client.h"

#include <array>
#include <memory>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "proxy/http/parser.h"

namespace gatehouse::api {
namespace {

using tcp = boost::asio::ip::tcp;

class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(boost::asio::io_context& io, WebhookUrl url, std::string body, std::function<void(WebhookResult)> done)
      : resolver_(io), socket_(io), timer_(io), url_(std::move(url)), done_(std::move(done)) {
    std::string host = url_.host;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    if (url_.port != "80") host += ":" + url_.port;
    request_ = "POST " + url_.target + " HTTP/1.1\r\nHost: " + host +
               "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\nConnection: close\r\nUser-Agent: gatehouse-api-outbox\r\n\r\n" + body;
    parser_.expect_response_to(http::Method::kPost);
  }

  void start(std::chrono::milliseconds timeout) {
    auto self = shared_from_this();
    timer_.expires_after(timeout);
    timer_.async_wait([self](const boost::system::error_code& ec) {
      if (!ec) self->finish({0, "timed out"});
    });
    resolver_.async_resolve(url_.host, url_.port,
                            [self](const boost::system::error_code& ec, const tcp::resolver::results_type& results) {
                              if (ec) return self->finish({0, "resolve: " + ec.message()});
                              self->connect(results);
                            });
  }

 private:
  void connect(const tcp::resolver::results_type& results) {
    auto self = shared_from_this();
    boost::asio::async_connect(socket_, results, [self](const boost::system::error_code& ec, const tcp::endpoint&) {
      if (ec) return self->finish({0, "connect: " + ec.message()});
      boost::asio::async_write(self->socket_, boost::asio::buffer(self->request_),
                               [self](const boost::system::error_code& wec, std::size_t) {
                                 if (wec) return self->finish({0, "write: " + wec.message()});
                                 self->read();
                               });
    });
  }

  void read() {
    auto self = shared_from_this();
    socket_.async_read_some(boost::asio::buffer(buffer_), [self](const boost::system::error_code& ec, std::size_t n) {
      if (self->finished_) return;
      if (n > 0 && self->feed(std::string_view(self->buffer_.data(), n))) return;
      if (ec) {
        if (ec == boost::asio::error::eof && self->parser_.finish() == http::ParseStatus::kMessageComplete) {
          return self->finish({self->parser_.head().status, ""});
        }
        return self->finish({0, "read: " + (ec == boost::asio::error::eof ? std::string("connection closed before a "
                                                                                         "complete response")
                                                                           : ec.message())});
      }
      self->read();
    });
  }

  // True when the exchange finished.
  bool feed(std::string_view data) {
    while (!data.empty()) {
      http::BodySpans body;  // the body is not needed
      http::ParseStep step = parser_.parse(data, body);
      if (step.status == http::ParseStatus::kError) {
        finish({0, "bad response: " + std::string(parser_.error_reason())});
        return true;
      }
      if (step.status == http::ParseStatus::kMessageComplete) {
        finish({parser_.head().status, ""});
        return true;
      }
      if (step.status == http::ParseStatus::kNeedMore) break;
      data.remove_prefix(step.consumed);
    }
    return false;
  }

  void finish(WebhookResult result) {
    if (finished_) return;
    finished_ = true;
    boost::system::error_code ignored;
    timer_.cancel();
    resolver_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    auto done = std::move(done_);
    done(std::move(result));
  }

  tcp::resolver resolver_;
  tcp::socket socket_;
  boost::asio::steady_timer timer_;
  WebhookUrl url_;
  std::function<void(WebhookResult)> done_;
  std::string request_;
  http::ResponseParser parser_;
  std::array<char, 4096> buffer_{};
  bool finished_ = false;
};

}  // namespace

std::optional<WebhookUrl> parse_webhook_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  url.remove_prefix(kScheme.size());
  std::size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  WebhookUrl out;
  out.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else {
    std::size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return std::nullopt;
  if (port.empty()) {
    out.port = "80";
  } else {
    for (char c : port) {
      if (c < '0' || c > '9') return std::nullopt;
    }
    if (port.size() > 5) return std::nullopt;
    out.port = std::string(port);
  }
  for (char c : out.target) {
    if (c <= ' ' || c == 0x7f) return std::nullopt;
  }
  return out;
}

void post_webhook(boost::asio::io_context& io, const WebhookUrl& url, std::string body,
                  std::chrono::milliseconds timeout, std::function<void(WebhookResult)> done) {
  auto exchange = std::make_shared<Exchange>(io, url, std::move(body), std::move(done));
  exchange->start(timeout);
}

}  // namespace gatehouse::api
