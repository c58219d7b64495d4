#pragma once
// HTTP-date (RFC 9110 §5.6.7) as the gateway writes it, and the Date field
// (§6.6.1) on every response it sends.
//
// Contract: format_http_date() writes the preferred format, IMF-fixdate
// ("Sun, 06 Nov 1994 08:49:37 GMT", always kHttpDateSize bytes: years are
// clamped to 0..9999), without allocating when given a buffer.
// http_now() is the wall clock in whole seconds: HTTP's times are whole
// seconds, so the kernel's last tick is exact enough, and
// CLOCK_REALTIME_COARSE reads it without the TSC (system_clock::now() pays
// for a fenced rdtsc, on every response and every cache lookup and fill).
// current_http_date() is http_now() formatted, once per second per thread;
// the view stays valid until the calling thread's next call.
// add_date_if_missing(): a recipient with a clock that forwards or caches a
// response without a Date appends one with the time it received it
// (§6.6.1), and the gateway's own replies carry one as an origin's do.
// Parsing dates is the cache's (policies/cache/http_date.h).

#include <array>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "proxy/http/header_map.h"

namespace gatehouse::http {

using HttpTime = std::chrono::sys_seconds;

inline constexpr std::size_t kHttpDateSize = 29;
inline constexpr std::array<std::string_view, 7> kHttpDayNames = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
inline constexpr std::array<std::string_view, 12> kHttpMonthNames = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void format_http_date(HttpTime t, std::array<char, kHttpDateSize>& out) noexcept;
std::string format_http_date(HttpTime t);

HttpTime http_now() noexcept;
std::string_view current_http_date() noexcept;

void add_date_if_missing(HeaderMap& headers);

}  // namespace gatehouse::http
