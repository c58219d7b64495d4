#pragma once
// The JWK set served at GET /.well-known/jwks.json (RFC 7517 section 5), so
// that Gatehouse (or anyone) can verify the API's ES256 tokens by "kid".

#include <span>
#include <string>

#include <boost/json/object.hpp>

#include "examples/api/auth/jwt_signer.h"

namespace gatehouse::api::auth {

// {"keys":[{"kty":"EC","crv":"P-256","x":..,"y":..,"use":"sig",
// "alg":"ES256","kid":..}, ...]}, one entry per ES256 signer, in order
// (list the current key first and a retiring one after it during rotation).
// HS256 signers add nothing: a shared secret is never published.
boost::json::object build_jwks(std::span<const JwtSigner* const> signers);

// build_jwks for one signer, serialised (the response body).
std::string jwks_json(const JwtSigner& signer);

}  // namespace gatehouse::api::auth
