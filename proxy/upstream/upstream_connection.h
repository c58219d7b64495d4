#pragma once
// One HTTP/1.1 connection to an upstream target, with its read buffer and
// response parser. Owned by exactly one party at a time: the UpstreamPool
// while idle, a request exchange while in use (std::unique_ptr hand-over).

#include <cstddef>
#include <memory>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>

#include "proxy/common/read_buffer.h"
#include "proxy/http/parser.h"
#include "proxy/tls/stream.h"

namespace gatehouse {

class UpstreamConnection {
 public:
  static constexpr std::size_t kBufferSize = 16 * 1024;

  UpstreamConnection(const boost::asio::any_io_executor& executor, std::size_t target)
      : stream_(executor), target_(target), buffer_(kBufferSize) {}

  boost::asio::ip::tcp::socket& socket() noexcept { return stream_.socket(); }
  // Reads and writes go through the stream (TLS once start_tls() ran).
  tls::Stream& stream() noexcept { return stream_; }

  http::ResponseParser& parser() noexcept { return parser_; }
  std::size_t target() const noexcept { return target_; }

  // Requests completed on this connection; > 0 means it came from the pool.
  unsigned requests_served() const noexcept { return requests_served_; }
  void count_request() noexcept { ++requests_served_; }

  // Received bytes not parsed yet, and room for the next read.
  ReadBuffer& buffer() noexcept { return buffer_; }

  // True when the peer closed or sent unsolicited bytes while idle: such a
  // connection must not be reused. Never blocks.
  bool idle_check_failed() noexcept;

  std::chrono::steady_clock::time_point idle_since;

 private:
  tls::Stream stream_;
  std::size_t target_;
  http::ResponseParser parser_;
  ReadBuffer buffer_;
  unsigned requests_served_ = 0;
};

}  // namespace gatehouse
