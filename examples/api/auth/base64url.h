#pragma once
// base64url (RFC 4648 section 5) without padding, as JOSE uses it (RFC 7515
// section 2). Decoding is strict so that one token has exactly one spelling:
// a signature check over the encoded text then also pins the decoded bytes.

#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::api::auth {

// Encodes `bytes` with the URL-safe alphabet and no '=' padding.
std::string base64url_encode(std::string_view bytes);

// Decodes unpadded base64url. Returns nullopt for: any character outside
// [A-Za-z0-9_-] (including '=', '+', '/', whitespace), a length of 1 mod 4,
// or non-zero unused bits in the last character (a non-canonical spelling).
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace gatehouse::api::auth
