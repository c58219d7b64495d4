#pragma once
// An HTTP/1.1 server for small request/response services: the admin
// listener and the sample API (examples/api). Unlike the proxy path, a
// request's body is read whole (up to a limit) before the handler runs and a
// response is written whole. Same codec as the proxy: keep-alive, pipelined
// requests answered in order, the same 400/408/413/414/431 rules.
//
// Contract: the handler runs on the server's io_context thread and must call
// `respond` exactly once, from that thread, possibly later (after its own
// async work); until then the connection reads nothing more. A handler may
// instead hand the connection over (`upgrade`), e.g. for a WebSocket: the
// server then forgets the socket.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proxy/http/header_map.h"
#include "proxy/http/message.h"
#include "proxy/http/parser.h"

namespace gatehouse::http {

struct ServerRequest {
  RequestHead head;
  std::string body;
  boost::asio::ip::address peer;
};

struct ServerResponse {
  int status = 200;
  HeaderMap headers;  // Content-Length and Connection are set by the server
  std::string body;
  // Set to take the connection over instead of sending this response: it
  // receives the socket and any bytes already read after the request.
  std::function<void(boost::asio::ip::tcp::socket, std::string)> upgrade;
};

using Respond = std::function<void(ServerResponse)>;
using RequestHandler = std::function<void(ServerRequest& request, Respond respond)>;

struct BufferedServerOptions {
  RequestLimits limits;
  std::uint64_t max_body_size = 1024 * 1024;  // larger -> 413
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
};

class BufferedHttpServer {
 public:
  BufferedHttpServer(boost::asio::io_context& io, RequestHandler handler, BufferedServerOptions options = {});
  ~BufferedHttpServer();
  BufferedHttpServer(const BufferedHttpServer&) = delete;
  BufferedHttpServer& operator=(const BufferedHttpServer&) = delete;

  bool listen(const boost::asio::ip::tcp::endpoint& endpoint, std::string& error);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  // Stops accepting; open connections finish their current exchange.
  void stop();

 private:
  void accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_;
  std::shared_ptr<const RequestHandler> handler_;
  BufferedServerOptions options_;
};

// The JSON error body Gatehouse uses, as a complete response.
ServerResponse json_error_response(int status, std::string_view message, std::string_view request_id = {});

}  // namespace gatehouse::http
