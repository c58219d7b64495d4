#pragma once
// One accepted connection of the test upstream.
//
// Requests are handled strictly one at a time: the parser pauses after each
// message and the next one is parsed only once the current response has been
// written, which is what keeps pipelined responses in order. Every async step
// holds a shared_ptr to the session, so it lives exactly as long as some I/O
// or timer is pending.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <openssl/evp.h>

#include "examples/upstream/handlers.h"
#include "proxy/http/header_map.h"
#include "proxy/http/parser.h"

namespace upstream {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::uint64_t id, std::uint16_t port);
  void start();

 private:
  // What to do once the pending write has completed.
  enum class After : std::uint8_t { kProcess, kRespond, kFinish, kClose, kSlowNext };

  // session.cc: reading, parsing, writing, closing.
  void read_more();
  void process();
  bool begin_exchange();
  bool take_body(bool complete);
  void send(After after);
  void on_written(const error_code& ec, After after);
  void fail_request();
  void finish_exchange();
  void graceful_close();
  void drain();
  void close_now();
  void reset_now();

  // responses.cc: one function per kind of response.
  void respond();
  void start_head(int status);
  void end_head();
  void reply(int status, std::string_view content_type, std::string_view body);
  void reply_inspect();
  void reply_chunked_fill();
  void reply_headers();
  void start_streamed_echo();
  void stream_echo_spans(bool complete);
  void delay_then_reply();
  void next_slow_chunk();

  tcp::socket socket_;
  asio::steady_timer timer_;
  const std::uint64_t id_;
  const std::uint16_t port_;
  gatehouse::http::RequestParser parser_;

  std::vector<char> in_;
  std::size_t begin_ = 0;  // unparsed bytes are in_[begin_, end_)
  std::size_t end_ = 0;
  gatehouse::http::BodySpans spans_;

  // The exchange in progress.
  Route route_;
  std::uint64_t requests_ = 0;
  bool head_only_ = false;    // HEAD: same head, no body
  bool keep_alive_ = true;
  bool chunked_ok_ = true;    // HTTP/1.1; an HTTP/1.0 client gets close-delimited bodies
  bool response_started_ = false;
  bool counted_ = false;      // requests_ includes the message being parsed
  int status_ = 200;
  std::uint64_t body_length_ = 0;
  std::uint64_t slow_left_ = 0;
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> sha_{nullptr, &EVP_MD_CTX_free};
  std::string body_;   // buffered request body (/echo)
  std::string text_;   // small generated bodies (JSON)

  // Output, reused across responses so steady state allocates nothing.
  gatehouse::http::HeaderMap headers_;
  std::string out_;         // head, 100 Continue, chunk-size lines
  std::string chunk_line_;  // the size line shared by equal chunks
  std::vector<std::size_t> line_ends_;
  std::vector<asio::const_buffer> bufs_;
};

}  // namespace upstream
