#pragma once
// A TCP connection that may carry TLS: the one type the proxy reads from and
// writes to, client side and upstream side alike.
//
// Contract: start_tls() at most once, before any read or write; from then on
// every read and write goes through OpenSSL (TlsStream). At most one write
// and one read may be pending at a time (the proxy's structural backpressure
// already guarantees it). Gathered writes over TLS are copied into one
// buffer first, so that they go out as full records in one send().

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "proxy/tls/tls_stream.h"

namespace gatehouse::tls {

class Stream {
 public:
  explicit Stream(boost::asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}
  explicit Stream(const boost::asio::any_io_executor& executor) : socket_(executor) {}

  boost::asio::ip::tcp::socket& socket() noexcept { return socket_; }
  bool is_tls() const noexcept { return tls_ != nullptr; }
  // Null for a plain connection.
  TlsStream* tls() noexcept { return tls_.get(); }
  SSL* ssl() noexcept { return tls_ ? tls_->native_handle() : nullptr; }

  // Takes ownership of `ssl` (from SSL_new); the handshake is the caller's.
  void start_tls(SSL* ssl) { tls_ = std::make_unique<TlsStream>(socket_, ssl); }

  // Over TLS only the first buffer of the sequence is filled (the proxy
  // always reads into one).
  template <typename MutableBuffers, typename Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    if (tls_) {
      const boost::asio::mutable_buffer first = *boost::asio::buffer_sequence_begin(buffers);
      tls_->async_read_some(first.data(), first.size(), std::forward<Handler>(handler));
    } else {
      socket_.async_read_some(buffers, std::forward<Handler>(handler));
    }
  }

  // Writes all of `buffers`; the handler gets (error, bytes written). It
  // runs later, never within this call, as with any asynchronous operation.
  template <typename ConstBuffers, typename Handler>
  void async_write(const ConstBuffers& buffers, Handler&& handler) {
    if (!tls_) {
      write_plain(buffers, std::forward<Handler>(handler));
      return;
    }
    auto begin = boost::asio::buffer_sequence_begin(buffers);
    auto end = boost::asio::buffer_sequence_end(buffers);
    if (begin != end && std::next(begin) == end) {
      const boost::asio::const_buffer only = *begin;
      tls_->async_write_all(only.data(), only.size(), std::forward<Handler>(handler));
      return;
    }
    staging_.resize(boost::asio::buffer_size(buffers));
    boost::asio::buffer_copy(boost::asio::buffer(staging_), buffers);
    tls_->async_write_all(staging_.data(), staging_.size(), std::forward<Handler>(handler));
  }

  // One send() of `buffers` on a plain connection, never waiting: the bytes
  // the socket took (all, some, or none with would_block in `ec`), or 0 and
  // the error. Over TLS it sends nothing and returns 0 with no error.
  template <typename ConstBuffers>
  std::size_t send_now(const ConstBuffers& buffers, boost::system::error_code& ec) {
    ec.clear();
    if (tls_) return 0;
    // Sends that would block must say so instead: set once, the first time.
    if (!socket_.non_blocking()) socket_.non_blocking(true, ec);
    return ec ? 0 : socket_.send(buffers, 0, ec);
  }

  // async_write() of what follows the first `offset` bytes of `buffers`
  // (what send_now() took), waiting for the socket to take more (no second
  // send() first: the last one found it full); the handler's count includes
  // the offset.
  template <typename ConstBuffers, typename Handler>
  void async_write_after(const ConstBuffers& buffers, std::size_t offset, Handler&& handler) {
    if (tls_) {
      async_write(buffers, std::forward<Handler>(handler));  // send_now() sent nothing
      return;
    }
    if (offset == 0) {
      boost::asio::async_write(socket_, buffers, std::forward<Handler>(handler));
      return;
    }
    // The unsent rest; the write keeps its own copy of the sequence.
    std::vector<boost::asio::const_buffer> rest;
    std::size_t skip = offset;
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers);
         ++it) {
      boost::asio::const_buffer b = *it;
      if (skip >= b.size()) {
        skip -= b.size();
        continue;
      }
      rest.push_back(b + skip);
      skip = 0;
    }
    boost::asio::async_write(socket_, std::move(rest),
                             [h = std::forward<Handler>(handler), offset](const boost::system::error_code& error,
                                                                          std::size_t n) mutable { h(error, offset + n); });
  }

  // Closes the TCP connection (no TLS close_notify: like nginx's lingering
  // close, the framing already told the client where the response ends).
  void close() noexcept {
    // No shutdown() first: close() alone sends the FIN (or the RST that
    // unread input calls for), one system call fewer per connection.
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

 private:
  // One send() now, as Asio's own first attempt would make; what it took in
  // full completes through a plain post, the rest (a full socket buffer)
  // through boost::asio::async_write. Asio's composed write costs a
  // response several hundred instructions more than this for the same
  // system call, and most responses fit in the socket buffer at once.
  template <typename ConstBuffers, typename Handler>
  void write_plain(const ConstBuffers& buffers, Handler&& handler) {
    boost::system::error_code ec;
    const std::size_t sent = send_now(buffers, ec);
    if (ec && ec != boost::asio::error::would_block) {
      boost::asio::post(socket_.get_executor(),
                        [h = std::forward<Handler>(handler), ec]() mutable { h(ec, std::size_t{0}); });
      return;
    }
    if (sent == boost::asio::buffer_size(buffers)) {
      boost::asio::post(socket_.get_executor(), [h = std::forward<Handler>(handler), sent]() mutable {
        h(boost::system::error_code(), sent);
      });
      return;
    }
    async_write_after(buffers, sent, std::forward<Handler>(handler));
  }

  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsStream> tls_;
  std::string staging_;
};

}  // namespace gatehouse::tls
