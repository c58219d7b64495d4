#pragma once
// The public half of an EC P-256 key as a JWK (RFC 7517/7518), and its
// RFC 7638 thumbprint, which the API uses as the key id ("kid").

#include <optional>
#include <string>
#include <string_view>

#include <openssl/types.h>

namespace gatehouse::api::auth {

struct EcPublicJwk {
  std::string x;    // base64url of the 32-byte big-endian X coordinate
  std::string y;    // base64url of the 32-byte big-endian Y coordinate
  std::string kid;  // jwk_thumbprint(x, y)
};

// The JWK of `key`'s public point. nullopt unless `key` is an EC key on
// P-256 (prime256v1).
std::optional<EcPublicJwk> ec_public_jwk(const EVP_PKEY* key);

// RFC 7638: base64url(SHA-256({"crv":"P-256","kty":"EC","x":x,"y":y})),
// members in lexicographic order, no whitespace. `x` and `y` are base64url
// text, so they never need JSON escaping.
std::string jwk_thumbprint(std::string_view x, std::string_view y);

}  // namespace gatehouse::api::auth
