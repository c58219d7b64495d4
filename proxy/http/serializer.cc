#include "proxy/http/serializer.h"

#include <charconv>
#include <cstdint>

#include "proxy/http/message.h"

namespace gatehouse::http {
namespace {

void append_fields(std::string& out, const HeaderMap& headers) {
  for (const Header& h : headers) {
    out.append(h.name);
    out.append(": ");
    out.append(h.value);
    out.append(kCrlf);
  }
  out.append(kCrlf);
}

}  // namespace

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
