// HTTP-date, RFC 9110 §5.6.7, and Expires, RFC 9111 §5.3.

#include <gtest/gtest.h>

#include "policies/cache/cache_test_support.h"
#include "policies/cache/http_date.h"

namespace gatehouse::policies::cache {
namespace {

using test_support::fields;
using test_support::t0;

TEST(HttpDateTest, ParsesImfFixdate) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), t0());
}

TEST(HttpDateTest, ParsesObsoleteRfc850) {
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", t0()), t0());
}

TEST(HttpDateTest, ParsesObsoleteAsctimeWithPaddedDay) {
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), t0());
  EXPECT_EQ(parse_http_date("Sun Nov 06 08:49:37 1994"), t0());
}

// §5.6.7: a two-digit year more than 50 years ahead is in the past century.
TEST(HttpDateTest, Rfc850TwoDigitYearWindow) {
  using namespace std::chrono;
  HttpTime now = sys_days{year{2026} / January / 1};
  auto y = [&](std::string_view v) {
    return static_cast<int>(year_month_day{floor<days>(*parse_http_date(v, now))}.year());
  };
  EXPECT_EQ(y("Thursday, 01-Jan-70 00:00:00 GMT"), 2070);  // 44 years ahead: this century
  EXPECT_EQ(y("Thursday, 01-Jan-77 00:00:00 GMT"), 1977);  // 51 years ahead: last century
  EXPECT_EQ(y("Thursday, 01-Jan-26 00:00:00 GMT"), 2026);
  EXPECT_EQ(y("Thursday, 01-Jan-99 00:00:00 GMT"), 1999);
}

// OWS around the field value is not part of it.
TEST(HttpDateTest, SurroundingWhitespaceIsIgnored) {
  EXPECT_EQ(parse_http_date("  Sun, 06 Nov 1994 08:49:37 GMT\t"), t0());
}

// RFC 9111 §4.2: a cache SHOULD match the names (weekday, month, "GMT")
// case-insensitively, though the grammar spells them %s"..."; the
// cache-tests freshness-expires-wrong-case-{weekday,month,tz} cases.
TEST(HttpDateTest, NamesMatchInAnyCase) {
  EXPECT_EQ(parse_http_date("SUN, 06 Nov 1994 08:49:37 GMT"), t0());
  EXPECT_EQ(parse_http_date("sun, 06 Nov 1994 08:49:37 GMT"), t0());
  EXPECT_EQ(parse_http_date("Sun, 06 NOV 1994 08:49:37 GMT"), t0());
  EXPECT_EQ(parse_http_date("Sun, 06 nov 1994 08:49:37 GMT"), t0());
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 gMT"), t0());
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 gmt"), t0());
  EXPECT_EQ(parse_http_date("SUNDAY, 06-NOV-94 08:49:37 Gmt", t0()), t0());
  EXPECT_EQ(parse_http_date("sUN nOV  6 08:49:37 1994"), t0());
}

// Only the case is forgiven: a misspelt name, another zone, a missing or
// doubled separator are still invalid.
TEST(HttpDateTest, CaseInsensitivityLeavesTheRestStrict) {
  for (const char* v : {"Sun, 06 Nov 1994 08:49:37 GMX", "Sun, 06 Novem 1994 08:49:37 GMT",
                        "SUN 06 NOV 1994 08:49:37 GMT", "Sun,  06 Nov 1994 08:49:37 GMT",
                        "Sun, 06 Nov 1994 08:49:37  GMT", "Sun, 06 Nov 1994 08:49:37 GMTx",
                        "Sunda, 06-Nov-94 08:49:37 GMT", "Sun, 06-NOV-94 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 utc"}) {
    EXPECT_FALSE(parse_http_date(v).has_value()) << v;
  }
}

// Every day and month name, in each format, and the characters that fold
// onto nothing: names are matched as case-folded numbers, so a non-letter
// whose bit 0x20 makes it look like a letter's fold must not pass.
TEST(HttpDateTest, EveryNameIsReadAndOnlyLettersFold) {
  using namespace std::chrono;
  const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (unsigned m = 1; m <= 12; ++m) {
    const HttpTime expected = sys_days{year{2026} / month{m} / 1};
    const std::string name = months[m - 1];
    EXPECT_EQ(parse_http_date("Thu, 01 " + name + " 2026 00:00:00 GMT"), expected) << name;
    EXPECT_EQ(parse_http_date("Thursday, 01-" + name + "-26 00:00:00 GMT", expected), expected) << name;
    EXPECT_EQ(parse_http_date("Thu " + name + "  1 00:00:00 2026"), expected) << name;
  }
  for (const char* day : {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "sAT"}) {
    EXPECT_EQ(parse_http_date(std::string(day) + ", 06 Nov 1994 08:49:37 GMT"), t0()) << day;
  }
  for (const char* v : {"S\xd5n, 06 Nov 1994 08:49:37 GMT", "Sun, 06 N\x0fv 1994 08:49:37 GMT",
                        "Sun, 06 N\x8fv 1994 08:49:37 GMT", "Su, 06 Nov 1994 08:49:37 GMT", "Sun, 06 No",
                        "Sun, 06 Nov 1994 08:49:37 G", "Sun"}) {
    EXPECT_FALSE(parse_http_date(v).has_value()) << v;
  }
}

