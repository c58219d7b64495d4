#include "policies/security_headers/security_headers_policy.h"

namespace gatehouse::policies::security_headers {

void SecurityHeadersPolicy::on_response(policy::RequestContext& ctx, http::ResponseHead& response) const {
  http::HeaderMap& headers = response.headers;
  if (config_.hide_powered_by) headers.remove("X-Powered-By");
  switch (config_.server) {
    case SecurityHeadersConfig::ServerAction::kKeep:
      break;
    case SecurityHeadersConfig::ServerAction::kRemove:
      headers.remove("Server");
      break;
    case SecurityHeadersConfig::ServerAction::kReplace:
      headers.set("Server", config_.server_value);
      break;
  }
  const bool tls = ctx.is_tls();
  for (const SecurityHeader& header : config_.headers) {
    if (header.tls_only && !tls) continue;
    if (header.keep_upstream && headers.find(header.name) != nullptr) continue;
    headers.set(header.name, header.value);
  }
}

std::unique_ptr<const policy::Policy> create_security_headers_policy(const config::ConfigNode& options,
                                                                     const policy::PolicyBuildContext&) {
  std::optional<SecurityHeadersConfig> config = parse_security_headers_config(options);
  if (!config) return nullptr;
  return std::make_unique<const SecurityHeadersPolicy>(std::move(*config));
}

}  // namespace gatehouse::policies::security_headers
