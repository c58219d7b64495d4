#include "policies/cache/http_date.h"

#include <array>
#include <cstdint>

#include "policies/cache/field_syntax.h"

namespace gatehouse::policies::cache {
namespace {

constexpr const std::array<std::string_view, 7>& kDateShortDays = http::kHttpDayNames;
constexpr std::array<std::string_view, 7> kDateLongDays = {"Sunday", "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};
constexpr const std::array<std::string_view, 12>& kDateMonths = http::kHttpMonthNames;

constexpr std::uint32_t pack_folded(char a, char b, char c) noexcept {
  auto fold = [](char x) { return static_cast<std::uint32_t>(static_cast<unsigned char>(x | 0x20)); };
  return fold(a) << 16 | fold(b) << 8 | fold(c);
}

template <std::size_t N>
constexpr std::array<std::uint32_t, N> pack_names(const std::array<std::string_view, N>& names) {
  std::array<std::uint32_t, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = pack_folded(names[i][0], names[i][1], names[i][2]);
  return out;
}

// Every date has a month name, and the two common formats a short day name:
// matched as numbers, since a cached response's Date is read on each lookup.
constexpr std::array<std::uint32_t, 7> kPackedShortDays = pack_names(kDateShortDays);
constexpr std::array<std::uint32_t, 12> kPackedMonths = pack_names(kDateMonths);

// A cursor over the value; every read checks bounds and fails softly.
class DateReader {
 public:
  explicit DateReader(std::string_view s) : s_(s) {}
  bool done() const noexcept { return pos_ == s_.size(); }
  bool literal(std::string_view lit) noexcept {
    if (s_.substr(pos_, lit.size()) != lit) return false;
    pos_ += lit.size();
    return true;
  }
  // Like literal(), ignoring ASCII case: names and "GMT" (RFC 9111 §4.2).
  bool name(std::string_view lit) noexcept {
    if (!http::iequals(s_.substr(pos_, lit.size()), lit)) return false;
    pos_ += lit.size();
    return true;
  }
  // Exactly `n` digits.
  bool digits(std::size_t n, int& out) noexcept {
    if (s_.size() - pos_ < n) return false;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      char c = s_[pos_ + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    pos_ += n;
    out = v;
    return true;
  }
  template <std::size_t N>
  bool one_of(const std::array<std::string_view, N>& names, int& index) noexcept {
    for (std::size_t i = 0; i < N; ++i) {
      if (name(names[i])) {
        index = static_cast<int>(i);
        return true;
      }
    }
    return false;
  }
  // one_of() for the three-letter names (days in short, months): the next
  // three characters, case folded, compared as one number with each name's.
  // Only letters fold onto letters, so nothing else can match one.
  template <std::size_t N>
  bool one_of_three(const std::array<std::uint32_t, N>& packed, int& index) noexcept {
    if (s_.size() - pos_ < 3) return false;
    const std::uint32_t folded = pack_folded(s_[pos_], s_[pos_ + 1], s_[pos_ + 2]);
    for (std::size_t i = 0; i < N; ++i) {
      if (packed[i] == folded) {
        index = static_cast<int>(i);
        pos_ += 3;
        return true;
      }
    }
    return false;
  }
  // time-of-day = hour ":" minute ":" second
  bool time_of_day(int& h, int& m, int& s) noexcept {
    return digits(2, h) && literal(":") && digits(2, m) && literal(":") && digits(2, s);
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

std::optional<HttpTime> date_from_parts(int year, int month_index, int day, int h, int m, int s) {
  if (h > 23 || m > 59 || s > 60) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month_index + 1)},
                                  std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{m} + std::chrono::seconds{s};
}

std::optional<HttpTime> parse_imf_fixdate(std::string_view v) {
  DateReader r(v);
  int wd = 0, day = 0, mon = 0, year = 0, h = 0, m = 0, s = 0;
  if (!(r.one_of_three(kPackedShortDays, wd) && r.literal(", ") && r.digits(2, day) && r.literal(" ") && r.one_of_three(kPackedMonths, mon) &&
        r.literal(" ") && r.digits(4, year) && r.literal(" ") && r.time_of_day(h, m, s) && r.name(" GMT") &&
        r.done())) {
    return std::nullopt;
  }
  return date_from_parts(year, mon, day, h, m, s);
}

std::optional<HttpTime> parse_rfc850(std::string_view v, HttpTime now) {
  DateReader r(v);
  int wd = 0, day = 0, mon = 0, yy = 0, h = 0, m = 0, s = 0;
  if (!(r.one_of(kDateLongDays, wd) && r.literal(", ") && r.digits(2, day) && r.literal("-") && r.one_of_three(kPackedMonths, mon) &&
        r.literal("-") && r.digits(2, yy) && r.literal(" ") && r.time_of_day(h, m, s) && r.name(" GMT") &&
        r.done())) {
    return std::nullopt;
  }
  int now_year = static_cast<int>(std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(now)}.year());
  int year = now_year - now_year % 100 + yy;
  if (year > now_year + 50) year -= 100;
  return date_from_parts(year, mon, day, h, m, s);
}

std::optional<HttpTime> parse_asctime(std::string_view v) {
  DateReader r(v);
  int wd = 0, day = 0, mon = 0, year = 0, h = 0, m = 0, s = 0;
  if (!(r.one_of_three(kPackedShortDays, wd) && r.literal(" ") && r.one_of_three(kPackedMonths, mon) && r.literal(" "))) return std::nullopt;
  // ( 2DIGIT / ( SP DIGIT ) )
  if (r.literal(" ")) {
    if (!r.digits(1, day)) return std::nullopt;
  } else if (!r.digits(2, day)) {
    return std::nullopt;
  }
  if (!(r.literal(" ") && r.time_of_day(h, m, s) && r.literal(" ") && r.digits(4, year) && r.done())) {
    return std::nullopt;
  }
  return date_from_parts(year, mon, day, h, m, s);
}

}  // namespace

std::optional<HttpTime> parse_http_date(std::string_view value, HttpTime now) {
  value = trim_ows(value);
  if (value.size() < 4) return std::nullopt;
  if (value[3] == ',') return parse_imf_fixdate(value);
  if (value[3] == ' ') return parse_asctime(value);
  return parse_rfc850(value, now);
}

std::optional<HttpTime> parse_http_date(std::string_view value) {
  // Only an rfc850 date (a two-digit year) is read against the clock.
  const std::string_view trimmed = trim_ows(value);
  if (trimmed.size() >= 4 && (trimmed[3] == ',' || trimmed[3] == ' ')) return parse_http_date(trimmed, HttpTime{});
  return parse_http_date(trimmed, std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

ExpiresField expires_field(const http::HeaderMap& response_headers) {
  ExpiresField result;
  for (const http::Header& h : response_headers) {
    if (!http::iequals(h.name, "expires")) continue;
    std::optional<HttpTime> t = parse_http_date(h.value);
    if (!t.has_value() || (result.present && result.time != t)) {
      result.present = true;
      result.time.reset();
      return result;
    }
    result.present = true;
    result.time = t;
  }
  return result;
}

std::optional<HttpTime> date_field(const http::HeaderMap& headers, std::string_view name) {
  const std::string* value = headers.find(name);
  if (value == nullptr) return std::nullopt;
  return parse_http_date(*value);
}

}  // namespace gatehouse::policies::cache
