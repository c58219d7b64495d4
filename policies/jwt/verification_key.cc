#include "policies/jwt/verification_key.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <array>
#include <cstring>

#include "proxy/tls/openssl_util.h"

namespace gatehouse::policies::jwt {
namespace {

struct Free {
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
  void operator()(BIGNUM* p) const noexcept { BN_free(p); }
  void operator()(ECDSA_SIG* p) const noexcept { ECDSA_SIG_free(p); }
  void operator()(BIO* p) const noexcept { BIO_free(p); }
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};

const EVP_MD* digest_for(Algorithm alg) noexcept {
  switch (alg) {
    case Algorithm::kHS256:
    case Algorithm::kRS256:
    case Algorithm::kPS256:
    case Algorithm::kES256:
      return tls::sha256_digest();
    case Algorithm::kHS384:
    case Algorithm::kRS384:
    case Algorithm::kPS384:
    case Algorithm::kES384:
      return tls::sha384_digest();
    case Algorithm::kHS512:
    case Algorithm::kRS512:
    case Algorithm::kPS512:
    case Algorithm::kES512:
      return tls::sha512_digest();
    case Algorithm::kEdDSA:
      return nullptr;
  }
  return nullptr;
}

const char* digest_name(Algorithm alg) noexcept {
  switch (alg) {
    case Algorithm::kHS384: return "SHA384";
    case Algorithm::kHS512: return "SHA512";
    default: return "SHA256";
  }
}

bool verify_hmac(Algorithm alg, const std::string& secret, std::string_view input, std::string_view signature) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  std::size_t mac_len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, digest_name(alg), nullptr, secret.data(), secret.size(),
                reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, sizeof mac,
                &mac_len) == nullptr) {
    ERR_clear_error();
    return false;
  }
  // The length is public (it is the algorithm's); the bytes are compared in
  // constant time.
  return signature.size() == mac_len && CRYPTO_memcmp(mac, signature.data(), mac_len) == 0;
}

std::size_t curve_size(KeyType type) noexcept {
  switch (type) {
    case KeyType::kEcP256: return 32;
    case KeyType::kEcP384: return 48;
    case KeyType::kEcP521: return 66;
    default: return 0;
  }
}

// The group order n of the key's curve, built once per process: making an
// EC_GROUP costs far more than the checks it serves. Read-only afterwards,
// so shared by every thread.
const BIGNUM* curve_order(KeyType type) noexcept {
  static const std::array<EC_GROUP*, 3> groups = {EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1),
                                                   EC_GROUP_new_by_curve_name(NID_secp384r1),
                                                   EC_GROUP_new_by_curve_name(NID_secp521r1)};
  EC_GROUP* group = nullptr;
  switch (type) {
    case KeyType::kEcP256: group = groups[0]; break;
    case KeyType::kEcP384: group = groups[1]; break;
    case KeyType::kEcP521: group = groups[2]; break;
    default: break;
  }
  return group == nullptr ? nullptr : EC_GROUP_get0_order(group);
}

// JOSE r||s -> DER, after checking the length and 1 <= r, s <= n-1 (OpenSSL
// would reject out-of-range values too; checking first keeps that promise
// independent of its version and refuses encodings it might normalise).
std::optional<std::string> jose_to_der(KeyType type, std::string_view raw) {
  const std::size_t n = curve_size(type);
  if (n == 0 || raw.size() != 2 * n) return std::nullopt;
  const BIGNUM* order = curve_order(type);
  if (order == nullptr) return std::nullopt;
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  std::unique_ptr<BIGNUM, Free> r(BN_bin2bn(bytes, static_cast<int>(n), nullptr));
  std::unique_ptr<BIGNUM, Free> s(BN_bin2bn(bytes + n, static_cast<int>(n), nullptr));
  if (!r || !s || BN_is_zero(r.get()) || BN_is_zero(s.get()) || BN_cmp(r.get(), order) >= 0 ||
      BN_cmp(s.get(), order) >= 0) {
    return std::nullopt;
  }
  std::unique_ptr<ECDSA_SIG, Free> sig(ECDSA_SIG_new());
  if (!sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return std::nullopt;
  r.release();  // owned by sig now
  s.release();
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return std::nullopt;
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != len) return std::nullopt;
  return der;
}