TEST(HttpDateTest, MalformedDatesAreRejected) {
  for (const char* v : {"", "0", "-1", "now", "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 94 08:49:37 GMT",
                        "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 8:49:37 GMT",
                        "Sun, 06 Nov 1994 08:49:37 GMT junk", "Xyz, 06 Nov 1994 08:49:37 GMT",
                        "Sun 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-1994 08:49:37 GMT",
                        "Sun Nov 6 08:49:37 1994", "1994-11-06T08:49:37Z", "Sun, 06 Nov 1994 08:49:37 +0000"}) {
    EXPECT_FALSE(parse_http_date(v).has_value()) << v;
  }
}

TEST(HttpDateTest, OutOfRangeFieldsAreRejected) {
  EXPECT_FALSE(parse_http_date("Sun, 31 Feb 1994 08:49:37 GMT"));
  EXPECT_FALSE(parse_http_date("Sun, 00 Nov 1994 08:49:37 GMT"));
  EXPECT_FALSE(parse_http_date("Sun, 06 Nov 1994 24:00:00 GMT"));
  EXPECT_FALSE(parse_http_date("Sun, 06 Nov 1994 08:60:00 GMT"));
  EXPECT_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:61 GMT"));
  EXPECT_TRUE(parse_http_date("Thu, 29 Feb 1996 00:00:00 GMT"));
}

// A leap second (60) is allowed by the grammar and read as the next minute.
TEST(HttpDateTest, LeapSecond) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:60 GMT"), t0(23));
}

// The weekday is not checked against the date (recipients are robust).
TEST(HttpDateTest, WrongWeekdayIsTolerated) {
  EXPECT_EQ(parse_http_date("Mon, 06 Nov 1994 08:49:37 GMT"), t0());
}

TEST(HttpDateTest, FormatsImfFixdate) {
  EXPECT_EQ(format_http_date(t0()), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(format_http_date(t0(86400 * 366)), "Tue, 07 Nov 1995 08:49:37 GMT");
  HttpTime now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  EXPECT_EQ(parse_http_date(format_http_date(now)), now);
}

// RFC 9111 §5.3: an invalid Expires, "0" in particular, means already expired.
TEST(HttpDateTest, InvalidExpiresIsAlreadyExpired) {
  EXPECT_TRUE(expires_field(fields({{"Expires", "0"}})).already_expired());
  EXPECT_TRUE(expires_field(fields({{"Expires", ""}})).already_expired());
  EXPECT_TRUE(expires_field(fields({{"Expires", "-1"}})).already_expired());
  ExpiresField valid = expires_field(fields({{"Expires", "Sun, 06 Nov 1994 08:49:37 GMT"}}));
  EXPECT_TRUE(valid.present);
  EXPECT_FALSE(valid.already_expired());
  EXPECT_EQ(valid.time, t0());
  EXPECT_FALSE(expires_field(fields({})).present);
}

// §4.2.1: several differing Expires lines: the conservative choice, expired.
TEST(HttpDateTest, ConflictingExpiresLinesAreExpired) {
  EXPECT_TRUE(expires_field(fields({{"Expires", "Sun, 06 Nov 1994 08:49:37 GMT"},
                                    {"Expires", "Mon, 07 Nov 1994 08:49:37 GMT"}}))
                  .already_expired());
  EXPECT_FALSE(expires_field(fields({{"Expires", "Sun, 06 Nov 1994 08:49:37 GMT"},
                                     {"Expires", "Sun, 06 Nov 1994 08:49:37 GMT"}}))
                   .already_expired());
}

TEST(HttpDateTest, DateFieldIsAbsentWhenInvalid) {
  EXPECT_EQ(date_field(fields({{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}}), "date"), t0());
  EXPECT_FALSE(date_field(fields({{"Date", "yesterday"}}), "date"));
  EXPECT_FALSE(date_field(fields({}), "date"));
}

}  // namespace
}  // namespace gatehouse::policies::cache
