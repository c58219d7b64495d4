#pragma once
// The /api/posts endpoints and /api/users/:id/posts.
//
// Contract, per route (each answers exactly one response; storage failures
// propagate as exceptions to the dispatcher, which answers 500):
//   POST   /api/posts             401 no identity | 400 bad JSON | 422 | 201 + Location
//   GET    /api/posts             422 bad page/limit/cursor | 200 {data, meta}
//   GET    /api/posts/:id         404 | 304 (If-None-Match / If-Modified-Since) | 200
//   PUT    /api/posts/:id         401 | 404 | 403 not author nor admin |
//                                 412 If-Match stale | 400 | 422 | 200
//   PATCH  /api/posts/:id         same as PUT, any subset of {title, body}
//   DELETE /api/posts/:id         401 | 404 | 403 | 412 | 204
//   GET    /api/users/:id/posts   404 unknown user | 422 | 200 {data, meta}
// Checks run in that order: identity, existence, permission, precondition,
// body.

#include "examples/api/identity.h"
#include "examples/api/post_store.h"
#include "examples/api/router.h"

namespace gatehouse::api {

class PostHandlers {
 public:
  // `identity` must outlive the handlers.
  PostHandlers(Database& db, const Identity& identity) : store_(db), identity_(identity) {}
  // The handlers capture `this`: the PostHandlers must outlive the router.
  void register_routes(Router& router);

 private:
  http::ServerResponse create(const ApiRequest& request);
  http::ServerResponse list(const ApiRequest& request);
  http::ServerResponse list_by_user(const ApiRequest& request);
  http::ServerResponse get(const ApiRequest& request);
  http::ServerResponse replace(const ApiRequest& request, bool partial);
  http::ServerResponse remove(const ApiRequest& request);
  http::ServerResponse list_page(const ApiRequest& request, std::optional<std::int64_t> author_id);

  PostStore store_;
  const Identity& identity_;
};

}  // namespace gatehouse::api
