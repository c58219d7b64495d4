#pragma once
// The `headers` policy: removes, sets and adds request headers before the
// request goes upstream, and response headers before the response goes to
// the client (options in headers_config.h).
//
// Contract: never pauses or responds. Everything was parsed and validated at
// load, so a request only pays for the header writes themselves. Immutable,
// hence safe to share across worker threads.

#include <memory>

#include "policies/headers/headers_config.h"
#include "proxy/config/config_node.h"
#include "proxy/policy/policy.h"
#include "proxy/policy/services.h"

namespace gatehouse::policies::headers {

class HeadersPolicy final : public policy::Policy {
 public:
  explicit HeadersPolicy(HeadersConfig config) : config_(std::move(config)) {}

  // Edits ctx.request().headers; always proceeds.
  policy::RequestOutcome on_request(policy::RequestContext& ctx) const override;
  // Edits `response.headers`, whether the response came from the upstream or
  // from a policy's respond().
  void on_response(policy::RequestContext& ctx, http::ResponseHead& response) const override;

  const HeadersConfig& config() const noexcept { return config_; }

 private:
  HeadersConfig config_;
};

// The registry's entry (proxy/policy/registry.cc): parses `options` and
// builds the policy, or reports errors against `options` and returns null.
std::unique_ptr<const policy::Policy> create_headers_policy(const config::ConfigNode& options,
                                                            const policy::PolicyBuildContext& build);

}  // namespace gatehouse::policies::headers
