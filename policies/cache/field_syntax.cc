#include "policies/cache/field_syntax.h"

#include <cstdint>
#include <cstring>

namespace gatehouse::policies::cache {

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

bool is_tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

std::vector<std::string_view> split_list(std::string_view value) {
  std::vector<std::string_view> members;
  for_each_list_member(value, [&members](std::string_view member) { members.push_back(member); });
  return members;
}

std::optional<std::string> unquote(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return std::nullopt;
  std::string out;
  out.reserve(s.size() - 2);
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    char c = s[i];
    if (c == '"') return std::nullopt;  // an unescaped quote inside
    if (c == '\\') {
      if (i + 2 >= s.size()) return std::nullopt;  // escapes the closing quote
      c = s[++i];
    }
    out.push_back(c);
  }
  return out;
}

std::optional<std::int64_t> parse_delta_seconds(std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  std::int64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    if (value < kDeltaSecondsMax) value = value * 10 + (c - '0');
  }
  return value > kDeltaSecondsMax ? kDeltaSecondsMax : value;
}

std::string combined_field(const http::HeaderMap& headers, std::string_view name, bool* present) {
  std::string out;
  bool found = false;
  for (const http::Header& h : headers) {
    if (!http::iequals(h.name, name)) continue;
    if (found) out.append(", ");
    out.append(h.value);
    found = true;
  }
  if (present != nullptr) *present = found;
  return out;
}

std::string to_lower(std::string_view s) {
  std::string out(s.size(), '\0');
  copy_lowercase(out.data(), s);
  return out;
}

namespace {

// `word` with its bytes 'A'..'Z' made lowercase. Per byte, the high bit of
// (b & 0x7f) + (0x80 - 'A') is set when b's low seven bits are 'A' or more,
// of (b & 0x7f) + (0x80 - 'Z' - 1) when they are past 'Z' (neither sum
// carries into the next byte); bytes with the high bit set are no letters.
std::uint64_t lowercase_word(std::uint64_t word) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const std::uint64_t low7 = word & ~kHigh;
  const std::uint64_t upper = (low7 + (0x80 - 'A') * kOnes) & ~(low7 + (0x80 - 'Z' - 1) * kOnes) & ~word & kHigh;
  return word | (upper >> 2);  // 0x80 >> 2 is the case bit 0x20
}

}  // namespace

char* copy_lowercase(char* out, std::string_view s) noexcept {
  const std::size_t n = s.size();
  if (n < 8) {  // e.g. a scheme: bytewise is cheaper than copying words in and out
    for (std::size_t i = 0; i < n; ++i) {
      const char c = s[i];
      out[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
    }
    return out + n;
  }
  std::uint64_t word = 0;
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    std::memcpy(&word, s.data() + i, 8);
    word = lowercase_word(word);
    std::memcpy(out + i, &word, 8);
  }
  // The last eight bytes, overlapping what is done: lowercasing twice
  // changes nothing.
  std::memcpy(&word, s.data() + n - 8, 8);
  word = lowercase_word(word);
  std::memcpy(out + n - 8, &word, 8);
  return out + n;
}

}  // namespace gatehouse::policies::cache
