#include "policies/jwt/algorithm.h"

#include <array>

namespace gatehouse::policies::jwt {
namespace {

constexpr std::array<std::string_view, kAlgorithmCount> kNames{
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256",
    "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"};

}  // namespace

std::optional<Algorithm> algorithm_from_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<Algorithm>(i);
  }
  return std::nullopt;
}

std::string_view algorithm_name(Algorithm alg) noexcept { return kNames[static_cast<std::size_t>(alg)]; }

KeyType key_type_for(Algorithm alg) noexcept {
  switch (alg) {
    case Algorithm::kHS256:
    case Algorithm::kHS384:
    case Algorithm::kHS512:
      return KeyType::kSecret;
    case Algorithm::kRS256:
    case Algorithm::kRS384:
    case Algorithm::kRS512:
    case Algorithm::kPS256:
    case Algorithm::kPS384:
    case Algorithm::kPS512:
      return KeyType::kRsa;
    case Algorithm::kES256:
      return KeyType::kEcP256;
    case Algorithm::kES384:
      return KeyType::kEcP384;
    case Algorithm::kES512:
      return KeyType::kEcP521;
    case Algorithm::kEdDSA:
      return KeyType::kEd25519;
  }
  return KeyType::kSecret;
}

std::string_view key_type_name(KeyType type) noexcept {
  switch (type) {
    case KeyType::kSecret: return "HMAC secret";
    case KeyType::kRsa: return "RSA";
    case KeyType::kEcP256: return "EC P-256";
    case KeyType::kEcP384: return "EC P-384";
    case KeyType::kEcP521: return "EC P-521";
    case KeyType::kEd25519: return "Ed25519";
  }
  return "";
}

}  // namespace gatehouse::policies::jwt
