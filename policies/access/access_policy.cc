#include "policies/access/access_policy.h"

#include <algorithm>
#include <string>

#include <boost/asio/ip/address.hpp>

#include "proxy/http/error_response.h"

namespace gatehouse::policies::access {

bool AccessPolicy::client_allowed(std::string_view address) const noexcept {
  if (config_.allow_ips.empty() && config_.deny_ips.empty()) return true;
  boost::system::error_code ec;
  const boost::asio::ip::address client = boost::asio::ip::make_address(address, ec);
  // An address that does not parse cannot be checked: refuse (fail closed).
  if (ec) return false;
  if (any_contains(config_.deny_ips, client)) return false;
  return config_.allow_ips.empty() || any_contains(config_.allow_ips, client);
}

policy::RequestOutcome AccessPolicy::on_request(policy::RequestContext& ctx) const {
  if (!client_allowed(ctx.client_address())) {
    return policy::RequestOutcome::respond_error(403, "forbidden", "the client address is not allowed on this route");
  }
  http::RequestHead& request = ctx.request();
  if (!config_.methods.empty() &&
      std::find(config_.methods.begin(), config_.methods.end(), request.method) == config_.methods.end()) {
    policy::LocalReply reply;
    reply.status = 405;
    reply.headers.set("Allow", config_.allow_header);
    reply.body = http::json_error_body("method_not_allowed",
                                       "method " + request.method + " is not allowed on this route",
                                       ctx.request_id());
    return policy::RequestOutcome::respond(std::move(reply));
  }
  if (config_.max_header_count) {
    // X-Request-Id is not counted: the proxy adds one when the client sent
    // none, and the limit is about what the client sends.
    std::uint64_t count = 0;
    for (const http::Header& h : request.headers) count += http::iequals(h.name, "X-Request-Id") ? 0 : 1;
    if (count > *config_.max_header_count) {
      return policy::RequestOutcome::respond_error(
          431, "header_fields_too_large",
          "the request has " + std::to_string(count) + " header fields; this route accepts at most " +
              std::to_string(*config_.max_header_count));
    }
  }
  if (config_.max_body_size) {
    if (request.framing == http::BodyFraming::kContentLength && request.content_length > *config_.max_body_size) {
      return policy::RequestOutcome::respond_error(413, "content_too_large",
                                                   "request body exceeds the route's body size limit");
    }
    ctx.limit_request_body(*config_.max_body_size);
  }
  return policy::RequestOutcome::proceed();
}

std::unique_ptr<const policy::Policy> create_access_policy(const config::ConfigNode& options,
                                                           const policy::PolicyBuildContext&) {
  std::optional<AccessConfig> config = parse_access_config(options);
  if (!config) return nullptr;
  return std::make_unique<const AccessPolicy>(std::move(*config));
}

}  // namespace gatehouse::policies::access
