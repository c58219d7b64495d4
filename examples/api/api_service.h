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

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "examples/api/api_settings.h"
#include "examples/api/auth/jwt_signer.h"
#include "examples/api/auth_handlers.h"
#include "examples/api/chat_handlers.h"
#include "examples/api/database.h"
#include "examples/api/identity.h"
#include "examples/api/post_handlers.h"
#include "examples/api/router.h"
#include "examples/api/user_handlers.h"
#include "proxy/server/buffered_http_server.h"

namespace gatehouse::api {

class ApiService {
 public:
  // `db` must be migrated; `db`, `io` and `signer` must outlive the
  // service. Async routes (password hashing) run on a thread pool the
  // service owns and complete on `io`; the destructor joins that pool.
  ApiService(Database& db, boost::asio::io_context& io, const auth::JwtSigner& signer, ApiSettings settings);
  ~ApiService();
  ApiService(const ApiService&) = delete;
  ApiService& operator=(const ApiService&) = delete;

  void handle(http::ServerRequest& request, const http::Respond& respond);

  // For modules that add their own routes (auth, users).
  Router& router() { return router_; }

 private:
  void dispatch(http::ServerRequest& request, const http::Respond& respond);

  Database& db_;
  ApiSettings settings_;
  boost::asio::thread_pool pool_{2};
  Identity identity_;
  Router router_;
  PostHandlers posts_;
  UserHandlers users_;
  AuthHandlers auth_;
  ChatHandlers chat_;
};

}  // namespace gatehouse::api
