#pragma once
// Refresh tokens: opaque random strings handed to the browser in an
// HttpOnly cookie. The database stores only their SHA-256 (a leaked table
// cannot be replayed); lookups go by that hash. Rotation and reuse
// detection live with the storage, not here.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/http/header_map.h"

namespace gatehouse::api::auth {

inline constexpr std::string_view kRefreshCookieName = "refresh_token";
inline constexpr std::string_view kRefreshCookiePath = "/api/auth";

struct RefreshToken {
  std::string value;         // base64url of 32 random bytes (43 characters)
  std::string storage_hash;  // refresh_token_storage_hash(value)
};

// A new token from OpenSSL's RAND_bytes; nullopt if the random source fails.
std::optional<RefreshToken> generate_refresh_token();

// Lowercase hex SHA-256 of the token text (64 characters).
std::string refresh_token_storage_hash(std::string_view value);

// True when `value` has the shape generate_refresh_token() produces (43
// base64url characters), so junk is refused before touching the database.
bool is_well_formed_refresh_token(std::string_view value);

// The Set-Cookie value that hands the token to the browser:
// "refresh_token=<v>; HttpOnly; Secure; SameSite=Strict; Path=/api/auth;
// Max-Age=<seconds>" (604800 for the default 7 days). `value` must be well
// formed (base64url needs no cookie quoting).
std::string refresh_cookie(std::string_view value,
                           std::chrono::seconds max_age = std::chrono::hours(24 * 7));

// The Set-Cookie value that deletes it on logout (empty value, Max-Age=0,
// same attributes so the browser matches the same cookie).
std::string expired_refresh_cookie();

// The value of the first cookie called `name` (case-sensitive) in one
// Cookie header value ("a=1; b=2", RFC 6265 section 4.2.1), with a pair of
// surrounding double quotes removed. Tolerates extra spaces around pairs and
// skips pairs without '='. nullopt when absent. The result views
// `cookie_header`'s storage.
std::optional<std::string_view> find_cookie(std::string_view cookie_header, std::string_view name);

// The same across every Cookie field of a request (HTTP/2 clients may send
// one field per cookie), first match in field order. The result views the
// field's value inside `headers`.
std::optional<std::string_view> find_cookie(const http::HeaderMap& headers, std::string_view name);

}  // namespace gatehouse::api::auth
