#pragma once
// The RFC 9110 §5.6 field-value syntax the cache pieces share: lists,
// tokens, quoted strings and delta-seconds (RFC 9111 §1.2.2).
//
// Contract: pure functions over string_views; nothing throws, nothing
// allocates except where a std::string is returned. Malformed input is
// reported through the return value (nullopt / false), never repaired
// silently, so each caller decides what the RFC wants for its field.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/header_map.h"

namespace gatehouse::policies::cache {

// RFC 9111 §1.2.2: a cache that cannot represent a delta-seconds value (or
// whose arithmetic overflows) uses 2^31 instead.
inline constexpr std::int64_t kDeltaSecondsMax = std::int64_t{1} << 31;

inline bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }
std::string_view trim_ows(std::string_view s) noexcept;

// RFC 9110 §5.6.2 tchar / token.
bool is_tchar(char c) noexcept;
bool is_token(std::string_view s) noexcept;

// Calls fn(member) for each member of a #list, in order: the list split at
// commas that are not inside a quoted-string, OWS trimmed around each
// member, empty members dropped (RFC 9110 §5.6.1: recipients ignore them).
// An unterminated quoted-string runs to the end of the value.
template <typename Fn>
void for_each_list_member(std::string_view value, Fn&& fn) {
  std::size_t start = 0;
  bool quoted = false;
  for (std::size_t i = 0; i <= value.size(); ++i) {
    if (i < value.size()) {
      const char c = value[i];
      if (quoted) {
        if (c == '\\') {
          ++i;  // the escaped character cannot end the string
        } else if (c == '"') {
          quoted = false;
        }
        continue;
      }
      if (c == '"') {
        quoted = true;
        continue;
      }
      if (c != ',') continue;
    }
    const std::string_view member = trim_ows(value.substr(start, (i < value.size() ? i : value.size()) - start));
    if (!member.empty()) fn(member);
    start = i + 1;
  }
}

// The members for_each_list_member() visits, as a vector.
std::vector<std::string_view> split_list(std::string_view value);

// The content of a quoted-string (`"..."` with backslash escapes undone),
// or nullopt when `s` is not exactly one well-formed quoted-string.
std::optional<std::string> unquote(std::string_view s);

// 1*DIGIT as a delta-seconds value, clamped to kDeltaSecondsMax; nullopt for
// anything else (empty, sign, space, fraction, letters).
std::optional<std::int64_t> parse_delta_seconds(std::string_view s) noexcept;

// Every field line called `name`, joined with ", " in order (RFC 9110
// §5.3: the same meaning as one line for a list-based field); empty when
// there is none. `present` tells an absent field from an empty one.
std::string combined_field(const http::HeaderMap& headers, std::string_view name, bool* present = nullptr);

// ASCII lowercase copy (field names are case-insensitive tokens).
std::string to_lower(std::string_view s);
// The same into `out` (s.size() bytes; may not overlap `s`), eight bytes
// at a time: it runs for every cache key. Returns the end of what it wrote.
char* copy_lowercase(char* out, std::string_view s) noexcept;

// Adds two non-negative second counts, clamping at kDeltaSecondsMax
// (RFC 9111 §1.2.2 for overflowing calculations).
inline std::int64_t clamped_add(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t sum = a + b;  // both are at most ~2^33 here, no overflow
  return sum > kDeltaSecondsMax ? kDeltaSecondsMax : sum;
}

}  // namespace gatehouse::policies::cache
