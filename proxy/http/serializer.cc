#include "proxy/http/serializer.h"

#include <charconv>
#include <cstring>
#include <cstdint>

#include "proxy/http/message.h"

namespace gatehouse::http {
namespace {

// One resize and plain copies: heads are written for every proxied message,
// and per-piece append() calls cost more than the bytes they copy.
void append_fields(std::string& out, const HeaderMap& headers) {
  std::size_t total = kCrlf.size();
  for (const Header& h : headers) total += h.name.size() + h.value.size() + 4;
  std::size_t at = out.size();
  out.resize(at + total);
  char* p = out.data() + at;
  for (const Header& h : headers) {
    std::memcpy(p, h.name.data(), h.name.size());
    p += h.name.size();
    *p++ = ':';
    *p++ = ' ';
    std::memcpy(p, h.value.data(), h.value.size());
    p += h.value.size();
    *p++ = '\r';
    *p++ = '\n';
  }
  *p++ = '\r';
  *p = '\n';
}

}  // namespace

void set_content_length(ResponseHead& head, std::size_t body_size) {
  if (head.status < 200 || head.status == 204) {
    head.headers.remove("content-length");
    return;
  }
  if (head.status == 304) return;
  std::string length;
  append_decimal(length, body_size);
  head.headers.set("Content-Length", length);
}

void append_decimal(std::string& out, std::uint64_t n) {
  char digits[24];
  auto r = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, r.ptr);
}

void append_request_head(std::string& out, std::string_view method, std::string_view target,
                         const HeaderMap& headers) {
  out.append(method);
  out.push_back(' ');
  out.append(target);
  out.append(" HTTP/1.1\r\n");
  append_fields(out, headers);
}

void append_response_head(std::string& out, int status, std::string_view reason,
                          const HeaderMap& headers) {
  out.append("HTTP/1.1 ");
  append_decimal(out, static_cast<std::uint64_t>(status));
  out.push_back(' ');
  out.append(reason.empty() ? reason_phrase(status) : reason);
  out.append(kCrlf);
  append_fields(out, headers);
}

void append_chunk_size(std::string& out, std::size_t size) {
  char digits[20];
  auto r = std::to_chars(digits, digits + sizeof digits, size, 16);
  out.append(digits, r.ptr);
  out.append(kCrlf);
}

}  // namespace gatehouse::http
