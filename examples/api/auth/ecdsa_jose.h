#pragma once
// ECDSA P-256 signatures in the two encodings that meet here: OpenSSL makes
// and checks DER (SEQUENCE { INTEGER r, INTEGER s }), JOSE (RFC 7518
// section 3.4) carries r||s as two 32-byte big-endian integers, 64 bytes.

#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::api::auth {

inline constexpr std::size_t kEs256SignatureSize = 64;

// DER ECDSA signature -> 64-byte r||s. nullopt when the DER does not parse,
// has trailing bytes, or r or s does not fit in 32 bytes.
std::optional<std::string> ecdsa_der_to_jose(std::string_view der);

// 64-byte r||s -> DER. nullopt unless the input is exactly 64 bytes and
// both r and s are in [1, n-1] (n: the P-256 group order).
std::optional<std::string> ecdsa_jose_to_der(std::string_view raw);

}  // namespace gatehouse::api::auth
