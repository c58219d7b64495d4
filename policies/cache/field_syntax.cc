#include "policies/cache/field_syntax.h"

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
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace gatehouse::policies::cache
