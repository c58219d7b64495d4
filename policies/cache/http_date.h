#pragma once
// HTTP-date (RFC 9110 §5.6.7): parsing all three formats (the core formats
// the preferred one: proxy/http/http_date.h).
//
// Contract: parse_http_date accepts exactly
//   IMF-fixdate  "Sun, 06 Nov 1994 08:49:37 GMT"
//   rfc850-date  "Sunday, 06-Nov-94 08:49:37 GMT"
//   asctime      "Sun Nov  6 08:49:37 1994"
// (with OWS around the whole value) and returns nullopt for anything else.
// The day and month names and "GMT" match ASCII case-insensitively: the
// grammar's %s"..." makes them case-sensitive, but RFC 9111 §4.2 says a
// cache SHOULD accept them in any case ("THU, 18 AUG 2050 02:01:18 gMT"),
// and one parser serves every date field. Everything else stays exact: the
// separators, the digit counts, and: the day must exist in its month, hour <= 23, minute <= 59, second <= 60 (a leap second is
// read as the next minute). The weekday must be a valid name but is not
// checked against the date (§5.6.7 asks recipients to be robust).
// A two-digit rfc850 year that would be more than 50 years after `now` is
// the most recent past year with those digits (§5.6.7).
// Callers decide what an invalid date means for their field: an invalid
// Expires is "already expired" (RFC 9111 §5.3), see expires_field().

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/http/header_map.h"
#include "proxy/http/http_date.h"

namespace gatehouse::policies::cache {

using http::HttpTime;

std::optional<HttpTime> parse_http_date(std::string_view value, HttpTime now);
std::optional<HttpTime> parse_http_date(std::string_view value);  // now = the system clock

// "Sun, 06 Nov 1994 08:49:37 GMT" (proxy/http/http_date.h).
using http::format_http_date;

// The response's Expires (RFC 9111 §5.3). `time` is nullopt when the field is
// present but invalid — "0" included — or when several lines disagree
// (§4.2.1, the conservative reading): both mean "already expired".
struct ExpiresField {
  bool present = false;
  std::optional<HttpTime> time;

  bool already_expired() const noexcept { return present && !time.has_value(); }
};
ExpiresField expires_field(const http::HeaderMap& response_headers);

// A singleton date field (Date, Last-Modified): nullopt when absent or
// invalid.
std::optional<HttpTime> date_field(const http::HeaderMap& headers, std::string_view name);

}  // namespace gatehouse::policies::cache
