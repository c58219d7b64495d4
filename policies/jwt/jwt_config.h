#pragma once
// The `jwt` policy's options, parsed once at config load (key files are
// read here, on the control thread):
//
//   - jwt:
//       issuers:
//         - issuer: http://127.0.0.1:3000          # the exact `iss`
//           audiences: [gatehouse-demo]            # `aud` must contain one
//           algorithms: [ES256]                    # allowed for this issuer
//           # one key source:
//           jwks_uri: https://idp.example/.well-known/jwks.json   # + ca_file, min_cache_ttl, max_cache_ttl,
//                                                                  #   refetch_interval, fetch_timeout
//           jwks_file: keys/jwks.json
//           public_key_files: [keys/a.pem]
//           secret: ${JWT_SECRET}
//       token_from: [authorization, cookie:session, query:access_token]
//       max_token_size: 8KiB
//       optional: false
//       leeway: 60s
//       max_lifetime: 1d
//       required_claims: [sub]
//       require: { role: [admin] }
//       claims_to_headers: { sub: X-User-Id, role: X-User-Role }
//       forward_token: true
//       realm: gatehouse
//       cache: { max_entries: 10000 }            # or `cache: off`
//
// Defaults and ranges are documented in docs/configuration.md (### jwt).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "policies/jwt/algorithm.h"
#include "policies/jwt/claim_rules.h"
#include "policies/jwt/claims_check.h"
#include "policies/jwt/remote_jwks_settings.h"
#include "policies/jwt/verification_key.h"
#include "proxy/config/config_node.h"

namespace gatehouse::policies::jwt {

struct IssuerConfig {
  ClaimRequirements claims;             // issuer, audiences, leeway, lifetime, required claims
  std::vector<Algorithm> algorithms;    // allowed; each suits the key source
  std::shared_ptr<const KeySet> keys;   // secret / PEM files / local JWKS (null with `remote`)
  std::optional<RemoteJwksSettings> remote;

  bool allows(Algorithm alg) const noexcept;
};

struct TokenSource {
  enum class Kind : std::uint8_t { kAuthorization, kHeader, kCookie, kQuery };
  Kind kind = Kind::kAuthorization;
  std::string name;  // header, cookie or query parameter name (not for kAuthorization)
};

struct HeaderFromClaim {
  std::string claim;   // dotted names walk nested objects
  std::string header;
};

struct JwtConfig {
  std::vector<IssuerConfig> issuers;
  std::vector<TokenSource> token_from{TokenSource{}};
  std::uint64_t max_token_size = 8 * 1024;
  bool optional = false;
  std::optional<ClaimRule> require;
  std::vector<HeaderFromClaim> claims_to_headers;
  bool forward_token = true;
  std::string realm = "gatehouse";
  std::size_t cache_entries = 10000;  // 0: no verification cache
};

// Parses and validates `...policies[i].jwt`, reading key files; every
// problem is reported against its node. nullopt when anything was reported.
std::optional<JwtConfig> parse_jwt_config(const config::ConfigNode& options);

}  // namespace gatehouse::policies::jwt
