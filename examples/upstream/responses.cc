// The responses of each endpoint (Session members; I/O plumbing is in
// session.cc).
#include <charconv>
#include <chrono>

#include "examples/upstream/session.h"
#include "proxy/http/serializer.h"

namespace upstream {

using gatehouse::http::kCrlf;
using gatehouse::http::kLastChunk;

namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kOctets = "application/octet-stream";
constexpr std::size_t kSlowChunk = 16;
constexpr std::string_view kSlowChunkLine = "10\r\n";  // kSlowChunk in hex

// Decimal text in caller storage, so that headers cost no allocation.
struct Decimal {
  explicit Decimal(std::uint64_t n) : end(std::to_chars(digits, digits + sizeof digits, n).ptr) {}
  std::string_view view() const { return {digits, static_cast<std::size_t>(end - digits)}; }
  char digits[24];
  char* end;
};

}  // namespace

void Session::respond() {
  counted_ = false;
  out_.clear();
  switch (route_.endpoint) {
    case Endpoint::kBytes:
      start_head(200);
      headers_.add("Content-Type", kOctets);
      headers_.add("Content-Length", Decimal(route_.count).view());
      end_head();
      if (!head_only_) append_fill(bufs_, 'x', route_.count);
      return send(After::kFinish);
    case Endpoint::kInspect:
      return reply_inspect();
    case Endpoint::kEcho: {
      const std::string* type = parser_.head().headers.find("content-type");
      return reply(200, type != nullptr ? std::string_view(*type) : std::string_view(), body_);
    }
    case Endpoint::kEchoChunked:
      if (head_only_ || !chunked_ok_) return finish_exchange();
      bufs_.clear();
      bufs_.emplace_back(kLastChunk.data(), kLastChunk.size());
      return send(After::kFinish);
    case Endpoint::kChunked:
      return reply_chunked_fill();
    case Endpoint::kDelay:
      return delay_then_reply();
    case Endpoint::kStatus:
      text_ = number_json("status", route_.count);
      return reply(static_cast<int>(route_.count), kJson, text_);
    case Endpoint::kClose:
      return close_now();
    case Endpoint::kReset:
      return reset_now();
    case Endpoint::kUntilClose:
      keep_alive_ = false;
      start_head(200);
      headers_.add("Content-Type", kOctets);
      end_head();
      if (!head_only_) append_fill(bufs_, 'x', route_.size);
      return send(After::kClose);
    case Endpoint::kSlowBody:
      start_head(200);
      headers_.add("Content-Type", kOctets);
      if (chunked_ok_) headers_.add("Transfer-Encoding", "chunked");
      keep_alive_ = keep_alive_ && chunked_ok_;
      end_head();
      slow_left_ = route_.count;
      return send(head_only_ ? After::kFinish : After::kSlowNext);
    case Endpoint::kHeaders:
      return reply_headers();
    case Endpoint::kNotFound:
      text_ = error_json("not found");
      return reply(404, kJson, text_);
    case Endpoint::kBadRequest:
      text_ = error_json(route_.error);
      return reply(400, kJson, text_);
  }
}

void Session::start_head(int status) {
  status_ = status;
  headers_.clear();
  headers_.add("X-Upstream-Connection", Decimal(id_).view());
  headers_.add("X-Upstream-Request", Decimal(requests_).view());
  headers_.add("X-Upstream-Port", Decimal(port_).view());
}

// Appends the head to out_ (which may already hold a 100 Continue) and makes
// out_ the first buffer to send.
void Session::end_head() {
  if (!keep_alive_ && !headers_.contains("connection")) headers_.add("Connection", "close");
  gatehouse::http::append_response_head(out_, status_, "", headers_);
  bufs_.clear();
  bufs_.emplace_back(out_.data(), out_.size());
}

void Session::reply(int status, std::string_view content_type, std::string_view body) {
  bool bodyless = status == 204 || status == 304;
  start_head(status);
  if (!bodyless) {
    if (!content_type.empty()) headers_.add("Content-Type", content_type);
    headers_.add("Content-Length", Decimal(body.size()).view());
  }
  end_head();
  if (!head_only_ && !bodyless && !body.empty()) bufs_.emplace_back(body.data(), body.size());
  send(After::kFinish);
}

