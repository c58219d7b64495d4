#pragma once
// Endpoint routing and the pure parts of building responses (no I/O).
//
// Endpoints (any method unless noted; a HEAD request gets the same head
// without the body):
//   /bytes/N               N bytes of 'x' (N <= 64 MiB), Content-Length
//   /inspect               JSON description of the request and its body
//   /echo[?chunked=1]      the request body back (chunked: streamed)
//   /chunked?n=K&size=S    K chunks of S bytes of 'y' (defaults 4 and 1024)
//   /delay/MS              {"delayed_ms":MS} after MS ms (MS <= 600000)
//   /status/N              status N (200..599), {"status":N} unless 204/304
//   /close                 closes without answering
//   /reset                 resets the connection (RST)
//   /until-close?size=S    S bytes of 'x', body delimited by the close
//   /slow-body?chunks=K&interval=MS
//                          K chunks of 16 bytes of 's', one every MS ms
//                          (defaults 5 and 100)
//   /headers?name=value..  sets each pair (percent-decoded) as a header

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>

#include "proxy/http/message.h"

namespace upstream {

enum class Endpoint : std::uint8_t {
  kBytes, kInspect, kEcho, kEchoChunked, kChunked, kDelay, kStatus, kClose,
  kReset, kUntilClose, kSlowBody, kHeaders, kNotFound, kBadRequest,
};

// What a request asks for, with its numeric parameters.
struct Route {
  Endpoint endpoint = Endpoint::kNotFound;
  std::uint64_t count = 0;     // bytes, chunks, milliseconds or status
  std::uint64_t size = 0;      // chunk size
  std::uint64_t interval = 0;  // slow-body interval in ms
  std::vector<std::pair<std::string, std::string>> headers;  // /headers
  std::string error;           // kBadRequest: why
};

Route route(const gatehouse::http::RequestHead& head);

// Bytes of the static block filled with `c` ('x', 'y' or 's'); bodies are
// views into it so that large responses cost no allocation or fill.
inline constexpr std::size_t kFillBlock = 256 * 1024;
std::string_view fill_block(char c);

// Appends buffers covering n bytes of `c` (the block repeated).
void append_fill(std::vector<boost::asio::const_buffer>& out, char c, std::uint64_t n);

// Percent-decodes `in`; false on a malformed escape.
bool percent_decode(std::string_view in, std::string& out);

// {"method":..,"target":..,"version":..,"headers":[[n,v]..],"body_length":..,"body_sha256":..}
std::string inspect_json(const gatehouse::http::RequestHead& head, std::uint64_t body_length,
                         std::string_view sha256_hex);

// {"key":value} and {"error":message} bodies.
std::string number_json(std::string_view key, std::uint64_t value);
std::string error_json(std::string_view message);

}  // namespace upstream
