#include "policies/cors/cors_policy.h"

#include <algorithm>
#include <string>

namespace gatehouse::policies::cors {
namespace {

// What on_request() decided, for on_response().
struct CorsDecision final : policy::RequestData {
  std::string allow_origin;  // empty: no CORS headers
  bool preflight = false;    // the reply was built complete in on_request()
};

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Fetch: GET, HEAD and POST need no Access-Control-Allow-Methods entry.
bool is_safelisted_method(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "POST";
}

bool is_cors_header(std::string_view name) {
  return name.size() > 15 && http::iequals(name.substr(0, 15), "access-control-");
}

void append_vary(http::HeaderMap& headers, std::string_view token) {
  std::string* vary = headers.find("Vary");
  if (vary == nullptr) {
    headers.add("Vary", token);
    return;
  }
  if (http::list_contains_token(*vary, token) || http::list_contains_token(*vary, "*")) return;
  if (trim_ows(*vary).empty()) {
    *vary = std::string(token);
  } else {
    vary->append(", ").append(token);
  }
}

}  // namespace

std::string CorsPolicy::refused_header(std::string_view requested) const {
  while (!requested.empty()) {
    const std::size_t comma = std::min(requested.find(','), requested.size());
    const std::string_view name = trim_ows(requested.substr(0, comma));
    requested.remove_prefix(std::min(comma + 1, requested.size()));
    if (name.empty()) continue;
    // Fetch: `*` never covers Authorization, which must be listed by name.
    if (config_.any_header && !http::iequals(name, "authorization")) continue;
    const bool listed = std::any_of(config_.allow_headers.begin(), config_.allow_headers.end(),
                                    [&](const std::string& allowed) { return http::iequals(allowed, name); });
    if (!listed) return std::string(name);
  }
  return {};
}

policy::RequestOutcome CorsPolicy::preflight(policy::RequestContext& ctx, const std::string& origin,
                                             const std::string& method) const {
  auto decision = std::make_unique<CorsDecision>();
  decision->preflight = true;
  ctx.set_data(this, std::move(decision));
  if (!config_.origin_allowed(origin)) {
    return policy::RequestOutcome::respond_error(403, "cors_origin_not_allowed",
                                                 "origin " + origin + " is not allowed on this route");
  }
  const bool method_allowed = config_.any_method || is_safelisted_method(method) ||
                              std::find(config_.allow_methods.begin(), config_.allow_methods.end(), method) !=
                                  config_.allow_methods.end();
  if (!method_allowed) {
    return policy::RequestOutcome::respond_error(403, "cors_method_not_allowed",
                                                 "method " + method + " is not allowed for cross-origin requests");
  }
  const http::HeaderMap& headers = ctx.request().headers;
  const std::string* requested = headers.find("Access-Control-Request-Headers");
  if (requested != nullptr) {
    if (std::string refused = refused_header(*requested); !refused.empty()) {
      return policy::RequestOutcome::respond_error(
          403, "cors_header_not_allowed", "request header " + refused + " is not allowed for cross-origin requests");
    }
  }
  policy::LocalReply reply;
  reply.status = 204;
  http::HeaderMap& out = reply.headers;
  const bool wildcard = config_.any_origin && !config_.allow_credentials;
  out.add("Access-Control-Allow-Origin", wildcard ? std::string_view("*") : std::string_view(origin));
  if (config_.allow_credentials) out.add("Access-Control-Allow-Credentials", "true");
  out.add("Access-Control-Allow-Methods", config_.allow_methods_value);
  // The requested names, all checked above: exact for this preflight, and
  // correct whether the configuration lists names or `*`.
  if (requested != nullptr && !trim_ows(*requested).empty()) {
    out.add("Access-Control-Allow-Headers", trim_ows(*requested));
  }
  if (config_.max_age) out.add("Access-Control-Max-Age", std::to_string(config_.max_age->count()));
  if (!wildcard) out.add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  return policy::RequestOutcome::respond(std::move(reply));
}

policy::RequestOutcome CorsPolicy::on_request(policy::RequestContext& ctx) const {
  const http::RequestHead& request = ctx.request();
  const std::string* origin = request.headers.find("Origin");
  if (origin == nullptr) return policy::RequestOutcome::proceed();  // not a CORS request
  if (request.method_id == http::Method::kOptions) {
    if (const std::string* method = request.headers.find("Access-Control-Request-Method")) {
      return preflight(ctx, *origin, *method);
    }
  }
  if (config_.origin_allowed(*origin)) {
    auto decision = std::make_unique<CorsDecision>();
    decision->allow_origin = config_.any_origin && !config_.allow_credentials ? "*" : *origin;
    ctx.set_data(this, std::move(decision));
  }
  return policy::RequestOutcome::proceed();
}

void CorsPolicy::on_response(policy::RequestContext& ctx, http::ResponseHead& response) const {
  const auto* decision = ctx.data_as<CorsDecision>(this);
  if (decision != nullptr && decision->preflight) return;
  http::HeaderMap& headers = response.headers;
  headers.remove_if([](const http::Header& h) { return is_cors_header(h.name); });
  if (!(config_.any_origin && !config_.allow_credentials)) append_vary(headers, "Origin");
  if (decision == nullptr || decision->allow_origin.empty()) return;
  headers.add("Access-Control-Allow-Origin", decision->allow_origin);
  if (config_.allow_credentials) headers.add("Access-Control-Allow-Credentials", "true");
  if (!config_.expose_headers.empty()) headers.add("Access-Control-Expose-Headers", config_.expose_headers);
}

std::unique_ptr<const policy::Policy> create_cors_policy(const config::ConfigNode& options,
                                                         const policy::PolicyBuildContext&) {
  std::optional<CorsConfig> config = parse_cors_config(options);
  if (!config) return nullptr;
  return std::make_unique<const CorsPolicy>(std::move(*config));
}

}  // namespace gatehouse::policies::cors
