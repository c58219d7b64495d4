#pragma once
// Incremental HTTP/1.1 parsers on llhttp (compiled in strict mode).
//
// Contract: the caller feeds bytes with parse(); the parser consumes what it
// can and stops (a "pause") right after a message head and right after a
// complete message, so the caller decides when the body or the next pipelined
// message is read. Body bytes met on the way are appended to `body` as views
// into the caller's buffer, already stripped of chunked framing; they are valid
// as long as that buffer is. Errors are final: the connection must be closed
// after answering error_status().

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <llhttp.h>

#include "proxy/http/message.h"

namespace gatehouse::http {

enum class ParseStatus : std::uint8_t {
  kNeedMore,         // all input consumed, message not complete
  kHeadComplete,     // head() is ready; body (if any) not parsed yet
  kMessageComplete,  // the whole message has been parsed
  kError,            // malformed input; see error_status()/error_reason()
};

struct ParseStep {
  ParseStatus status = ParseStatus::kNeedMore;
  std::size_t consumed = 0;
};

using BodySpans = std::vector<std::string_view>;

struct RequestLimits {
  std::size_t max_head_bytes = 32 * 1024;  // request line + header section -> 431
  std::size_t max_uri_bytes = 8 * 1024;    // request-target -> 414
};

class RequestParser {
 public:
  explicit RequestParser(RequestLimits limits = {});
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  ParseStep parse(std::string_view data, BodySpans& body);

  // The head of the message being parsed; complete after kHeadComplete.
  RequestHead& head() noexcept { return head_; }
  const RequestHead& head() const noexcept { return head_; }

  // True once any byte of the current message has been seen.
  bool in_message() const noexcept { return in_message_; }

  // Meaningful after kError: 400, 414, 431 or 505.
  int error_status() const noexcept { return error_status_; }
  std::string_view error_reason() const noexcept { return error_reason_; }

 private:
  static int on_message_begin(llhttp_t*);
  static int on_url(llhttp_t*, const char*, std::size_t);
  static int on_method(llhttp_t*, const char*, std::size_t);
  static int on_header_field(llhttp_t*, const char*, std::size_t);
  static int on_header_value(llhttp_t*, const char*, std::size_t);
  static int on_headers_complete(llhttp_t*);
  static int on_body(llhttp_t*, const char*, std::size_t);
  static int on_message_complete(llhttp_t*);
  int fail(int status, const char* reason);
  bool count_head_bytes(std::size_t n);
  const char* scan_line_endings(const char* from, const char* to);

  llhttp_settings_t settings_;
  llhttp_t parser_;
  RequestLimits limits_;
  RequestHead head_;
  BodySpans* body_ = nullptr;
  std::size_t head_bytes_ = 0;
  bool in_message_ = false;
  bool in_value_ = false;
  bool head_done_ = false;
  bool message_done_ = false;
  // Our own strictness pass over the head bytes (llhttp accepts bare LF and
  // obs-fold even in strict mode): where this call's head bytes start, and
  // the line state carried across calls.
  const char* scan_from_ = nullptr;
  bool in_head_ = false;
  bool cr_pending_ = false;
  bool line_start_ = false;
  int error_status_ = 0;
  const char* error_reason_ = "";
};

class ResponseParser {
 public:
  explicit ResponseParser(std::size_t max_head_bytes = 64 * 1024);
  ResponseParser(const ResponseParser&) = delete;
  ResponseParser& operator=(const ResponseParser&) = delete;

  // Must be called before parsing each response: a response to HEAD has no
  // body whatever its headers say.
  void expect_response_to(Method request_method) noexcept { request_method_ = request_method; }

  ParseStep parse(std::string_view data, BodySpans& body);

  // The upstream closed the connection: completes a close-delimited body
  // (kMessageComplete) or reports a truncated message (kError).
  ParseStatus finish();

  ResponseHead& head() noexcept { return head_; }
  bool head_complete() const noexcept { return head_done_; }
  bool in_message() const noexcept { return in_message_; }
  std::string_view error_reason() const noexcept { return error_reason_; }

 private:
  static int on_message_begin(llhttp_t*);
  static int on_status(llhttp_t*, const char*, std::size_t);
  static int on_header_field(llhttp_t*, const char*, std::size_t);
  static int on_header_value(llhttp_t*, const char*, std::size_t);
  static int on_headers_complete(llhttp_t*);
  static int on_body(llhttp_t*, const char*, std::size_t);
  static int on_message_complete(llhttp_t*);

  llhttp_settings_t settings_;
  llhttp_t parser_;
  std::size_t max_head_bytes_;
  ResponseHead head_;
  Method request_method_ = Method::kGet;
  BodySpans* body_ = nullptr;
  std::size_t head_bytes_ = 0;
  bool in_message_ = false;
  bool in_value_ = false;
  bool head_done_ = false;
  bool message_done_ = false;
  const char* error_reason_ = "";
};

}  // namespace gatehouse::http
