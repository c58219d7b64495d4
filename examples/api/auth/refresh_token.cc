#include "examples/api/auth/refresh_token.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>

#include "examples/api/auth/base64url.h"

namespace gatehouse::api::auth {
namespace {

constexpr std::size_t kTokenBytes = 32;
constexpr std::size_t kTokenChars = 43;  // ceil(32 * 4 / 3), unpadded

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string cookie_with(std::string_view value, std::chrono::seconds max_age) {
  std::string out;
  out.reserve(128);
  out.append(kRefreshCookieName).append("=").append(value);
  out.append("; HttpOnly; Secure; SameSite=Strict; Path=").append(kRefreshCookiePath);
  out.append("; Max-Age=").append(std::to_string(max_age.count()));
  return out;
}

}  // namespace

std::optional<RefreshToken> generate_refresh_token() {
  std::array<unsigned char, kTokenBytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return std::nullopt;
  RefreshToken t;
  t.value = base64url_encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  t.storage_hash = refresh_token_storage_hash(t.value);
  return t;
}

std::string refresh_token_storage_hash(std::string_view value) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(value.data()), value.size(), digest.data());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(digest.size() * 2);
  for (unsigned char b : digest) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 0xf]);
  }
  return hex;
}

bool is_well_formed_refresh_token(std::string_view value) {
  if (value.size() != kTokenChars) return false;
  auto decoded = base64url_decode(value);
  return decoded && decoded->size() == kTokenBytes;
}

std::string refresh_cookie(std::string_view value, std::chrono::seconds max_age) {
  return cookie_with(value, max_age);
}

std::string expired_refresh_cookie() { return cookie_with("", std::chrono::seconds(0)); }

std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    std::size_t semi = header.find(';');
    std::string_view pair = trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != name) continue;
    std::string_view value = trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  return std::nullopt;
}

std::optional<std::string_view> find_cookie(const http::HeaderMap& headers, std::string_view name) {
  for (const http::Header& h : headers) {
    if (!http::iequals(h.name, "cookie")) continue;
    if (auto v = find_cookie(h.value, name)) return v;
  }
  return std::nullopt;
}

}  // namespace gatehouse::api::auth
