#pragma once
// Wall-clock time as stored in the database (Unix milliseconds, UTC) and its
// text forms: RFC 3339 for JSON and the HTTP date (RFC 9110 §5.6.7).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::api {

std::int64_t now_millis();

// "2026-11-25T20:17:23.123Z"
std::string rfc3339_millis(std::int64_t unix_millis);

// "Wed, 25 Nov 2026 20:17:23 GMT" (IMF-fixdate; milliseconds dropped).
std::string http_date(std::int64_t unix_millis);

// Parses an IMF-fixdate into Unix seconds; nullopt for anything else (the
// obsolete RFC 850 and asctime forms are not accepted, so a conditional
// header in those forms is ignored, as RFC 9110 allows for invalid dates).
std::optional<std::int64_t> parse_http_date(std::string_view text);

}  // namespace gatehouse::api
