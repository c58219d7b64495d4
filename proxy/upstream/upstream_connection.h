#pragma once
// One HTTP/1.1 connection to an upstream target, with its read buffer and
// response parser. Owned by exactly one party at a time: the UpstreamPool
// while idle, a request exchange while in use (std::unique_ptr hand-over).

#include <cstddef>
#include <memory>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>

#include "proxy/http/parser.h"

namespace gatehouse {

class UpstreamConnection {
 public:
  static constexpr std::size_t kBufferSize = 16 * 1024;

  UpstreamConnection(const boost::asio::any_io_executor& executor, std::size_t target)
      : socket_(executor), target_(target), buffer_(new char[kBufferSize]) {}

  boost::asio::ip::tcp::socket& socket() noexcept { return socket_; }
  http::ResponseParser& parser() noexcept { return parser_; }
  std::size_t target() const noexcept { return target_; }

  // Requests completed on this connection; > 0 means it came from the pool.
  unsigned requests_served() const noexcept { return requests_served_; }
  void count_request() noexcept { ++requests_served_; }

  // Unparsed received bytes, and the free space after them.
  std::string_view pending() const noexcept { return {buffer_.get() + begin_, end_ - begin_}; }
  void consume(std::size_t n) noexcept { begin_ += n; }
  char* free_space() noexcept { return buffer_.get() + end_; }
  std::size_t free_size() const noexcept { return kBufferSize - end_; }
  void commit(std::size_t n) noexcept { end_ += n; }
  // Drops consumed bytes; views into pending() taken before become invalid.
  void compact() noexcept;

  // True when the peer closed or sent unsolicited bytes while idle: such a
  // connection must not be reused. Never blocks.
  bool idle_check_failed() noexcept;

  std::chrono::steady_clock::time_point idle_since;

 private:
  boost::asio::ip::tcp::socket socket_;
  std::size_t target_;
  http::ResponseParser parser_;
  std::unique_ptr<char[]> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  unsigned requests_served_ = 0;
};

}  // namespace gatehouse
