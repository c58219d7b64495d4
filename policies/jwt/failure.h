#pragma once
// Why a token was refused: one value per `reason` label of
// gatehouse_jwt_failures_total, with the fixed text sent to the client in
// `error_description`. The text never quotes the token, a claim value or a
// key: it only names what was wrong.

#include <array>
#include <cstdint>
#include <string_view>

namespace gatehouse::policies::jwt {

enum class Failure : std::uint8_t {
  kNone,
  kMissing,          // no token where the policy looks for one
  kTooLarge,         // over max_token_size, refused before any parsing
  kMalformed,        // not three canonical base64url segments of JSON objects, bad header fields
  kUnsupportedCrit,  // header `crit` names an extension this verifier does not implement
  kAlgNotAllowed,    // `none`, an unknown alg, or one the issuer does not allow
  kUnknownIssuer,    // `iss` names none of the configured issuers
  kUnknownKid,       // no key of the issuer has the token's `kid`
  kNoMatchingKey,    // no key of the issuer may verify this alg (type, `use`, `key_ops`, `alg`)
  kBadSignature,
  kKeysUnavailable,  // the issuer's remote JWKS has not been fetched (yet)
  kExpired,
  kNotYetValid,
  kIssuedInFuture,
  kBadAudience,
  kMissingClaim,     // a required (or registered, e.g. `exp`) claim is absent or of the wrong type
  kLifetimeTooLong,  // exp - iat over max_lifetime
  kForbidden,        // verified, but a `require` rule failed (403)
};

inline constexpr std::size_t kFailureCount = static_cast<std::size_t>(Failure::kForbidden) + 1;

// The metric label.
constexpr std::string_view failure_reason(Failure f) noexcept {
  constexpr std::array<std::string_view, kFailureCount> kNames{
      "none",         "missing",        "too_large",      "malformed",     "unsupported_crit", "alg_not_allowed",
      "bad_issuer",   "unknown_kid",    "no_matching_key", "bad_signature", "keys_unavailable", "expired",
      "not_yet_valid", "issued_in_future", "bad_audience", "missing_claim", "lifetime_too_long", "forbidden"};
  return kNames[static_cast<std::size_t>(f)];
}

// The client-facing description (RFC 6750 error_description: printable
// ASCII without `"` or `\`).
constexpr std::string_view failure_description(Failure f) noexcept {
  switch (f) {
    case Failure::kNone: return "";
    case Failure::kMissing: return "a bearer token is required";
    case Failure::kTooLarge: return "the token is too large";
    case Failure::kMalformed: return "the token is malformed";
    case Failure::kUnsupportedCrit: return "the token requires an unsupported extension";
    case Failure::kAlgNotAllowed: return "the token's signing algorithm is not accepted";
    case Failure::kUnknownIssuer: return "the token's issuer is not accepted";
    case Failure::kUnknownKid: return "the token's signing key is unknown";
    case Failure::kNoMatchingKey: return "no key may verify the token";
    case Failure::kBadSignature: return "the token's signature is invalid";
    case Failure::kKeysUnavailable: return "the issuer's keys are not available";
    case Failure::kExpired: return "the token has expired";
    case Failure::kNotYetValid: return "the token is not valid yet";
    case Failure::kIssuedInFuture: return "the token is issued in the future";
    case Failure::kBadAudience: return "the token is not meant for this audience";
    case Failure::kMissingClaim: return "the token lacks a required claim";
    case Failure::kLifetimeTooLong: return "the token's lifetime is too long";
    case Failure::kForbidden: return "the token does not grant access to this resource";
  }
  return "";
}

}  // namespace gatehouse::policies::jwt