bool verify_public(Algorithm alg, const VerificationKey& key, std::string_view input, std::string_view signature) {
  std::string der;
  if (key.type == KeyType::kEcP256 || key.type == KeyType::kEcP384 || key.type == KeyType::kEcP521) {
    std::optional<std::string> converted = jose_to_der(key.type, signature);
    if (!converted) return false;
    der = std::move(*converted);
    signature = der;
  } else if (key.type == KeyType::kRsa &&
             signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(key.public_key.get()))) {
    // RFC 8017 §8.1.2 and §8.2.2 step 1: a signature is exactly k octets.
    // OpenSSL checks this for PKCS#1 v1.5 but not for PSS, where a signature
    // whose leading zero octet was dropped is the same integer and verifies.
    return false;
  }
  std::unique_ptr<EVP_MD_CTX, Free> ctx(EVP_MD_CTX_new());
  if (!ctx) return false;
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, digest_for(alg), nullptr, key.public_key.get()) != 1) return false;
  switch (alg) {
    case Algorithm::kRS256:
    case Algorithm::kRS384:
    case Algorithm::kRS512:
      if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) return false;
      break;
    case Algorithm::kPS256:
    case Algorithm::kPS384:
    case Algorithm::kPS512:
      if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
          EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, digest_for(alg)) != 1 ||
          EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, EVP_MD_get_size(digest_for(alg))) != 1) {
        return false;
      }
      break;
    default:
      break;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

}  // namespace

bool verify_signature(Algorithm alg, const VerificationKey& key, std::string_view signing_input,
                      std::string_view signature) {
  if (!key.usable_for(alg)) return false;
  bool ok = false;
  if (key.type == KeyType::kSecret) {
    ok = !key.secret.empty() && verify_hmac(alg, key.secret, signing_input, signature);
  } else if (key.public_key) {
    ok = verify_public(alg, key, signing_input, signature);
  }
  ERR_clear_error();  // a failed verification leaves errors that must not leak into later calls
  return ok;
}

std::optional<VerificationKey> key_from_public_pkey(EVP_PKEY* raw, std::string& error) {
  std::shared_ptr<EVP_PKEY> pkey(raw, EVP_PKEY_free);
  VerificationKey key;
  if (EVP_PKEY_is_a(raw, "RSA")) {
    if (EVP_PKEY_get_bits(raw) < 2048) {
      error = "RSA keys must have at least 2048 bits (RFC 7518 §3.3)";
      return std::nullopt;
    }
    key.type = KeyType::kRsa;
  } else if (EVP_PKEY_is_a(raw, "EC")) {
    char group[64] = {0};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(raw, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) != 1) {
      ERR_clear_error();
      error = "an EC key without a named curve";
      return std::nullopt;
    }
    std::string_view name(group, len);
    if (name == "prime256v1" || name == "P-256") key.type = KeyType::kEcP256;
    else if (name == "secp384r1" || name == "P-384") key.type = KeyType::kEcP384;
    else if (name == "secp521r1" || name == "P-521") key.type = KeyType::kEcP521;
    else {
      error = "EC curve `" + std::string(name) + "` is not supported (P-256, P-384, P-521)";
      return std::nullopt;
    }
  } else if (EVP_PKEY_is_a(raw, "ED25519")) {
    key.type = KeyType::kEd25519;
  } else {
    error = "unsupported key type (RSA, EC P-256/P-384/P-521 and Ed25519 are)";
    return std::nullopt;
  }
  key.public_key = std::move(pkey);
  return key;
}

std::vector<VerificationKey> keys_from_pem(std::string_view pem, std::string& error) {
  std::vector<VerificationKey> keys;
  std::unique_ptr<BIO, Free> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return keys;
  while (true) {
    EVP_PKEY* pkey = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
    if (pkey == nullptr) break;
    std::optional<VerificationKey> key = key_from_public_pkey(pkey, error);
    if (!key) return {};
    keys.push_back(std::move(*key));
  }
  ERR_clear_error();  // the end of the input reads as an error
  if (keys.empty() && error.empty()) error = "no PEM public key (-----BEGIN PUBLIC KEY-----) found";
  return keys;
}

}  // namespace gatehouse::policies::jwt
