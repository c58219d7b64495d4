#pragma once
// JSON Web Key Sets (RFC 7517) into verification keys.
//
// Honoured per key: `kty` (RSA, EC with crv P-256/P-384/P-521, OKP with crv
// Ed25519), `kid`, `use` (only `sig` keys are kept), `key_ops` (only keys
// allowing `verify`), `alg` (the key then verifies that algorithm only; an
// alg that does not suit the key type drops the key). Symmetric (`oct`)
// keys are never taken from a JWKS: an HMAC secret is configured as a
// secret, and a published set must not be able to introduce one. Private
// members (`d`, ...) are ignored. A key that cannot be used is skipped and
// listed in `skipped` (with why), so one odd key does not take the others
// down.

#include <string>
#include <string_view>
#include <vector>

#include "policies/jwt/verification_key.h"

namespace gatehouse::policies::jwt {

struct JwksParseResult {
  bool ok = false;             // the document is a JSON object with a `keys` array
  std::string error;           // why not, when !ok
  KeySet keys;
  std::vector<std::string> skipped;  // "key 2 (kid `x`): why"
};

JwksParseResult parse_jwks(std::string_view json);

}  // namespace gatehouse::policies::jwt
