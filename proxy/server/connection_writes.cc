// Writes of DownstreamConnection, to the client and to the upstream, and
// their completion (see FinishedWrites and HandlerScope).
#include "proxy/server/downstream_connection.h"

namespace gatehouse {

void DownstreamConnection::write(tls::Stream& stream, std::span<const boost::asio::const_buffer> buffers,
                                 FinishedWrite done) {
  // Made only for a write that waits: the handler's shared_ptr costs two
  // atomic operations.
  auto handler = [this, done] {
    return [self = shared_from_this(), done](const boost::system::error_code& ec, std::size_t n) mutable {
      done.ec = ec;
      done.bytes = n;
      self->on_write_done(done);
    };
  };
  if (handler_depth_ == 0 || finished_writes_.full() || stream.is_tls()) {
    stream.async_write(buffers, handler());
    return;
  }
  boost::system::error_code ec;
  const std::size_t sent = stream.send_now(buffers, ec);
  if (!ec && sent == boost::asio::buffer_size(buffers)) {
    done.bytes = sent;
    finished_writes_.push(done);
    return;
  }
  if (ec && ec != boost::asio::error::would_block) {
    done.ec = ec;
    finished_writes_.push(done);
    return;
  }
  stream.async_write_after(buffers, sent, handler());
}

void DownstreamConnection::complete_finished_writes() {
  // A completion may start another write that finishes at once: it joins
  // the queue (this scope is still the outermost) and runs in this loop.
  while (!finished_writes_.empty()) on_write_done(finished_writes_.pop());
}

void DownstreamConnection::on_write_done(const FinishedWrite& done) {
  HandlerScope scope(*this);
  switch (done.kind) {
    case FinishedWrite::Kind::kLocalReply:
      bytes_sent_ += done.bytes;
      if (state_ == State::kClosed) return;
      if (done.ec) {
        close();
        return;
      }
      on_response_sent();
      return;
    case FinishedWrite::Kind::kClientResponse:
      bytes_sent_ += done.bytes;
      on_client_written(done.ec);
      return;
    case FinishedWrite::Kind::kUpstreamRequest:
      if (done.attempt != upstream_attempt_) return;
      on_upstream_written(done.ec, done.request_complete);
      return;
  }
}

}  // namespace gatehouse
