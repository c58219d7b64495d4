#pragma once
// Turns an ExchangeRecord into one access-log line.
//
// Runs on worker threads for every logged exchange, so it is built to
// allocate nothing in the steady state: it appends to a buffer the caller
// reuses, keys are pre-escaped at config load, numbers go through
// std::to_chars, and the time stamp's date part is cached per second and
// thread. Only `claim:` fields build a temporary string (the claim's text).
//
// Escaping (values come from clients and upstreams and may be hostile):
// - JSON: strings are escaped by Boost.JSON's serializer (quotes, backslash,
//   control bytes as \u00XX); one of printable ASCII without `"` or `\` has
//   nothing to escape and is copied. Bytes that are not valid UTF-8 are first
//   read as Latin-1 (byte 0xE9 becomes U+00E9), so every line is valid UTF-8
//   JSON and no byte is silently lost.
// - text: `"`, `\`, bytes below 0x20 and from 0x7F up are written as \xHH, as
//   nginx does, so a value can neither end its quotes nor start a new line.
//   Unknown and empty values are written as `-`.

#include <chrono>
#include <string>
#include <string_view>

#include "proxy/access_log/access_log_format.h"
#include "proxy/access_log/exchange_record.h"

namespace gatehouse::access_log {

// Appends the line for `record` in `format` to `out`, with its '\n'.
void format_line(const AccessLogFormat& format, const ExchangeRecord& record, std::string& out);

// The pieces, exposed for tests.
void append_json_string(std::string& out, std::string_view value);
void append_text_value(std::string& out, std::string_view value);
// RFC 3339 in UTC with milliseconds: 2026-11-26T05:52:40.123Z.
void append_rfc3339(std::string& out, std::chrono::system_clock::time_point t);
// Milliseconds with three decimals: 12.345.
void append_millis(std::string& out, std::chrono::nanoseconds d);

}  // namespace gatehouse::access_log
