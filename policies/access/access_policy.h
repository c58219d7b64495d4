#pragma once
// The `access` policy (request hygiene): refuses, before the upstream is
// contacted, requests from clients outside the configured networks (403),
// with a method the route does not serve (405 with Allow), with too many
// header fields (431), or with a body over the size limit (413). Options in
// access_config.h.
//
// Contract: responds or proceeds, never pauses. The client address is the
// one after trusted-proxy handling (RequestContext::client_address()). A
// Content-Length over max_body_size is refused at once; a chunked body is
// limited through RequestContext::limit_request_body() and refused by the
// proxy with 413 as soon as it streams past the limit. Immutable, hence
// safe to share across worker threads.

#include <memory>

#include "policies/access/access_config.h"
#include "proxy/config/config_node.h"
#include "proxy/policy/policy.h"
#include "proxy/policy/services.h"

namespace gatehouse::policies::access {

class AccessPolicy final : public policy::Policy {
 public:
  explicit AccessPolicy(AccessConfig config) : config_(std::move(config)) {}

  policy::RequestOutcome on_request(policy::RequestContext& ctx) const override;

 private:
  bool client_allowed(std::string_view address) const noexcept;

  AccessConfig config_;
};

// The registry's entry (proxy/policy/registry.cc).
std::unique_ptr<const policy::Policy> create_access_policy(const config::ConfigNode& options,
                                                           const policy::PolicyBuildContext& build);

}  // namespace gatehouse::policies::access
