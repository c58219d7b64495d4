// The scalar parsers behind ConfigNode's typed reads: durations, sizes and
// ${VAR} environment substitution.

#include <charconv>
#include <cstdlib>
#include <limits>

#include "proxy/config/config_node.h"

namespace gatehouse::config {
namespace {

std::optional<std::uint64_t> parse_unsigned(std::string_view digits) {
  if (!is_decimal_digits(digits)) return std::nullopt;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

bool is_env_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_env_name_char(char c) { return is_env_name_start(c) || (c >= '0' && c <= '9'); }

}  // namespace

bool is_decimal_digits(std::string_view text) noexcept {
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

std::optional<Duration> parse_duration(std::string_view text) {
  if (text == "0") return Duration{0};
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::optional<std::uint64_t> value = parse_unsigned(text.substr(0, digits));
  if (!value) return std::nullopt;
  const std::string_view unit = text.substr(digits);
  std::int64_t factor = 0;
  if (unit == "ms") factor = 1;
  else if (unit == "s") factor = 1'000;
  else if (unit == "m") factor = 60'000;
  else if (unit == "h") factor = 3'600'000;
  else if (unit == "d") factor = 86'400'000;
  else return std::nullopt;
  constexpr auto kMax = std::numeric_limits<Duration::rep>::max();
  if (*value > static_cast<std::uint64_t>(kMax / factor)) return std::nullopt;
  return Duration{static_cast<Duration::rep>(*value) * factor};
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::optional<std::uint64_t> value = parse_unsigned(text.substr(0, digits));
  if (!value) return std::nullopt;
  const std::string_view unit = text.substr(digits);
  std::uint64_t factor = 0;
  if (unit.empty() || unit == "B") factor = 1;
  else if (unit == "KiB") factor = 1ull << 10;
  else if (unit == "MiB") factor = 1ull << 20;
  else if (unit == "GiB") factor = 1ull << 30;
  else if (unit == "TiB") factor = 1ull << 40;
  else return std::nullopt;
  if (*value > std::numeric_limits<std::uint64_t>::max() / factor) return std::nullopt;
  return *value * factor;
}

std::optional<std::string> expand_env(std::string_view text, std::string* missing) {
  if (missing) missing->clear();
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    // "$${" is a literal "${"; any other '$' is itself.
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out += text[i++];
      continue;
    }
    const std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view inner = text.substr(i + 2, close - i - 2);
    std::string_view name = inner;
    std::optional<std::string_view> fallback;
    if (const std::size_t sep = inner.find(":-"); sep != std::string_view::npos) {
      name = inner.substr(0, sep);
      fallback = inner.substr(sep + 2);
      // Defaults are literal text; a nested "${" is more likely a mistake
      // than something we should half-support.
      if (fallback->find("${") != std::string_view::npos) return std::nullopt;
    }
    if (name.empty() || !is_env_name_start(name[0])) return std::nullopt;
    for (char c : name)
      if (!is_env_name_char(c)) return std::nullopt;
    const std::string name_str(name);
    const char* value = std::getenv(name_str.c_str());
    if (fallback) {
      // Like the shell's ${VAR:-default}: unset or empty takes the default.
      out += (value && *value) ? std::string_view(value) : *fallback;
    } else if (value) {
      out += value;
    } else {
      if (missing) *missing = name_str;
      return std::nullopt;
    }
    i = close + 1;
  }
  return out;
}

}  // namespace gatehouse::config
