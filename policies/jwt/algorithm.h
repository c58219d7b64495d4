#pragma once
// The JWS algorithms the policy verifies (RFC 7518 §3, RFC 8037 for EdDSA),
// and the one key type each needs. `none` is not among them: it can never
// be configured and a token naming it is always refused.

#include <cstdint>
#include <optional>
#include <string_view>

namespace gatehouse::policies::jwt {

enum class Algorithm : std::uint8_t {
  kHS256, kHS384, kHS512,
  kRS256, kRS384, kRS512,
  kPS256, kPS384, kPS512,
  kES256, kES384, kES512,
  kEdDSA,
};
inline constexpr std::size_t kAlgorithmCount = static_cast<std::size_t>(Algorithm::kEdDSA) + 1;

// What a key is. An HMAC secret (kSecret) and the public key types never
// stand in for each other: an algorithm accepts exactly one type.
enum class KeyType : std::uint8_t { kSecret, kRsa, kEcP256, kEcP384, kEcP521, kEd25519 };

// "HS256" ... "EdDSA"; nullopt for anything else, `none` included.
std::optional<Algorithm> algorithm_from_name(std::string_view name) noexcept;
std::string_view algorithm_name(Algorithm alg) noexcept;
KeyType key_type_for(Algorithm alg) noexcept;
std::string_view key_type_name(KeyType type) noexcept;

}  // namespace gatehouse::policies::jwt
