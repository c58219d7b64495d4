#include "examples/api/auth/jwks.h"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

namespace gatehouse::api::auth {

boost::json::object build_jwks(std::span<const JwtSigner* const> signers) {
  boost::json::array keys;
  for (const JwtSigner* signer : signers) {
    if (signer == nullptr || !signer->public_jwk()) continue;
    const EcPublicJwk& jwk = *signer->public_jwk();
    keys.push_back(boost::json::object{{"kty", "EC"},   {"crv", "P-256"}, {"x", jwk.x},
                                       {"y", jwk.y},    {"use", "sig"},   {"alg", "ES256"},
                                       {"kid", jwk.kid}});
  }
  return boost::json::object{{"keys", std::move(keys)}};
}

std::string jwks_json(const JwtSigner& signer) {
  const JwtSigner* one[] = {&signer};
  return boost::json::serialize(build_jwks(one));
}

}  // namespace gatehouse::api::auth
