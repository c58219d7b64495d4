#pragma once
// Parsed HTTP/1.x message heads, shared by the server and client codecs.

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/http/header_map.h"

namespace gatehouse::http {

// Methods the router and metrics know by name; everything else is kOther.
enum class Method : std::uint8_t {
  kGet, kHead, kPost, kPut, kDelete, kPatch, kOptions, kConnect, kTrace, kOther
};
inline constexpr std::size_t kMethodCount = 10;

// RFC 9110 §9.2.1: GET, HEAD, OPTIONS and TRACE are safe (read-only).
constexpr bool is_safe_method(Method m) noexcept {
  return m == Method::kGet || m == Method::kHead || m == Method::kOptions || m == Method::kTrace;
}

// RFC 9110 §9.2.2: the safe methods, PUT and DELETE are idempotent (sent
// twice, they mean what they mean once), so a lost attempt may be resent.
constexpr bool is_idempotent_method(Method m) noexcept {
  return is_safe_method(m) || m == Method::kPut || m == Method::kDelete;
}

Method method_from_string(std::string_view name) noexcept;
std::string_view method_label(Method m) noexcept;  // "GET", ..., "OTHER"

// How a message body is delimited on the wire (RFC 9112 §6).
enum class BodyFraming : std::uint8_t {
  kNone,           // no body
  kContentLength,  // exactly content_length bytes
  kChunked,        // chunked transfer coding
  kUntilClose,     // response body delimited by connection close
};

struct RequestHead {
  std::string method;       // as sent, e.g. "GET"
  Method method_id = Method::kOther;
  std::string target;       // request-target as sent
  unsigned version_minor = 1;
  HeaderMap headers;
  bool keep_alive = true;   // per the version and Connection header
  BodyFraming framing = BodyFraming::kNone;
  std::uint64_t content_length = 0;
  bool expect_continue = false;

  // The path of an origin-form or absolute-form target, without the query.
  std::string_view path() const noexcept;
  // The query without '?', or empty.
  std::string_view query() const noexcept;
  // The path and query (origin-form), whatever form the target had.
  std::string_view origin_form() const noexcept;

  void clear() noexcept;
};

struct ResponseHead {
  int status = 200;
  std::string reason;
  unsigned version_minor = 1;
  HeaderMap headers;
  bool keep_alive = true;
  BodyFraming framing = BodyFraming::kNone;
  std::uint64_t content_length = 0;

  void clear() noexcept;
};

// RFC 9110 §6.4.1: these never carry content, whatever the headers say.
inline bool status_forbids_body(int status) noexcept {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

// The canonical reason phrase, or "Unknown".
std::string_view reason_phrase(int status) noexcept;

}  // namespace gatehouse::http
