#include "examples/api/auth/jwt_signer.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/hmac.h>

#include <array>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "examples/api/auth/base64url.h"
#include "examples/api/auth/ecdsa_jose.h"
#include "examples/api/auth/jwt_claims.h"
#include "examples/api/auth/key_files.h"

namespace gatehouse::api::auth {
namespace {

constexpr std::size_t kMinHmacSecret = 32;
constexpr std::size_t kHmacSize = 32;

std::string_view algorithm_name(JwtAlgorithm a) {
  return a == JwtAlgorithm::kES256 ? "ES256" : "HS256";
}

std::optional<boost::json::object> parse_object(std::string_view encoded) {
  auto text = base64url_decode(encoded);
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(*text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

std::optional<std::string> hmac_sha256(std::string_view secret, std::string_view data) {
  std::array<unsigned char, kHmacSize> mac{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(),
           &len) == nullptr ||
      len != kHmacSize) {
    ERR_clear_error();
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(mac.data()), len);
}

bool header_acceptable(const boost::json::object& header, std::string_view alg,
                       const std::string& kid, JwtError& error) {
  const boost::json::value* a = header.if_contains("alg");
  if (a == nullptr || !a->is_string() || a->get_string() != alg) {
    error = JwtError::kAlgorithmMismatch;
    return false;
  }
  const boost::json::value* typ = header.if_contains("typ");
  const boost::json::value* k = header.if_contains("kid");
  // RFC 7515 section 4.1.11: a "crit" header we cannot honour must fail.
  if ((typ != nullptr && (!typ->is_string() || typ->get_string() != "JWT")) ||
      (k != nullptr && (!k->is_string() || k->get_string() != kid)) ||
      header.contains("crit")) {
    error = JwtError::kBadHeader;
    return false;
  }
  return true;
}

}  // namespace

JwtSigner::JwtSigner(JwtSigner&&) noexcept = default;
JwtSigner& JwtSigner::operator=(JwtSigner&&) noexcept = default;
JwtSigner::~JwtSigner() { OPENSSL_cleanse(secret_.data(), secret_.size()); }

std::optional<JwtSigner> JwtSigner::from_ec_private_key_pem(std::string_view pem) {
  return from_ec_private_key(parse_ec_private_key_pem(pem));
}

std::optional<JwtSigner> JwtSigner::from_ec_private_key(PkeyPtr key) {
  if (!key) return std::nullopt;
  auto jwk = ec_public_jwk(key.get());
  BIGNUM* priv = nullptr;
  if (!jwk || EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_PRIV_KEY, &priv) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  BN_clear_free(priv);
  JwtSigner s;
  s.algorithm_ = JwtAlgorithm::kES256;
  s.key_ = std::move(key);
  s.kid_ = jwk->kid;
  s.public_jwk_ = std::move(jwk);
  boost::json::object header{{"alg", "ES256"}, {"typ", "JWT"}, {"kid", s.kid_}};
  s.encoded_header_ = base64url_encode(boost::json::serialize(header));
  return s;
}

std::optional<JwtSigner> JwtSigner::from_hs256_secret(std::string_view secret) {
  if (secret.size() < kMinHmacSecret) return std::nullopt;
  JwtSigner s;
  s.algorithm_ = JwtAlgorithm::kHS256;
  s.secret_ = std::string(secret);
  boost::json::object header{{"alg", "HS256"}, {"typ", "JWT"}};
  s.encoded_header_ = base64url_encode(boost::json::serialize(header));
  return s;
}

std::optional<std::string> JwtSigner::make_signature(std::string_view input) const {
  if (algorithm_ == JwtAlgorithm::kHS256) return hmac_sha256(secret_, input);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  std::string der(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  der.resize(len);
  return ecdsa_der_to_jose(der);
}

bool JwtSigner::check_signature(std::string_view input, std::string_view signature) const {
  if (algorithm_ == JwtAlgorithm::kHS256) {
    auto expected = hmac_sha256(secret_, input);
    return expected && signature.size() == expected->size() &&
           CRYPTO_memcmp(expected->data(), signature.data(), signature.size()) == 0;
  }
  auto der = ecdsa_jose_to_der(signature);
  if (!der) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok = ctx &&
            EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(der->data()),
                             der->size(), reinterpret_cast<const unsigned char*>(input.data()),
                             input.size()) == 1;
  ERR_clear_error();
  return ok;
}

std::optional<std::string> JwtSigner::sign(const boost::json::object& claims) const {
  std::string token = encoded_header_;
  token.push_back('.');
  token.append(base64url_encode(boost::json::serialize(claims)));
  auto signature = make_signature(token);
  if (!signature) return std::nullopt;
  token.push_back('.');
  token.append(base64url_encode(*signature));
  return token;
}

std::optional<boost::json::object> JwtSigner::verify(std::string_view token,
                                                     const JwtExpectations& expect,
                                                     std::chrono::system_clock::time_point now,
                                                     JwtError* error) const {
  JwtError local = JwtError::kNone;
  JwtError& why = error ? *error : local;
  why = JwtError::kMalformed;
  if (token.size() > kMaxTokenSize) return std::nullopt;
  std::size_t dot1 = token.find('.');
  std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  auto header = parse_object(token.substr(0, dot1));
  if (!header) return std::nullopt;
  if (!header_acceptable(*header, algorithm_name(algorithm_), kid_, why)) return std::nullopt;

  auto signature = base64url_decode(token.substr(dot2 + 1));
  if (!signature) return std::nullopt;
  if (!check_signature(token.substr(0, dot2), *signature)) {
    why = JwtError::kBadSignature;
    return std::nullopt;
  }
  auto claims = parse_object(token.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!claims) return std::nullopt;
  why = check_claims(*claims, expect, now);
  if (why != JwtError::kNone) return std::nullopt;
  return claims;
}

}  // namespace gatehouse::api::auth
