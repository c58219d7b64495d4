#pragma once
// Writes a connection's socket took whole at once, waiting to be completed.
//
// A DownstreamConnection completes such a write when the handler that
// started it returns (HandlerScope in downstream_connection.h), not through
// the io_context's queue, where each completion costs two more mutex round
// trips and a pass of the event loop. FinishedWrites is the short queue they
// wait in: first in, first out, and bounded (at most one write per stream is
// ever pending, so two are queued at most; a full queue makes the caller
// fall back to an ordinary asynchronous write).

#include <array>
#include <cstddef>
#include <cstdint>

#include <boost/system/error_code.hpp>

namespace gatehouse {

// What to do once a write is over: the continuation its asynchronous
// handler would run, with the handler's arguments.
struct FinishedWrite {
  enum class Kind : std::uint8_t {
    kLocalReply,       // a response the gateway made: the exchange is over
    kClientResponse,   // (part of) a proxied response went to the client
    kUpstreamRequest,  // (part of) the request went upstream
  };
  Kind kind = Kind::kLocalReply;
  bool request_complete = false;  // kUpstreamRequest: these were its last bytes
  std::uint64_t attempt = 0;      // kUpstreamRequest: the upstream attempt it belongs to
  std::size_t bytes = 0;
  boost::system::error_code ec;

  static FinishedWrite local_reply() noexcept { return with_kind(Kind::kLocalReply); }
  static FinishedWrite client_response() noexcept { return with_kind(Kind::kClientResponse); }
  static FinishedWrite upstream_request(bool request_complete, std::uint64_t attempt) noexcept {
    FinishedWrite w = with_kind(Kind::kUpstreamRequest);
    w.request_complete = request_complete;
    w.attempt = attempt;
    return w;
  }

 private:
  static FinishedWrite with_kind(Kind kind) noexcept {
    FinishedWrite w;
    w.kind = kind;
    return w;
  }
};

class FinishedWrites {
 public:
  static constexpr std::size_t kCapacity = 4;

  bool empty() const noexcept { return size_ == 0; }
  bool full() const noexcept { return size_ == kCapacity; }
  // Precondition: !full().
  void push(const FinishedWrite& write) noexcept {
    ring_[(head_ + size_) % kCapacity] = write;
    ++size_;
  }
  // The oldest; precondition: !empty().
  FinishedWrite pop() noexcept {
    const FinishedWrite write = ring_[head_];
    head_ = (head_ + 1) % kCapacity;
    --size_;
    return write;
  }

 private:
  std::array<FinishedWrite, kCapacity> ring_{};
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace gatehouse
