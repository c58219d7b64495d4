#include "policies/jwt/jwks_http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "proxy/tls/client_context.h"

namespace gatehouse::policies::jwt {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr std::uint64_t kBodyLimit = 1024 * 1024;

class JwksGet final : public std::enable_shared_from_this<JwksGet> {
 public:
  JwksGet(asio::io_context& io, const RemoteJwksSettings& settings, std::shared_ptr<const tls::ClientTlsContext> tls,
          std::function<void(JwksHttpResult)> done)
      : settings_(settings),
        tls_(std::move(tls)),
        done_(std::move(done)),
        resolver_(io),
        socket_(io.get_executor()),
        deadline_(io) {}

  void start() {
    deadline_.expires_after(settings_.fetch_timeout);
    deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled: finished in time
      self->timed_out_ = true;
      self->resolver_.cancel();
      self->close();
    });
    resolver_.async_resolve(settings_.uri.host, std::to_string(settings_.uri.port),
                            [self = shared_from_this()](const boost::system::error_code& ec,
                                                        const tcp::resolver::results_type& results) {
                              self->on_resolve(ec, results);
                            });
  }

 private:
  void on_resolve(const boost::system::error_code& ec, const tcp::resolver::results_type& results) {
    if (ec) return finish("cannot resolve " + settings_.uri.host + ": " + ec.message());
    asio::async_connect(socket_, results,
                        [self = shared_from_this()](const boost::system::error_code& e, const tcp::endpoint&) {
                          self->on_connect(e);
                        });
  }

  void on_connect(const boost::system::error_code& ec) {
    if (ec) return finish("cannot connect: " + ec.message());
    if (!settings_.uri.https) return send();
    SSL* ssl = tls_ ? tls_->new_connection(settings_.uri.host) : nullptr;
    if (ssl == nullptr) return finish("cannot set up TLS");
    // Beast reads and writes through Asio's own SSL stream here: one fetch
    // per key set refresh, far from the data plane's per-connection costs.
    tls_stream_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, ssl);
    tls_stream_->async_handshake(asio::ssl::stream_base::client,
                                   [self = shared_from_this()](const boost::system::error_code& e) {
                                     if (e) return self->finish("TLS handshake failed: " + e.message());
                                     self->send();
                                   });
  }

  template <typename F>
  void with_stream(F&& f) {
    if (tls_stream_) f(*tls_stream_);
    else f(socket_);
  }

  void send() {
    request_.method(bhttp::verb::get);
    request_.target(settings_.uri.target);
    request_.version(11);
    const bool default_port = settings_.uri.port == (settings_.uri.https ? 443 : 80);
    std::string host = settings_.uri.host.find(':') != std::string::npos ? "[" + settings_.uri.host + "]"
                                                                         : settings_.uri.host;
    if (!default_port) host += ":" + std::to_string(settings_.uri.port);
    request_.set(bhttp::field::host, host);
    request_.set(bhttp::field::accept, "application/json, application/jwk-set+json");
    request_.set(bhttp::field::user_agent, "gatehouse-jwt");
    request_.set(bhttp::field::connection, "close");
    with_stream([&](auto& s) {
      bhttp::async_write(s, request_, [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
        if (ec) return self->finish("cannot send the request: " + ec.message());
        self->receive();
      });
    });
  }

  void receive() {
    parser_.body_limit(kBodyLimit);
    with_stream([&](auto& s) {
      bhttp::async_read(s, buffer_, parser_, [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
        if (ec) return self->finish("cannot read the response: " + ec.message());
        self->finish({});
      });
    });
  }

  void finish(std::string error) {
    if (finished_) return;
    finished_ = true;
    deadline_.cancel();
    JwksHttpResult result;
    if (timed_out_) error = "timed out after " + std::to_string(settings_.fetch_timeout.count()) + "ms";
    if (error.empty()) {
      const auto& response = parser_.get();
      result.status = response.result_int();
      if (auto it = response.find(bhttp::field::cache_control); it != response.end()) {
        result.cache_control = std::string(it->value());
      }
      result.body = response.body();
      result.ok = result.status == 200;
      if (!result.ok) error = "answered " + std::to_string(result.status);
    }
    result.error = std::move(error);
    close();
    auto done = std::move(done_);
    done(std::move(result));
  }

  RemoteJwksSettings settings_;
  std::shared_ptr<const tls::ClientTlsContext> tls_;
  std::function<void(JwksHttpResult)> done_;
  tcp::resolver resolver_;
  void close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  tcp::socket socket_;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_stream_;  // https only
  asio::steady_timer deadline_;
  beast::flat_buffer buffer_;
  bhttp::request<bhttp::empty_body> request_;
  bhttp::response_parser<bhttp::string_body> parser_;
  bool timed_out_ = false;
  bool finished_ = false;
};

}  // namespace

void fetch_jwks_document(asio::io_context& io, const RemoteJwksSettings& settings,
                         std::shared_ptr<const tls::ClientTlsContext> tls, std::function<void(JwksHttpResult)> done) {
  std::make_shared<JwksGet>(io, settings, std::move(tls), std::move(done))->start();
}

}  // namespace gatehouse::policies::jwt
