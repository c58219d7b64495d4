#pragma once
// The API as one request handler for BufferedHttpServer: routing, the
// health check and the failure boundary.
//
// Contract: handle() makes sure `respond` is called at most once (a second
// response from a faulty handler is logged and dropped). No exception leaves
// it: anything a route throws before responding is logged (method, path,
// what()) to stderr and answered 500 with a generic message, so internals
// never reach the client. Synchronous routes respond before handle()
// returns; async routes respond when their work completes.

#include "examples/api/database.h"
#include "examples/api/post_handlers.h"
#include "examples/api/router.h"
#include "proxy/server/buffered_http_server.h"

namespace gatehouse::api {

class ApiService {
 public:
  // `db` must be migrated and outlive the service.
  explicit ApiService(Database& db);
  ApiService(const ApiService&) = delete;
  ApiService& operator=(const ApiService&) = delete;

  void handle(http::ServerRequest& request, const http::Respond& respond);

  // For modules that add their own routes (auth, users).
  Router& router() { return router_; }

 private:
  void dispatch(http::ServerRequest& request, const http::Respond& respond);

  Database& db_;
  Router router_;
  PostHandlers posts_;
};

}  // namespace gatehouse::api
