#include "proxy/http/http_date.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

namespace gatehouse::http {
namespace {

HttpTime at(std::chrono::sys_days day, int h, int m, int s) {
  return HttpTime(day) + std::chrono::hours(h) + std::chrono::minutes(m) + std::chrono::seconds(s);
}

TEST(HttpDateTest, FormatsImfFixdate) {
  using namespace std::chrono;
  EXPECT_EQ(format_http_date(at(sys_days(year{1994} / November / 6), 8, 49, 37)), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(format_http_date(at(sys_days(year{2024} / February / 29), 23, 59, 59)), "Thu, 29 Feb 2024 23:59:59 GMT");
  EXPECT_EQ(format_http_date(at(sys_days(year{1970} / January / 1), 0, 0, 0)), "Thu, 01 Jan 1970 00:00:00 GMT");
  // Four digits always: a year past 9999 is written as 9999.
  EXPECT_EQ(format_http_date(at(sys_days(year{12000} / January / 3), 1, 2, 3)).substr(12, 4), "9999");
}

TEST(HttpDateTest, BufferFormIsTheSameText) {
  std::array<char, kHttpDateSize> text{};
  const HttpTime t = at(std::chrono::sys_days(std::chrono::year{2026} / 11 / 28), 13, 5, 9);
  format_http_date(t, text);
  EXPECT_EQ(std::string(text.data(), text.size()), "Sat, 28 Nov 2026 13:05:09 GMT");
  EXPECT_EQ(format_http_date(t), std::string(text.data(), text.size()));
}

TEST(HttpDateTest, CurrentDateIsThisSecond) {
  // The clock may tick between the reads: the date is one of the seconds
  // around it.
  const HttpTime before = http_now();
  const std::string current(current_http_date());
  const HttpTime after = http_now();
  EXPECT_TRUE(current == format_http_date(before) || current == format_http_date(after)) << current;
  const auto system = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  EXPECT_LE(std::chrono::abs(system - before), std::chrono::seconds(1));
}

TEST(HttpDateTest, AddsDateOnlyWhenMissing) {
  HeaderMap without;
  without.add("Content-Type", "text/plain");
  add_date_if_missing(without);
  ASSERT_EQ(without.size(), 2u);
  EXPECT_EQ(without[1].name, "Date");
  EXPECT_EQ(without[1].value.size(), kHttpDateSize);
  add_date_if_missing(without);
  EXPECT_EQ(without.size(), 2u);

  HeaderMap with;
  with.add("DATE", "Sun, 06 Nov 1994 08:49:37 GMT");
  add_date_if_missing(with);
  ASSERT_EQ(with.size(), 1u);
  EXPECT_EQ(with[0].value, "Sun, 06 Nov 1994 08:49:37 GMT");
}

}  // namespace
}  // namespace gatehouse::http
