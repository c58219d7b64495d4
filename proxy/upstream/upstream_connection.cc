#include "proxy/upstream/upstream_connection.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace gatehouse {

void UpstreamConnection::compact() noexcept {
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (begin_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
}

bool UpstreamConnection::idle_check_failed() noexcept {
  if (!socket_.is_open() || begin_ != end_) return true;
  char probe;
  ssize_t n = ::recv(socket_.native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return true;  // orderly close by the upstream
  if (n > 0) return true;   // bytes nobody asked for: framing is lost
  return errno != EAGAIN && errno != EWOULDBLOCK;
}

}  // namespace gatehouse
