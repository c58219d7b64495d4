#pragma once
// For the jwt policy's unit tests only: keys generated through OpenSSL EVP,
// tokens signed with them (JOSE encodings done here independently of the
// verifier), and their JWK / PEM forms.

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <stdexcept>
#include <string>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "policies/jwt/algorithm.h"
#include "policies/jwt/base64url.h"
#include "policies/jwt/verification_key.h"

namespace gatehouse::policies::jwt::testing {

struct TestKey {
  Algorithm alg;
  std::string secret;                    // HMAC
  std::shared_ptr<EVP_PKEY> private_key; // others
};

inline std::shared_ptr<EVP_PKEY> generate(Algorithm alg) {
  EVP_PKEY* key = nullptr;
  switch (key_type_for(alg)) {
    case KeyType::kRsa: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)); break;
    case KeyType::kEcP256: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
    case KeyType::kEcP384: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"); break;
    case KeyType::kEcP521: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521"); break;
    case KeyType::kEd25519: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
    case KeyType::kSecret: break;
  }
  if (key == nullptr) throw std::runtime_error("keygen failed");
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

// One RSA key serves every RS/PS algorithm (2048-bit generation is slow).
inline TestKey make_key(Algorithm alg) {
  TestKey key{alg, {}, {}};
  if (key_type_for(alg) == KeyType::kSecret) {
    key.secret = std::string(64, 'k') + algorithm_name(alg).data();
  } else if (key_type_for(alg) == KeyType::kRsa) {
    static std::shared_ptr<EVP_PKEY> rsa = generate(alg);
    key.private_key = rsa;
  } else {
    key.private_key = generate(alg);
  }
  return key;
}

inline const EVP_MD* md_for(Algorithm alg) {
  std::string_view name = algorithm_name(alg);
  if (name.ends_with("384")) return EVP_sha384();
  if (name.ends_with("512")) return EVP_sha512();
  if (alg == Algorithm::kEdDSA) return nullptr;
  return EVP_sha256();
}

inline std::string sign_bytes(const TestKey& key, std::string_view input) {
  if (key_type_for(key.alg) == KeyType::kSecret) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t len = 0;
    const char* md = md_for(key.alg) == EVP_sha384() ? "SHA384" : md_for(key.alg) == EVP_sha512() ? "SHA512" : "SHA256";
    EVP_Q_mac(nullptr, "HMAC", nullptr, md, nullptr, key.secret.data(), key.secret.size(),
              reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, sizeof mac, &len);
    return std::string(reinterpret_cast<char*>(mac), len);
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  EVP_DigestSignInit(ctx, &pctx, md_for(key.alg), nullptr, key.private_key.get());
  std::string_view name = algorithm_name(key.alg);
  if (name.starts_with("PS")) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, EVP_MD_get_size(md_for(key.alg)));
    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md_for(key.alg));
  }
  size_t len = 0;
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  std::string sig(len, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  if (name.starts_with("ES")) {  // DER -> r||s
    const std::size_t n = key.alg == Algorithm::kES256 ? 32 : key.alg == Algorithm::kES384 ? 48 : 66;
    const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(es, &r, &s);
    std::string raw(2 * n, '\0');
    BN_bn2binpad(r, reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(n));
    BN_bn2binpad(s, reinterpret_cast<unsigned char*>(raw.data()) + n, static_cast<int>(n));
    ECDSA_SIG_free(es);
    return raw;
  }
  return sig;
}

inline std::string make_token(const TestKey& key, const boost::json::object& claims, boost::json::object header = {}) {
  if (!header.contains("alg")) header["alg"] = algorithm_name(key.alg);
  const std::string input =
      base64url_encode(boost::json::serialize(header)) + "." + base64url_encode(boost::json::serialize(claims));
  return input + "." + base64url_encode(sign_bytes(key, input));
}

inline std::string public_pem(const TestKey& key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key.private_key.get());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

inline std::string bn_param(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(key, name, &bn);
  std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

// The public JWK of `key` (no kid / use / alg: the caller adds what it tests).
inline boost::json::object public_jwk(const TestKey& key) {
  boost::json::object jwk;
  EVP_PKEY* pkey = key.private_key.get();
  switch (key_type_for(key.alg)) {
    case KeyType::kRsa:
      jwk["kty"] = "RSA";
      jwk["n"] = base64url_encode(bn_param(pkey, OSSL_PKEY_PARAM_RSA_N));
      jwk["e"] = base64url_encode(bn_param(pkey, OSSL_PKEY_PARAM_RSA_E));
      break;
    case KeyType::kEd25519: {
      unsigned char raw[32];
      size_t len = sizeof raw;
      EVP_PKEY_get_raw_public_key(pkey, raw, &len);
      jwk["kty"] = "OKP";
      jwk["crv"] = "Ed25519";
      jwk["x"] = base64url_encode(std::string_view(reinterpret_cast<char*>(raw), len));
      break;
    }
    case KeyType::kSecret:
      break;
    default: {
      const std::size_t n = key.alg == Algorithm::kES256 ? 32 : key.alg == Algorithm::kES384 ? 48 : 66;
      jwk["kty"] = "EC";
      jwk["crv"] = key.alg == Algorithm::kES256 ? "P-256" : key.alg == Algorithm::kES384 ? "P-384" : "P-521";
      std::string x = bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X);
      std::string y = bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y);
      x.insert(0, n - x.size(), '\0');
      y.insert(0, n - y.size(), '\0');
      jwk["x"] = base64url_encode(x);
      jwk["y"] = base64url_encode(y);
    }
  }
  return jwk;
}

// The verification key for `key` as the policy would load it.
inline VerificationKey verification_key(const TestKey& key, std::string kid = {}) {
  VerificationKey out;
  out.kid = std::move(kid);
  out.type = key_type_for(key.alg);
  if (out.type == KeyType::kSecret) {
    out.secret = key.secret;
    return out;
  }
  std::string error;
  std::vector<VerificationKey> keys = keys_from_pem(public_pem(key), error);
  out.public_key = keys.at(0).public_key;
  return out;
}

}  // namespace gatehouse::policies::jwt::testing
