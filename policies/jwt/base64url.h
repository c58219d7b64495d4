#pragma once
// Strict base64url (RFC 4648 §5) without padding, as JWS compact
// serialization requires (RFC 7515 §2): only [A-Za-z0-9_-], no `=`, no
// whitespace, a length that is not 1 mod 4, and unused trailing bits zero,
// so every byte string has exactly one accepted encoding.

#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::policies::jwt {

// nullopt on anything but the canonical encoding.
std::optional<std::string> base64url_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes);

}  // namespace gatehouse::policies::jwt
