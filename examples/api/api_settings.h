#pragma once
// What gatehouse-api is configured with beyond its listen address and
// database (main.cc reads these from flags and the YAML config).

#include "examples/api/auth/access_token.h"
#include "examples/api/auth/password.h"

namespace gatehouse::api {

struct ApiSettings {
  // Issuer and audience put into access tokens and required of them, plus
  // the access (15 min) and refresh (7 days) lifetimes.
  auth::TokenSettings tokens{"http://127.0.0.1:3000", "gatehouse-demo"};
  // bcrypt cost for new password hashes; only tests lower it (min 4).
  int bcrypt_cost = auth::kBcryptCost;
  // Trust X-User-Id / X-User-Role from the caller instead of requiring a
  // bearer token (see identity.h): only behind Gatehouse.
  bool trust_gateway_headers = false;
};

}  // namespace gatehouse::api
