#include "examples/upstream/session.h"

#include <chrono>
#include <span>

#include <boost/asio/write.hpp>

#include "proxy/tls/openssl_util.h"

namespace upstream {

using gatehouse::http::BodyFraming;
using gatehouse::http::Method;
using gatehouse::http::ParseStatus;
using gatehouse::http::ParseStep;

namespace {
constexpr std::size_t kReadBuffer = 64 * 1024;
constexpr auto kDrainTimeout = std::chrono::seconds(2);
}  // namespace

Session::Session(tcp::socket socket, std::uint64_t id, std::uint16_t port)
    : socket_(std::move(socket)), timer_(socket_.get_executor()), id_(id), port_(port), in_(kReadBuffer) {}

void Session::start() { read_more(); }

void Session::read_more() {
  // The parser consumes everything it is given unless it pauses, and we only
  // read after kNeedMore, so the buffer is empty here and can be reused whole.
  begin_ = end_ = 0;
  auto self = shared_from_this();
  socket_.async_read_some(asio::buffer(in_), [self](const error_code& ec, std::size_t n) {
    if (ec) return self->close_now();  // EOF or error: nothing more to answer
    self->end_ = n;
    self->process();
  });
}

void Session::process() {
  for (;;) {
    spans_.clear();
    ParseStep step = parser_.parse(std::string_view(in_.data() + begin_, end_ - begin_), spans_);
    begin_ += step.consumed;
    if (step.status == ParseStatus::kError) return fail_request();
    if (step.status == ParseStatus::kHeadComplete) {
      if (!begin_exchange()) return;
      continue;  // even with nothing left: a body-less message completes now
    }
    bool complete = step.status == ParseStatus::kMessageComplete;
    if (!take_body(complete)) return;
    if (complete) return respond();
    return read_more();
  }
}

// Returns false when it started a write; the write's completion resumes.
bool Session::begin_exchange() {
  const gatehouse::http::RequestHead& head = parser_.head();
  ++requests_;
  counted_ = true;
  route_ = route(head);
  head_only_ = head.method_id == Method::kHead;
  keep_alive_ = head.keep_alive && head.version_minor >= 1;
  chunked_ok_ = head.version_minor >= 1;
  response_started_ = false;
  body_length_ = 0;
  body_.clear();
  if (route_.endpoint == Endpoint::kInspect) {
    if (!sha_) sha_.reset(EVP_MD_CTX_new());
    EVP_DigestInit_ex(sha_.get(), gatehouse::tls::sha256_digest(), nullptr);
  }
  out_.clear();
  // Answer 100 only when a body is coming, as a real origin would.
  if (head.expect_continue && head.framing != BodyFraming::kNone) {
    out_.append("HTTP/1.1 100 Continue\r\n\r\n");
  }
  if (route_.endpoint == Endpoint::kEchoChunked) start_streamed_echo();
  if (out_.empty()) return true;
  bufs_.clear();
  bufs_.emplace_back(out_.data(), out_.size());
  send(After::kProcess);
  return false;
}

// Returns false when it started a write; the write's completion resumes.
bool Session::take_body(bool complete) {
  std::uint64_t received = 0;
  for (std::string_view s : spans_) received += s.size();
  body_length_ += received;
  switch (route_.endpoint) {
    case Endpoint::kInspect:
      for (std::string_view s : spans_) EVP_DigestUpdate(sha_.get(), s.data(), s.size());
      return true;
    case Endpoint::kEcho:
      for (std::string_view s : spans_) body_.append(s);
      return true;
    case Endpoint::kEchoChunked:
      if (received == 0 || head_only_) return true;
      stream_echo_spans(complete);
      return false;
    default:
      return true;  // the body is read and dropped
  }
}

void Session::send(After after) {
  // A span keeps async_write from copying the buffer vector.
  std::span<const asio::const_buffer> buffers(bufs_);
  asio::async_write(socket_, buffers, [self = shared_from_this(), after](const error_code& ec, std::size_t) {
    self->on_written(ec, after);
  });
}

void Session::on_written(const error_code& ec, After after) {
  if (ec) return close_now();
  switch (after) {
    case After::kProcess: return process();
    case After::kRespond: return respond();
    case After::kFinish: return finish_exchange();
    case After::kClose: return graceful_close();
    case After::kSlowNext: return next_slow_chunk();
  }
}

void Session::fail_request() {
  if (response_started_) return close_now();  // too late for a status
  if (!counted_) ++requests_;
  head_only_ = false;
  keep_alive_ = false;
  out_.clear();
  int status = parser_.error_status() != 0 ? parser_.error_status() : 400;
  text_ = error_json(parser_.error_reason());
  reply(status, "application/json", text_);
}

void Session::finish_exchange() {
  if (!keep_alive_) return graceful_close();
  process();  // the next pipelined request, or a read
}

// Stops sending, then drains what the client still sends so that closing
// does not turn into a reset that could destroy the response in flight.
void Session::graceful_close() {
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  timer_.expires_after(kDrainTimeout);
  timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (!ec) self->close_now();
  });
  drain();
}

void Session::drain() {
  socket_.async_read_some(asio::buffer(in_), [self = shared_from_this()](const error_code& ec, std::size_t) {
    if (ec) return self->close_now();
    self->drain();
  });
}

void Session::close_now() {
  error_code ignored;
  timer_.cancel();
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void Session::reset_now() {
  error_code ignored;
  socket_.set_option(asio::socket_base::linger(true, 0), ignored);
  timer_.cancel();
  socket_.close(ignored);
}

}  // namespace upstream
