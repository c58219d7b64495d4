#include "proxy/http/http_date.h"

#include <algorithm>
#include <cstring>
#include <ctime>

namespace gatehouse::http {
namespace {

char* put_digits(char* at, unsigned value, int digits) noexcept {
  for (int i = digits - 1; i >= 0; --i) {
    at[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return at + digits;
}

char* put_name(char* at, std::string_view name) noexcept {
  std::memcpy(at, name.data(), name.size());
  return at + name.size();
}

}  // namespace

void format_http_date(HttpTime t, std::array<char, kHttpDateSize>& out) noexcept {
  const std::chrono::sys_days days = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{days};
  const std::chrono::weekday weekday{days};
  const std::chrono::hh_mm_ss<std::chrono::seconds> time{t - days};
  char* at = out.data();
  at = put_name(at, kHttpDayNames[weekday.c_encoding()]);
  at = put_name(at, ", ");
  at = put_digits(at, static_cast<unsigned>(ymd.day()), 2);
  *at++ = ' ';
  at = put_name(at, kHttpMonthNames[static_cast<unsigned>(ymd.month()) - 1]);
  *at++ = ' ';
  at = put_digits(at, static_cast<unsigned>(std::clamp(static_cast<int>(ymd.year()), 0, 9999)), 4);
  *at++ = ' ';
  at = put_digits(at, static_cast<unsigned>(time.hours().count()), 2);
  *at++ = ':';
  at = put_digits(at, static_cast<unsigned>(time.minutes().count()), 2);
  *at++ = ':';
  at = put_digits(at, static_cast<unsigned>(time.seconds().count()), 2);
  put_name(at, " GMT");
}

std::string format_http_date(HttpTime t) {
  std::array<char, kHttpDateSize> text{};
  format_http_date(t, text);
  return std::string(text.data(), text.size());
}

HttpTime http_now() noexcept {
  timespec now{};
  clock_gettime(CLOCK_REALTIME_COARSE, &now);
  return HttpTime(std::chrono::seconds(now.tv_sec));
}

std::string_view current_http_date() noexcept {
  thread_local HttpTime formatted_for{std::chrono::seconds(-1)};
  thread_local std::array<char, kHttpDateSize> text{};
  const HttpTime now = http_now();
  if (now != formatted_for) {
    format_http_date(now, text);
    formatted_for = now;
  }
  return {text.data(), text.size()};
}

void add_date_if_missing(HeaderMap& headers) {
  for (const Header& h : headers) {
    if (h.name.size() == 4 && iequals(h.name, "date")) return;
  }
  headers.add("Date", current_http_date());
}

}  // namespace gatehouse::http
