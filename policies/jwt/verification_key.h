#pragma once
// A key that verifies signatures: an HMAC secret or a public key, with the
// restrictions its source put on it (a JWK's `kid`, `alg`, `use`,
// `key_ops`), and the signature check itself.
//
// Keys are immutable once built and shared (KeySet) between the config
// snapshot, the remote key cache and any number of worker threads; the
// EVP_PKEY is only read, which OpenSSL 3 allows concurrently.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>

#include "policies/jwt/algorithm.h"

namespace gatehouse::policies::jwt {

struct VerificationKey {
  KeyType type = KeyType::kSecret;
  std::string kid;                     // empty: the key has no id
  std::optional<Algorithm> alg;        // a JWK's `alg`: the only algorithm it may verify
  std::string secret;                  // kSecret only
  std::shared_ptr<EVP_PKEY> public_key;  // every other type

  // The key's type is the algorithm's, and its `alg` (if any) is `a`.
  bool usable_for(Algorithm a) const noexcept { return key_type_for(a) == type && (!alg || *alg == a); }
};

using KeySet = std::vector<VerificationKey>;

// True when `signature` is a valid signature of `signing_input` under `key`
// with `alg`. False too when the key does not suit the algorithm, when an
// ECDSA signature is not exactly 2 x the curve's size or r or s is outside
// 1..n-1. Constant-time for HMAC. PSS uses MGF1 with the same digest and a
// salt of the digest's length (RFC 7518 §3.5). Never throws.
bool verify_signature(Algorithm alg, const VerificationKey& key, std::string_view signing_input,
                      std::string_view signature);

// Wraps an EVP_PKEY (taking ownership) after finding its type; nullopt and
// `error` set for unsupported types, RSA under 2048 bits or curves other
// than P-256/P-384/P-521.
std::optional<VerificationKey> key_from_public_pkey(EVP_PKEY* pkey, std::string& error);

// Reads every PEM public key (`-----BEGIN PUBLIC KEY-----`) in `pem`.
// Empty with `error` set when none could be read or one is unsupported.
std::vector<VerificationKey> keys_from_pem(std::string_view pem, std::string& error);

}  // namespace gatehouse::policies::jwt
