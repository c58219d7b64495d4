#pragma once
// Who is calling: the one place the handlers learn the caller's identity
// from.
//
// By default the caller is whoever the request's `Authorization: Bearer
// <jwt>` names: an access token this API signed (ES256, or HS256 when so
// configured), unexpired, with the configured issuer and audience. The
// token's `sub` is the user id and `role` its role. Anything else (no
// header, a bad or expired token) is no identity, and the X-User-* headers
// are ignored.
//
// Behind Gatehouse (`--trust-gateway-headers`): the gateway verifies the JWT
// itself (through this API's JWKS) and forwards its claims as `X-User-Id`
// (from `sub`, a positive integer) and `X-User-Role` (from `role`; "admin",
// anything else means "user"), stripping any such headers the client sent
// (the JWT policy's claim-to-header mapping, issue 6). In that mode the API
// takes those headers as the identity when the request comes from one of the
// gateway's networks (`--gateway-networks`, loopback by default; from
// elsewhere they are ignored), and a bearer token is still accepted when no
// X-User-Id is present. Enable it only when (a) the API listens on
// an address that nothing but the gateway can reach (loopback or a private
// network) and (b) every gateway route to the API strips client-sent
// X-User-* headers; otherwise any client could claim to be any user.

#include <cstdint>
#include <optional>
#include <string>

#include <vector>

#include "examples/api/auth/jwt_signer.h"
#include "proxy/common/cidr.h"
#include "proxy/server/buffered_http_server.h"

namespace gatehouse::api {

struct Caller {
  std::int64_t user_id = 0;
  std::string role = "user";
  bool is_admin() const { return role == "admin"; }
};

class Identity {
 public:
  // `signer` must outlive the Identity.
  // `gateway_networks`: the peers whose X-User-* headers are believed when
  // `trust_gateway_headers` is on; from anyone else they are ignored.
  Identity(const auth::JwtSigner& signer, auth::JwtExpectations expect, bool trust_gateway_headers,
           std::vector<Cidr> gateway_networks = {})
      : signer_(signer),
        expect_(std::move(expect)),
        trust_gateway_headers_(trust_gateway_headers),
        gateway_networks_(std::move(gateway_networks)) {}

  // The caller, or nullopt when the request carries no (valid) identity.
  std::optional<Caller> current_user(const http::ServerRequest& request) const;

 private:
  const auth::JwtSigner& signer_;
  auth::JwtExpectations expect_;
  bool trust_gateway_headers_;
  std::vector<Cidr> gateway_networks_;
};

}  // namespace gatehouse::api
