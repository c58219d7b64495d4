#pragma once
// The /api/auth endpoints and the JWKS.
//
// Contract, per route (each answers exactly one response):
//   POST /api/auth/register  400 bad JSON | 422 VALIDATION | 409 CONFLICT email
//                            taken | 201 user JSON + Location
//   POST /api/auth/login     400 | 422 missing fields | 401 bad credentials
//                            (one message for unknown email and wrong
//                            password) | 200 {accessToken} + refresh cookie
//   POST /api/auth/refresh   401 no/unknown/expired/revoked cookie token |
//                            200 {accessToken} + a new refresh cookie; the
//                            presented token is revoked (rotation). Presenting
//                            an already revoked token revokes every refresh
//                            token of its user (reuse detection).
//   POST /api/auth/logout    204, clearing the cookie; the presented token
//                            (if any and known) is revoked.
//   GET  /.well-known/jwks.json  200 the signer's public keys
//
// Password hashing and verification run on `pool` (bcrypt takes ~250 ms at
// cost 12) and respond back on the io_context thread; SQL runs there too.

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "examples/api/api_settings.h"
#include "examples/api/auth/jwt_signer.h"
#include "examples/api/router.h"
#include "examples/api/user_store.h"

namespace gatehouse::api {

class AuthHandlers {
 public:
  // Everything given must outlive the handlers, and `pool` must be joined
  // before `io` is destroyed.
  AuthHandlers(Database& db, boost::asio::io_context& io, boost::asio::thread_pool& pool,
               const auth::JwtSigner& signer, const ApiSettings& settings)
      : db_(db), users_(db), tokens_(db), io_(io), pool_(pool), signer_(signer), settings_(settings) {}
  void register_routes(Router& router);

 private:
  void register_user(const ApiRequest& request, http::Respond respond);
  void login(const ApiRequest& request, http::Respond respond);
  http::ServerResponse refresh(const ApiRequest& request);
  http::ServerResponse logout(const ApiRequest& request);
  http::ServerResponse jwks() const;
  // 200 {accessToken, tokenType, expiresIn} + a new refresh cookie. With
  // `rotate_from`, that token is revoked and points at the new one, in one
  // transaction; 401 when another request rotated it first.
  http::ServerResponse issue_session(const User& user, std::optional<std::int64_t> rotate_from);

  Database& db_;
  UserStore users_;
  RefreshTokenStore tokens_;
  boost::asio::io_context& io_;
  boost::asio::thread_pool& pool_;
  const auth::JwtSigner& signer_;
  const ApiSettings& settings_;
};

}  // namespace gatehouse::api