void Session::reply_inspect() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(sha_.get(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  text_ = inspect_json(parser_.head(), body_length_, hex);
  reply(200, kJson, text_);
}

void Session::reply_chunked_fill() {
  start_head(200);
  headers_.add("Content-Type", kOctets);
  if (chunked_ok_) headers_.add("Transfer-Encoding", "chunked");
  keep_alive_ = keep_alive_ && chunked_ok_;
  end_head();
  if (!head_only_) {
    chunk_line_.clear();
    gatehouse::http::append_chunk_size(chunk_line_, route_.size);
    // A zero-size chunk would end the body early; there is nothing to send.
    for (std::uint64_t i = 0; i < route_.count && route_.size > 0; ++i) {
      if (chunked_ok_) bufs_.emplace_back(chunk_line_.data(), chunk_line_.size());
      append_fill(bufs_, 'y', route_.size);
      if (chunked_ok_) bufs_.emplace_back(kCrlf.data(), kCrlf.size());
    }
    if (chunked_ok_) bufs_.emplace_back(kLastChunk.data(), kLastChunk.size());
  }
  send(After::kFinish);
}

void Session::reply_headers() {
  start_head(200);
  for (const auto& [name, value] : route_.headers) {
    headers_.add(name, value);
    if (gatehouse::http::iequals(name, "connection") &&
        gatehouse::http::list_contains_token(value, "close")) {
      keep_alive_ = false;  // we said so: keep our word
    }
  }
  headers_.add("Content-Length", "0");
  end_head();
  send(After::kFinish);
}

// Called with the head of an /echo?chunked=1 request, before its body.
void Session::start_streamed_echo() {
  const std::string* type = parser_.head().headers.find("content-type");
  start_head(200);
  if (type != nullptr) headers_.add("Content-Type", *type);
  if (chunked_ok_) headers_.add("Transfer-Encoding", "chunked");
  keep_alive_ = keep_alive_ && chunked_ok_;
  end_head();
  response_started_ = true;
}

// One chunk per body span, written straight from the read buffer (which is
// not reused until this write completes).
void Session::stream_echo_spans(bool complete) {
  out_.clear();
  line_ends_.clear();
  for (std::string_view s : spans_) {
    if (chunked_ok_ && !s.empty()) gatehouse::http::append_chunk_size(out_, s.size());
    line_ends_.push_back(out_.size());
  }
  bufs_.clear();
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < spans_.size(); ++i) {
    if (spans_[i].empty()) continue;  // an empty chunk would be the last one
    if (chunked_ok_) bufs_.emplace_back(out_.data() + line_start, line_ends_[i] - line_start);
    line_start = line_ends_[i];
    bufs_.emplace_back(spans_[i].data(), spans_[i].size());
    if (chunked_ok_) bufs_.emplace_back(kCrlf.data(), kCrlf.size());
  }
  send(complete ? After::kRespond : After::kProcess);
}

void Session::delay_then_reply() {
  timer_.expires_after(std::chrono::milliseconds(route_.count));
  timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (ec) return;  // cancelled: the session is closing
    self->text_ = number_json("delayed_ms", self->route_.count);
    self->reply(200, kJson, self->text_);
  });
}

void Session::next_slow_chunk() {
  bufs_.clear();
  if (slow_left_ == 0) {
    if (!chunked_ok_) return finish_exchange();
    bufs_.emplace_back(kLastChunk.data(), kLastChunk.size());
    return send(After::kFinish);
  }
  timer_.expires_after(std::chrono::milliseconds(route_.interval));
  timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (ec) return;
    --self->slow_left_;
    if (self->chunked_ok_) self->bufs_.emplace_back(kSlowChunkLine.data(), kSlowChunkLine.size());
    append_fill(self->bufs_, 's', kSlowChunk);
    if (self->chunked_ok_) self->bufs_.emplace_back(kCrlf.data(), kCrlf.size());
    self->send(After::kSlowNext);
  });
}

}  // namespace upstream
