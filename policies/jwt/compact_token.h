#pragma once
// JWS compact serialization (RFC 7515 §7.1), parsed strictly and without
// trusting anything yet: the caller still has to pick the key and verify
// the signature before any claim may be believed.
//
// Accepted: exactly three segments of canonical unpadded base64url (see
// base64url.h); a protected header that is a JSON object with a string
// `alg` naming a supported algorithm (`none` never is); an optional string
// `kid`; no `crit` (this verifier implements no extension, so any listed
// one is unsupported, RFC 7515 §4.1.11); a payload that is a JSON object.
// JSON is limited in depth, so deeply nested input is refused cheaply.
// Header parameters that point at keys (`jku`, `jwk`, `x5u`, `x5c`) are
// ignored: keys come from configuration only.

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "policies/jwt/algorithm.h"
#include "policies/jwt/failure.h"

namespace gatehouse::policies::jwt {

inline constexpr std::size_t kMaxJsonDepth = 16;

struct CompactToken {
  boost::json::object header;
  boost::json::object claims;
  Algorithm alg = Algorithm::kHS256;
  std::string kid;            // empty when the header has none
  bool has_kid = false;
  std::string_view signing_input;  // header.payload, a view into the parsed text
  std::string signature;
};

// kNone and `out` filled on success; otherwise kMalformed,
// kUnsupportedCrit or kAlgNotAllowed. Never throws.
Failure parse_compact(std::string_view token, CompactToken& out);

}  // namespace gatehouse::policies::jwt
