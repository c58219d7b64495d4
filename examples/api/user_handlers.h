#pragma once
// The /api/users endpoints (a user's posts are in post_handlers.h).
//
// Contract, per route (checks in the order identity, existence,
// permission, body; storage failures propagate to the dispatcher's 500):
//   GET    /api/users      401 | 403 not admin | 422 bad page/limit/cursor |
//                          200 {data, meta}, paginated like /api/posts
//   GET    /api/users/:id  401 | 404 | 200 user JSON (never the hash)
//   PATCH  /api/users/:id  401 | 404 | 403 neither self nor admin, or a
//                          non-admin setting "role" | 400 | 422 | 409 email
//                          taken | 200; fields: username, email, role
//                          ("user" or "admin", admins only)
//   DELETE /api/users/:id  401 | 403 not admin | 404 | 204 (the user's
//                          posts and refresh tokens go with it)

#include "examples/api/identity.h"
#include "examples/api/router.h"
#include "examples/api/user_store.h"

namespace gatehouse::api {

class UserHandlers {
 public:
  // `identity` must outlive the handlers.
  UserHandlers(Database& db, const Identity& identity) : store_(db), identity_(identity) {}
  // The handlers capture `this`: the UserHandlers must outlive the router.
  void register_routes(Router& router);

 private:
  http::ServerResponse list(const ApiRequest& request);
  http::ServerResponse get(const ApiRequest& request);
  http::ServerResponse patch(const ApiRequest& request);
  http::ServerResponse remove(const ApiRequest& request);

  UserStore store_;
  const Identity& identity_;
};

}  // namespace gatehouse::api
