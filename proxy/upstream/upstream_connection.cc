#include "proxy/upstream/upstream_connection.h"

#include <sys/socket.h>

#include <cerrno>

namespace gatehouse {

bool UpstreamConnection::idle_check_failed() noexcept {
  if (!stream_.socket().is_open() || !buffer_.empty()) return true;
  char probe;
  ssize_t n = ::recv(stream_.socket().native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return true;  // orderly close by the upstream
  if (n > 0) return true;   // bytes nobody asked for: framing is lost
  return errno != EAGAIN && errno != EWOULDBLOCK;
}

}  // namespace gatehouse
