#include "examples/api/auth/ec_jwk.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <array>
#include <cstring>

#include "examples/api/auth/base64url.h"
#include "examples/api/auth/openssl_ptr.h"

namespace gatehouse::api::auth {
namespace {

constexpr std::size_t kCoordinateSize = 32;

std::optional<std::string> coordinate(const EVP_PKEY* key, const char* param) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &raw) != 1) return std::nullopt;
  BignumPtr bn(raw);
  std::string out(kCoordinateSize, '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), kCoordinateSize) !=
      static_cast<int>(kCoordinateSize)) {
    return std::nullopt;
  }
  return base64url_encode(out);
}

}  // namespace

std::optional<EcPublicJwk> ec_public_jwk(const EVP_PKEY* key) {
  if (key == nullptr || EVP_PKEY_is_a(key, "EC") != 1) return std::nullopt;
  std::array<char, 64> group{};
  std::size_t group_len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(),
                                     &group_len) != 1 ||
      std::string_view(group.data(), group_len) != "prime256v1") {
    ERR_clear_error();
    return std::nullopt;
  }
  auto x = coordinate(key, OSSL_PKEY_PARAM_EC_PUB_X);
  auto y = coordinate(key, OSSL_PKEY_PARAM_EC_PUB_Y);
  if (!x || !y) {
    ERR_clear_error();
    return std::nullopt;
  }
  EcPublicJwk jwk{std::move(*x), std::move(*y), {}};
  jwk.kid = jwk_thumbprint(jwk.x, jwk.y);
  return jwk;
}

std::string jwk_thumbprint(std::string_view x, std::string_view y) {
  std::string canonical;
  canonical.reserve(64 + x.size() + y.size());
  canonical.append(R"({"crv":"P-256","kty":"EC","x":")");
  canonical.append(x);
  canonical.append(R"(","y":")");
  canonical.append(y);
  canonical.append(R"("})");
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest.data());
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

}  // namespace gatehouse::api::auth
