#pragma once
// What gatehouse-api is configured with beyond its listen address and
// database (main.cc reads these from flags and the YAML config).

#include <vector>

#include "examples/api/auth/access_token.h"
#include "examples/api/auth/password.h"
#include "proxy/common/cidr.h"

namespace gatehouse::api {

// 127.0.0.0/8 and ::1: a gateway on the same machine.
inline std::vector<Cidr> default_gateway_networks() {
  return {*Cidr::parse("127.0.0.0/8"), *Cidr::parse("::1/128")};
}

struct ApiSettings {
  // Issuer and audience put into access tokens and required of them, plus
  // the access (15 min) and refresh (7 days) lifetimes.
  auth::TokenSettings tokens{"http://127.0.0.1:3000", "gatehouse-demo"};
  // bcrypt cost for new password hashes; only tests lower it (min 4).
  int bcrypt_cost = auth::kBcryptCost;
  // Trust X-User-Id / X-User-Role from the caller instead of requiring a
  // bearer token (see identity.h): only behind Gatehouse, and only from
  // peers in `gateway_networks` (loopback by default).
  bool trust_gateway_headers = false;
  std::vector<Cidr> gateway_networks = default_gateway_networks();
};

}  // namespace gatehouse::api
