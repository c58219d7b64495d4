#pragma once
// Writes HTTP/1.1 message heads and chunked framing into caller-owned
// buffers (appending, so a buffer can be reused across messages).

#include <cstddef>
#include <string>
#include <string_view>

#include "proxy/http/header_map.h"
#include "proxy/http/message.h"

namespace gatehouse::http {

inline constexpr std::string_view kCrlf = "\r\n";
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// "METHOD target HTTP/1.1", the fields, and the empty line.
void append_request_head(std::string& out, std::string_view method, std::string_view target,
                         const HeaderMap& headers);

// "HTTP/1.1 status reason", the fields, and the empty line.
void append_response_head(std::string& out, int status, std::string_view reason,
                          const HeaderMap& headers);

// The size line of one chunk ("1a2\r\n"); the caller adds data then CRLF.
void append_chunk_size(std::string& out, std::size_t size);

// Frames a response whose body the gateway supplies: Content-Length set to
// `body_size`; none for 1xx and 204; a 304 keeps whatever its producer set
// (the length of the stored 200, or nothing: RFC 9110 8.6).
void set_content_length(ResponseHead& head, std::size_t body_size);

// Decimal text of n, without allocating.
void append_decimal(std::string& out, std::uint64_t n);

}  // namespace gatehouse::http
