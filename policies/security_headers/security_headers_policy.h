#pragma once
// The `security_headers` policy: writes browser security headers (helmet 8's
// set by default) on every response of its route, replaces or removes
// `Server`, and removes `X-Powered-By` (options in security_headers_config.h).
//
// Contract: never pauses or responds; works in the response phase only, on
// upstream responses and local replies alike. Strict-Transport-Security is
// written only when the client connection is TLS (RequestContext::is_tls()).
// Immutable, hence safe to share across worker threads.

#include <memory>

#include "policies/security_headers/security_headers_config.h"
#include "proxy/config/config_node.h"
#include "proxy/policy/policy.h"
#include "proxy/policy/services.h"

namespace gatehouse::policies::security_headers {

class SecurityHeadersPolicy final : public policy::Policy {
 public:
  explicit SecurityHeadersPolicy(SecurityHeadersConfig config) : config_(std::move(config)) {}

  void on_response(policy::RequestContext& ctx, http::ResponseHead& response) const override;

  const SecurityHeadersConfig& config() const noexcept { return config_; }

 private:
  SecurityHeadersConfig config_;
};

// The registry's entry (proxy/policy/registry.cc).
std::unique_ptr<const policy::Policy> create_security_headers_policy(const config::ConfigNode& options,
                                                                     const policy::PolicyBuildContext& build);

}  // namespace gatehouse::policies::security_headers
