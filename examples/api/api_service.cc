#include "examples/api/api_service.h"

#include <exception>
#include <memory>

#include <boost/json/object.hpp>

#include "examples/api/json_response.h"
#include "proxy/common/log.h"

namespace gatehouse::api {

ApiService::ApiService(Database& db, boost::asio::io_context& io, const auth::JwtSigner& signer,
                       ApiSettings settings)
    : db_(db),
      settings_(std::move(settings)),
      identity_(signer, auth::access_token_expectations(settings_.tokens), settings_.trust_gateway_headers,
                settings_.gateway_networks),
      posts_(db, identity_),
      users_(db, identity_),
      auth_(db, io, pool_, signer, settings_) {
  router_.add(http::Method::kGet, "/healthz", [this](const ApiRequest&) {
    // Healthy means the database answers, not merely that we are running.
    db_.prepare("SELECT 1").run();
    return json_response(200, boost::json::object{{"status", "ok"}});
  });
  posts_.register_routes(router_);
  users_.register_routes(router_);
  auth_.register_routes(router_);
  chat_.register_routes(router_);
}

ApiService::~ApiService() {
  // Hashing jobs still queued finish first; their completions are posted
  // to the io_context, which outlives the service.
  pool_.join();
}

void ApiService::dispatch(http::ServerRequest& request, const http::Respond& respond) {
  Router::Match match = router_.match(request.head.method_id, request.head.path());
  switch (match.kind) {
    case Router::Match::Kind::kNotFound:
      return respond(error_response(404, "no such route"));
    case Router::Match::Kind::kMethodNotAllowed: {
      http::ServerResponse r = error_response(405, "method not allowed on this path");
      r.headers.set("Allow", match.allow);
      return respond(std::move(r));
    }
    case Router::Match::Kind::kFound:
      break;
  }
  ApiRequest api_request{request, std::move(match.params), QueryParams::parse(request.head.query())};
  (*match.handler)(api_request, respond);
}

void ApiService::handle(http::ServerRequest& request, const http::Respond& respond) {
  std::string what = request.head.method + " " + std::string(request.head.path());
  auto responded = std::make_shared<bool>(false);
  http::Respond once = [responded, respond, what](http::ServerResponse response) {
    if (*responded) {
      log_error("dropped a second response for " + what);
      return;
    }
    *responded = true;
    respond(std::move(response));
  };
  try {
    dispatch(request, once);
  } catch (const std::exception& e) {
    log_error("unhandled exception in " + what + ": " + e.what());
    if (!*responded) once(error_response(500, "internal error"));
  } catch (...) {
    log_error("unhandled exception in " + what + ": unknown type");
    if (!*responded) once(error_response(500, "internal error"));
  }
}

}  // namespace gatehouse::api
