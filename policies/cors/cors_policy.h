#pragma once
// The `cors` policy: the server side of the Fetch standard's CORS protocol
// for one route (options in cors_config.h).
//
// - A preflight (OPTIONS with Origin and Access-Control-Request-Method) is
//   answered by Gatehouse and never reaches the upstream: 204 with the
//   Access-Control-Allow-* headers when the origin, the requested method and
//   every requested header are allowed; otherwise 403 (a JSON error naming
//   what was refused) without CORS headers, so the browser blocks the
//   request.
// - Any other request proceeds. If its Origin is allowed the response gets
//   Access-Control-Allow-Origin echoing it (or `*` when every origin is
//   allowed without credentials), -Allow-Credentials and -Expose-Headers as
//   configured. A disallowed origin gets no CORS headers (the browser then
//   withholds the response from the page; CORS never refuses the request
//   itself: the access policy does that).
// - Access-Control-* headers from the upstream are removed on every
//   response: this policy is the one source of them on its route (two
//   Access-Control-Allow-Origin fields make browsers fail the request).
// - Unless the answer is a constant `*`, every response carries
//   `Vary: Origin` (appended to an existing Vary), so that a cache never
//   serves one origin's answer to another.
//
// Place it first in a route's policies, before authentication: preflights
// carry no credentials. Never pauses; immutable, hence safe to share across
// worker threads.

#include <memory>

#include "policies/cors/cors_config.h"
#include "proxy/config/config_node.h"
#include "proxy/policy/policy.h"
#include "proxy/policy/services.h"

namespace gatehouse::policies::cors {

class CorsPolicy final : public policy::Policy {
 public:
  explicit CorsPolicy(CorsConfig config) : config_(std::move(config)) {}

  policy::RequestOutcome on_request(policy::RequestContext& ctx) const override;
  void on_response(policy::RequestContext& ctx, http::ResponseHead& response) const override;

 private:
  policy::RequestOutcome preflight(policy::RequestContext& ctx, const std::string& origin,
                                   const std::string& method) const;
  // Why the requested headers are refused, or empty when all are allowed.
  std::string refused_header(std::string_view requested) const;

  CorsConfig config_;
};

// The registry's entry (proxy/policy/registry.cc).
std::unique_ptr<const policy::Policy> create_cors_policy(const config::ConfigNode& options,
                                                         const policy::PolicyBuildContext& build);

}  // namespace gatehouse::policies::cors
