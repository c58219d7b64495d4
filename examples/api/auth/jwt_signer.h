#pragma once
// Signs and verifies compact JWTs (RFC 7519, JWS compact form RFC 7515).
//
// ES256 (ECDSA P-256 + SHA-256) is the default: the public key is published
// through the JWKS (jwks.h) so Gatehouse can verify tokens without sharing a
// secret. HS256 with a shared secret is the option for setups where the
// verifier is configured with that secret instead.
//
// Header: {"alg":"ES256","typ":"JWT","kid":<RFC 7638 thumbprint>}; HS256
// tokens carry no kid (the secret is never published, so there is nothing
// for a kid to point at).
//
// Thread-safety: a signer is immutable after creation; sign() and verify()
// may run concurrently from any threads (share it as shared_ptr<const>).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "examples/api/auth/ec_jwk.h"
#include "examples/api/auth/openssl_ptr.h"

namespace gatehouse::api::auth {

enum class JwtAlgorithm { kES256, kHS256 };

// Why verify() refused a token.
enum class JwtError {
  kNone,
  kMalformed,          // not three base64url parts, bad JSON, too long
  kAlgorithmMismatch,  // header "alg" is not this signer's algorithm
  kBadHeader,          // "typ" not JWT, "kid" not ours, or a "crit" header
  kBadSignature,
  kExpired,            // now >= exp + leeway, or exp missing / not a number
  kNotYetValid,        // now + leeway < nbf
  kIssuerMismatch,
  kAudienceMismatch,
};

// What verify() requires of the claims besides a valid signature.
struct JwtExpectations {
  std::string issuer;    // "iss" must equal this
  std::string audience;  // "aud" must equal this, or be an array holding it
  std::chrono::seconds leeway{60};  // clock skew allowed on exp and nbf
};

// Longer tokens are refused before any decoding.
inline constexpr std::size_t kMaxTokenSize = 8 * 1024;

class JwtSigner {
 public:
  // ES256 from an unencrypted PEM EC P-256 private key. nullopt when the PEM
  // does not hold one.
  static std::optional<JwtSigner> from_ec_private_key_pem(std::string_view pem);
  // ES256 from an already parsed key; nullopt unless EC P-256 with a private
  // part.
  static std::optional<JwtSigner> from_ec_private_key(PkeyPtr key);
  // HS256. nullopt when the secret is shorter than 32 bytes (RFC 7518
  // section 3.2: at least the hash size).
  static std::optional<JwtSigner> from_hs256_secret(std::string_view secret);

  JwtSigner(JwtSigner&&) noexcept;
  JwtSigner& operator=(JwtSigner&&) noexcept;
  ~JwtSigner();

  JwtAlgorithm algorithm() const noexcept { return algorithm_; }
  // The header's "kid": the RFC 7638 thumbprint for ES256, empty for HS256.
  const std::string& kid() const noexcept { return kid_; }
  // The public key to publish (ES256), or nullopt (HS256).
  const std::optional<EcPublicJwk>& public_jwk() const noexcept { return public_jwk_; }

  // The compact token "header.payload.signature" over `claims` as given
  // (the caller sets iat/exp/...: see access_token.h). ES256 signatures are
  // the 64-byte JOSE r||s form. nullopt only if OpenSSL fails.
  std::optional<std::string> sign(const boost::json::object& claims) const;

  // The token's claims when its header names this signer's algorithm (and
  // kid, if any), its signature verifies, it is within exp/nbf at `now`
  // (with leeway), and iss/aud match `expect`. Otherwise nullopt, with the
  // reason in *error when `error` is given. Never trusts the header to pick
  // the algorithm or the key.
  std::optional<boost::json::object> verify(
      std::string_view token, const JwtExpectations& expect,
      std::chrono::system_clock::time_point now = std::chrono::system_clock::now(),
      JwtError* error = nullptr) const;

 private:
  JwtSigner() = default;

  bool check_signature(std::string_view signing_input, std::string_view signature) const;
  std::optional<std::string> make_signature(std::string_view signing_input) const;

  JwtAlgorithm algorithm_ = JwtAlgorithm::kES256;
  PkeyPtr key_;                            // ES256
  std::string secret_;                     // HS256
  std::string kid_;
  std::optional<EcPublicJwk> public_jwk_;
  std::string encoded_header_;             // base64url of the fixed header
};

}  // namespace gatehouse::api::auth
