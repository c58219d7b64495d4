#include "proxy/http/parser.h"

#include <cstring>

namespace gatehouse::http {
namespace {

// Bytes a header line costs on the wire beyond its name and value (": ", CRLF).
constexpr std::size_t kHeaderLineOverhead = 4;

void trim_trailing_ows(std::string& s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
}

template <typename Parser>
Parser* self(llhttp_t* p) {
  return static_cast<Parser*>(p->data);
}

}  // namespace

// ---------------------------------------------------------------- requests

RequestParser::RequestParser(RequestLimits limits) : limits_(limits) {
  llhttp_settings_init(&settings_);
  settings_.on_message_begin = &RequestParser::on_message_begin;
  settings_.on_url = &RequestParser::on_url;
  settings_.on_method = &RequestParser::on_method;
  settings_.on_header_field = &RequestParser::on_header_field;
  settings_.on_header_value = &RequestParser::on_header_value;
  settings_.on_headers_complete = &RequestParser::on_headers_complete;
  settings_.on_body = &RequestParser::on_body;
  settings_.on_message_complete = &RequestParser::on_message_complete;
  llhttp_init(&parser_, HTTP_REQUEST, &settings_);
  parser_.data = this;
}

ParseStep RequestParser::parse(std::string_view data, BodySpans& body) {
  if (error_status_ != 0) return {ParseStatus::kError, 0};
  // Upgrades are not proxied (yet): once an Upgrade or CONNECT request is
  // complete (and reported once), what follows is another protocol. It is
  // swallowed; keep_alive was cleared, so the connection closes after the
  // response.
  if (llhttp_get_errno(&parser_) == HPE_PAUSED_UPGRADE) return {ParseStatus::kNeedMore, data.size()};
  body_ = &body;
  head_done_ = false;
  message_done_ = false;
  scan_from_ = in_head_ ? data.data() : nullptr;
  llhttp_errno_t err = llhttp_execute(&parser_, data.data(), data.size());
  body_ = nullptr;
  const char* stop = err == HPE_OK ? data.data() + data.size() : llhttp_get_error_pos(&parser_);
  std::size_t consumed = static_cast<std::size_t>(stop - data.data());
  if (scan_from_ != nullptr && error_status_ == 0) {
    if (const char* why = scan_line_endings(scan_from_, stop)) {
      fail(400, why);
      return {ParseStatus::kError, consumed};
    }
  }
  if (err == HPE_OK) return {ParseStatus::kNeedMore, data.size()};
  if (err == HPE_PAUSED) {
    llhttp_resume(&parser_);
    return {message_done_ ? ParseStatus::kMessageComplete : ParseStatus::kHeadComplete, consumed};
  }
  if (err == HPE_PAUSED_UPGRADE) return {ParseStatus::kNeedMore, data.size()};
  if (error_status_ == 0) {
    error_status_ = 400;
    error_reason_ = llhttp_get_error_reason(&parser_);
  }
  return {ParseStatus::kError, consumed};
}

int RequestParser::fail(int status, const char* reason) {
  error_status_ = status;
  error_reason_ = reason;
  return HPE_USER;
}

bool RequestParser::count_head_bytes(std::size_t n) {
  head_bytes_ += n;
  return head_bytes_ <= limits_.max_head_bytes;
}

// RFC 9112 lets a recipient accept bare LF and unfold obs-fold; a proxy must
// not, since the next hop may frame the message differently (smuggling).
// Returns why the head is rejected, or nullptr.
const char* RequestParser::scan_line_endings(const char* from, const char* to) {
  // A line at a time, with memchr() finding its LF and any CR before it:
  // every CR must be the one just before an LF, every LF must follow a CR,
  // and no line after the first may start with SP or HTAB. The state left
  // between calls: a CR at the end of the last piece, or a line that
  // starts at the beginning of this one.
  const char* c = from;
  if (c != to && cr_pending_) {
    if (*c != '\n') return "bare CR in request head";
    cr_pending_ = false;
    line_start_ = true;
    ++c;
  }
  while (c != to) {
    if (line_start_ && (*c == ' ' || *c == '\t')) return "obsolete line folding in request head";
    line_start_ = false;
    const auto* lf = static_cast<const char*>(std::memchr(c, '\n', static_cast<std::size_t>(to - c)));
    const char* line_end = lf != nullptr ? lf : to;
    const auto* cr = static_cast<const char*>(std::memchr(c, '\r', static_cast<std::size_t>(line_end - c)));
    if (lf == nullptr) {
      // The line goes on in the next piece: a CR here may only be its last byte.
      if (cr != nullptr && cr != to - 1) return "bare CR in request head";
      cr_pending_ = cr != nullptr;
      return nullptr;
    }
    if (cr == nullptr) return "bare LF in request head";
    if (cr != lf - 1) return "bare CR in request head";
    c = lf + 1;
    line_start_ = true;
  }
  return nullptr;
}

int RequestParser::on_message_begin(llhttp_t* p) {
  RequestParser* s = self<RequestParser>(p);
  s->head_.clear();
  s->head_bytes_ = 0;
  s->in_message_ = true;
  s->in_value_ = true;  // the next field starts a new header
  return 0;
}

int RequestParser::on_method(llhttp_t* p, const char* at, std::size_t n) {
  RequestParser* s = self<RequestParser>(p);
  if (s->head_.method.empty()) {
    // The head starts here (llhttp skips empty lines before it).
    s->scan_from_ = at;
    s->in_head_ = true;
    s->cr_pending_ = false;
    s->line_start_ = false;
  }
  if (!s->count_head_bytes(n)) return s->fail(431, "request header section too large");
  s->head_.method.append(at, n);
  return 0;
}

int RequestParser::on_url(llhttp_t* p, const char* at, std::size_t n) {
  RequestParser* s = self<RequestParser>(p);
  if (s->head_.target.size() + n > s->limits_.max_uri_bytes) return s->fail(414, "request-target too long");
  if (!s->count_head_bytes(n)) return s->fail(431, "request header section too large");
  s->head_.target.append(at, n);
  return 0;
}

int RequestParser::on_header_field(llhttp_t* p, const char* at, std::size_t n) {
  RequestParser* s = self<RequestParser>(p);
  if (!s->count_head_bytes(n + (s->in_value_ ? kHeaderLineOverhead : 0))) {
    return s->fail(431, "request header section too large");
  }
  // Trailers are counted against the limit but dropped: merging them would
  // change a head the caller already acted on (and may hold references into).
  if (p->flags & F_TRAILING) return 0;
  if (s->in_value_) {
    s->head_.headers.add_empty();
    s->in_value_ = false;
  }
  s->head_.headers[s->head_.headers.size() - 1].name.append(at, n);
  return 0;
}

int RequestParser::on_header_value(llhttp_t* p, const char* at, std::size_t n) {
  RequestParser* s = self<RequestParser>(p);
  if (!s->count_head_bytes(n)) return s->fail(431, "request header section too large");
  s->in_value_ = true;
  if (p->flags & F_TRAILING) return 0;
  s->head_.headers[s->head_.headers.size() - 1].value.append(at, n);
  return 0;
}

int RequestParser::on_headers_complete(llhttp_t* p) {
  RequestParser* s = self<RequestParser>(p);
  RequestHead& h = s->head_;
  s->in_head_ = false;
  if (p->http_major != 1) return s->fail(505, "unsupported HTTP version");
  h.version_minor = p->http_minor;
  h.method_id = method_from_string(h.method);
  std::size_t hosts = 0;
  for (Header& field : h.headers) {
    if (field.name.empty()) return s->fail(400, "empty header name");
    trim_trailing_ows(field.value);
    if (iequals(field.name, "host")) ++hosts;
  }
  if (hosts > 1) return s->fail(400, "more than one Host header");
  if (hosts == 0 && h.version_minor >= 1) return s->fail(400, "missing Host header");
  if (p->flags & F_CHUNKED) {
    h.framing = BodyFraming::kChunked;
  } else if (p->flags & F_CONTENT_LENGTH) {
    h.framing = p->content_length > 0 ? BodyFraming::kContentLength : BodyFraming::kNone;
    h.content_length = p->content_length;
  } else {
    h.framing = BodyFraming::kNone;
  }
  h.keep_alive = llhttp_should_keep_alive(p) != 0 && p->upgrade == 0;
  if (h.version_minor >= 1) {
    const std::string* expect = h.headers.find("expect");
    if (expect != nullptr) {
      if (!iequals(*expect, "100-continue")) return s->fail(417, "unsupported Expect");
      h.expect_continue = true;
    }
  }
  s->head_done_ = true;
  return HPE_PAUSED;
}

int RequestParser::on_body(llhttp_t* p, const char* at, std::size_t n) {
  RequestParser* s = self<RequestParser>(p);
  // llhttp flushes an open body span at the end of every execute, even an
  // empty one (feeding the empty remainder after a pause does that).
  if (n == 0) return 0;
  if (n != 0) s->body_->emplace_back(at, n);  // llhttp reports empty pieces mid-body
  return 0;
}

int RequestParser::on_message_complete(llhttp_t* p) {
  RequestParser* s = self<RequestParser>(p);
  s->message_done_ = true;
  s->in_message_ = false;
  return HPE_PAUSED;
}

// --------------------------------------------------------------- responses

ResponseParser::ResponseParser(std::size_t max_head_bytes) : max_head_bytes_(max_head_bytes) {
  llhttp_settings_init(&settings_);
  settings_.on_message_begin = &ResponseParser::on_message_begin;
  settings_.on_status = &ResponseParser::on_status;
  settings_.on_header_field = &ResponseParser::on_header_field;
  settings_.on_header_value = &ResponseParser::on_header_value;
  settings_.on_headers_complete = &ResponseParser::on_headers_complete;
  settings_.on_body = &ResponseParser::on_body;
  settings_.on_message_complete = &ResponseParser::on_message_complete;
  llhttp_init(&parser_, HTTP_RESPONSE, &settings_);
  parser_.data = this;
}

ParseStep ResponseParser::parse(std::string_view data, BodySpans& body) {
  // A lingering llhttp error would come back with the error position of an
  // older buffer.
  llhttp_errno_t before = llhttp_get_errno(&parser_);
  if (before == HPE_PAUSED_UPGRADE) return {ParseStatus::kNeedMore, data.size()};
  if (before != HPE_OK) return {ParseStatus::kError, 0};
  body_ = &body;
  message_done_ = false;
  llhttp_errno_t err = llhttp_execute(&parser_, data.data(), data.size());
  body_ = nullptr;
  if (err == HPE_OK) return {ParseStatus::kNeedMore, data.size()};
  std::size_t consumed = static_cast<std::size_t>(llhttp_get_error_pos(&parser_) - data.data());
  if (err == HPE_PAUSED) {
    llhttp_resume(&parser_);
    return {message_done_ ? ParseStatus::kMessageComplete : ParseStatus::kHeadComplete, consumed};
  }
  // After a 101 (reported complete already) the bytes are another protocol.
  if (err == HPE_PAUSED_UPGRADE) return {ParseStatus::kNeedMore, data.size()};
  if (*error_reason_ == '\0') error_reason_ = llhttp_get_error_reason(&parser_);
  return {ParseStatus::kError, consumed};
}

ParseStatus ResponseParser::finish() {
  // Between messages a close is clean; llhttp would still be in the state it
  // paused in after the last message and call it truncated.
  if (!in_message_) return ParseStatus::kNeedMore;
  message_done_ = false;
  llhttp_errno_t err = llhttp_finish(&parser_);
  if (message_done_ || err == HPE_PAUSED) return ParseStatus::kMessageComplete;
  if (err != HPE_OK) {
    error_reason_ = "upstream closed the connection mid-response";
    return ParseStatus::kError;
  }
  return in_message_ ? ParseStatus::kError : ParseStatus::kNeedMore;
}

int ResponseParser::on_message_begin(llhttp_t* p) {
  ResponseParser* s = self<ResponseParser>(p);
  s->head_.clear();
  s->head_bytes_ = 0;
  s->in_message_ = true;
  s->in_value_ = true;
  s->head_done_ = false;
  return 0;
}

int ResponseParser::on_status(llhttp_t* p, const char* at, std::size_t n) {
  ResponseParser* s = self<ResponseParser>(p);
  s->head_.reason.append(at, n);
  return 0;
}

int ResponseParser::on_header_field(llhttp_t* p, const char* at, std::size_t n) {
  ResponseParser* s = self<ResponseParser>(p);
  s->head_bytes_ += n + kHeaderLineOverhead;
  if (s->head_bytes_ > s->max_head_bytes_) {
    s->error_reason_ = "upstream response header section too large";
    return HPE_USER;
  }
  if (p->flags & F_TRAILING) return 0;  // trailers are dropped, as for requests
  if (s->in_value_) {
    s->head_.headers.add_empty();
    s->in_value_ = false;
  }
  s->head_.headers[s->head_.headers.size() - 1].name.append(at, n);
  return 0;
}

int ResponseParser::on_header_value(llhttp_t* p, const char* at, std::size_t n) {
  ResponseParser* s = self<ResponseParser>(p);
  s->head_bytes_ += n;
  if (s->head_bytes_ > s->max_head_bytes_) {
    s->error_reason_ = "upstream response header section too large";
    return HPE_USER;
  }
  s->in_value_ = true;
  if (p->flags & F_TRAILING) return 0;
  s->head_.headers[s->head_.headers.size() - 1].value.append(at, n);
  return 0;
}

int ResponseParser::on_headers_complete(llhttp_t* p) {
  ResponseParser* s = self<ResponseParser>(p);
  ResponseHead& h = s->head_;
  h.status = p->status_code;
  h.version_minor = p->http_minor;
  for (Header& field : h.headers) trim_trailing_ows(field.value);
  bool no_body = s->request_method_ == Method::kHead || status_forbids_body(h.status);
  // llhttp only skips the body of 1xx/204/304 when there are no framing
  // headers, and a response to HEAD only when told; returning 1 would skip
  // the pause, so the flag is set directly (it is what returning 1 does).
  if (no_body) {
    p->flags |= F_SKIPBODY;
    h.framing = BodyFraming::kNone;
  } else if (p->flags & F_CHUNKED) {
    h.framing = BodyFraming::kChunked;
  } else if (p->flags & F_CONTENT_LENGTH) {
    h.framing = p->content_length > 0 ? BodyFraming::kContentLength : BodyFraming::kNone;
    h.content_length = p->content_length;
  } else {
    h.framing = BodyFraming::kUntilClose;
  }
  h.keep_alive = llhttp_should_keep_alive(p) != 0 && h.framing != BodyFraming::kUntilClose;
  s->head_done_ = true;
  return HPE_PAUSED;
}

int ResponseParser::on_body(llhttp_t* p, const char* at, std::size_t n) {
  ResponseParser* s = self<ResponseParser>(p);
  if (n == 0) return 0;  // see RequestParser::on_body
  if (n != 0) s->body_->emplace_back(at, n);  // llhttp reports empty pieces mid-body
  return 0;
}

int ResponseParser::on_message_complete(llhttp_t* p) {
  ResponseParser* s = self<ResponseParser>(p);
  s->message_done_ = true;
  s->in_message_ = false;
  return HPE_PAUSED;
}

}  // namespace gatehouse::http
