#include "proxy/tls/tls_stream.h"

#include <openssl/err.h>

#include <cerrno>
#include <csignal>
#include <mutex>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

namespace gatehouse::tls {
namespace {

// OpenSSL's socket BIO writes with write(2), not send(MSG_NOSIGNAL): a peer
// that has gone away must not kill the process with SIGPIPE. The server
// ignores it at start (app.cc); this covers every other user (tests, tools).
void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

}  // namespace

TlsStream::TlsStream(boost::asio::ip::tcp::socket& socket, SSL* ssl) : socket_(socket), ssl_(ssl) {
  ignore_sigpipe_once();
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
  SSL_set_fd(ssl_, static_cast<int>(socket_.native_handle()));
  // Read whatever the socket has (up to a record buffer) in one read(),
  // not a record header and then its body in two.
  SSL_set_read_ahead(ssl_, 1);
}

TlsStream::~TlsStream() { SSL_free(ssl_); }

TlsStream::Attempt TlsStream::attempt(Op op, void* data, std::size_t size) {
  Attempt a;
  if ((op == Op::kRead || op == Op::kWrite) && size == 0) return a;
  ERR_clear_error();
  errno = 0;
  int result = 0;
  switch (op) {
    case Op::kHandshake:
      result = SSL_do_handshake(ssl_);
      break;
    case Op::kRead: {
      std::size_t n = 0;
      result = SSL_read_ex(ssl_, data, size, &n);
      a.bytes = n;
      break;
    }
    case Op::kWrite: {
      // Without SSL_MODE_ENABLE_PARTIAL_WRITE, SSL_write_ex succeeds only
      // once all of it is written, and a retry passes the same buffer.
      std::size_t n = 0;
      result = SSL_write_ex(ssl_, data, size, &n);
      a.bytes = result == 1 ? size : 0;
      break;
    }
    case Op::kShutdown:
      result = SSL_shutdown(ssl_);
      // 0: our close_notify is out, the peer's not yet read: wait for it,
      // as Asio does (callers that do not want to wait mark it received).
      if (result == 0) {
        a.want = Want::kRead;
        return a;
      }
      break;
  }
  if (result == 1) return a;
  const int error = SSL_get_error(ssl_, result);
  switch (error) {
    case SSL_ERROR_WANT_READ:
      a.want = Want::kRead;
      return a;
    case SSL_ERROR_WANT_WRITE:
      a.want = Want::kWrite;
      return a;
    case SSL_ERROR_ZERO_RETURN:
      a.ec = boost::asio::error::eof;
      return a;
    case SSL_ERROR_SYSCALL: {
      const int saved_errno = errno;
      const unsigned long queued = ERR_get_error();
      if (queued != 0) {
        a.ec = boost::system::error_code(static_cast<int>(queued), boost::asio::error::get_ssl_category());
      } else if (saved_errno != 0) {
        a.ec = boost::system::error_code(saved_errno, boost::system::system_category());
      } else if (op == Op::kHandshake && BIO_number_read(SSL_get_rbio(ssl_)) == 0) {
        a.ec = boost::asio::error::eof;  // EOF, OpenSSL 1.1 style, before a word
      } else {
        a.ec = boost::asio::ssl::error::stream_truncated;
      }
      return a;
    }
    case SSL_ERROR_SSL: {
      const unsigned long queued = ERR_get_error();
      if (ERR_GET_REASON(queued) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        // A handshake that never saw a byte: the peer left without a word.
        const bool silent = op == Op::kHandshake && BIO_number_read(SSL_get_rbio(ssl_)) == 0;
        a.ec = silent ? boost::system::error_code(boost::asio::error::eof)
                      : boost::system::error_code(boost::asio::ssl::error::stream_truncated);
      } else {
        a.ec = boost::system::error_code(static_cast<int>(queued), boost::asio::error::get_ssl_category());
      }
      return a;
    }
    default:
      a.ec = boost::asio::ssl::error::unexpected_result;
      return a;
  }
}

}  // namespace gatehouse::tls
