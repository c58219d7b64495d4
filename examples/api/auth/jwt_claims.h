#pragma once
// The time and audience checks JwtSigner::verify() applies to a payload
// whose signature has already verified (RFC 7519 section 4.1).

#include <chrono>

#include <boost/json/object.hpp>

#include "examples/api/auth/jwt_signer.h"

namespace gatehouse::api::auth {

// kNone when: "exp" is a number and now < exp + leeway; "nbf", if present,
// is a number and nbf <= now + leeway; "iss" is a string equal to
// expect.issuer; "aud" is a string equal to expect.audience or an array
// holding that string. Otherwise the first failed check's error.
JwtError check_claims(const boost::json::object& claims, const JwtExpectations& expect,
                      std::chrono::system_clock::time_point now);

}  // namespace gatehouse::api::auth
