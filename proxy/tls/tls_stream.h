#pragma once
// TLS over a connected TCP socket with OpenSSL reading and writing the socket
// itself (SSL_set_fd), driven by Asio's readiness waits: the way nginx does
// it. Asio's own ssl::stream interposes a memory BIO pair and two 17 KiB
// record buffers per connection, zeroed when the connection starts and copied
// through on every read and write; a proxy that opens a TLS connection per
// request pays that on every handshake.
//
// Contract:
// - Owns the SSL (from SSL_new); borrows the socket, which must outlive it
//   and stay open while an operation is pending. The socket is put in
//   non-blocking mode.
// - The operations mirror Asio's: async_handshake(type, void(ec)),
//   async_read_some(buffer, void(ec, n)), async_write_all(data, size,
//   void(ec, n)) and async_shutdown(void(ec)). At most one read and one write
//   (or one handshake, or one shutdown) may be pending at a time. A handler
//   never runs inside the call that started its operation; it runs on the
//   socket's executor.
// - Errors as Asio's SSL stream reports them, so callers need not know which
//   is underneath: OpenSSL failures in boost::asio::error::get_ssl_category()
//   with the ERR_get_error() code; a close_notify received → eof; the peer's
//   TCP close without one → ssl::error::stream_truncated (eof while the
//   handshake has not started: the peer left without a word); socket
//   errors as system errors.
// - Closing the socket cancels a pending operation: its handler gets
//   operation_aborted without this object being touched, so the owner may
//   destroy the stream once the cancelled handlers have run.

#include <openssl/ssl.h>

#include <cstddef>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/system/error_code.hpp>

namespace gatehouse::tls {

class TlsStream {
 public:
  TlsStream(boost::asio::ip::tcp::socket& socket, SSL* ssl);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  SSL* native_handle() noexcept { return ssl_; }

  template <typename Handler>
  void async_handshake(boost::asio::ssl::stream_base::handshake_type type, Handler&& handler) {
    if (type == boost::asio::ssl::stream_base::client) {
      SSL_set_connect_state(ssl_);
    } else {
      SSL_set_accept_state(ssl_);
    }
    step(Op::kHandshake, nullptr, 0,
         [h = std::forward<Handler>(handler)](const boost::system::error_code& ec, std::size_t) mutable { h(ec); },
         true);
  }

  template <typename Handler>
  void async_read_some(void* data, std::size_t size, Handler&& handler) {
    step(Op::kRead, data, size, std::forward<Handler>(handler), true);
  }

  // Writes all `size` bytes (several records when it must); the data must
  // stay valid and unchanged until the handler runs.
  template <typename Handler>
  void async_write_all(const void* data, std::size_t size, Handler&& handler) {
    step(Op::kWrite, const_cast<void*>(data), size, std::forward<Handler>(handler), true);
  }

  template <typename Handler>
  void async_shutdown(Handler&& handler) {
    step(Op::kShutdown, nullptr, 0,
         [h = std::forward<Handler>(handler)](const boost::system::error_code& ec, std::size_t) mutable { h(ec); },
         true);
  }

 private:
  enum class Op { kHandshake, kRead, kWrite, kShutdown };
  enum class Want { kNothing, kRead, kWrite };
  struct Attempt {
    Want want = Want::kNothing;
    boost::system::error_code ec;
    std::size_t bytes = 0;
  };

  // One try of `op` on the socket; never blocks.
  Attempt attempt(Op op, void* data, std::size_t size);

  template <typename Handler>
  void step(Op op, void* data, std::size_t size, Handler&& handler, bool initiating) {
    Attempt a = attempt(op, data, size);
    if (a.want != Want::kNothing) {
      socket_.async_wait(a.want == Want::kRead ? boost::asio::socket_base::wait_read
                                               : boost::asio::socket_base::wait_write,
                         [this, op, data, size, h = std::forward<Handler>(handler)](
                             const boost::system::error_code& ec) mutable {
                           if (ec) {
                             h(ec, std::size_t{0});  // cancelled: `this` may be gone
                             return;
                           }
                           step(op, data, size, std::move(h), false);
                         });
      return;
    }
    if (initiating) {
      boost::asio::post(socket_.get_executor(),
                        [h = std::forward<Handler>(handler), ec = a.ec, n = a.bytes]() mutable { h(ec, n); });
      return;
    }
    handler(a.ec, a.bytes);
  }

  boost::asio::ip::tcp::socket& socket_;
  SSL* ssl_;
};

}  // namespace gatehouse::tls
