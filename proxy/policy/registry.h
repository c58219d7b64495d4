#pragma once
// The one explicit table of policy types known to the config loader.
//
// Each entry parses a policy's YAML options (reporting errors against the
// options node) and builds the immutable Policy; a policy folder under
// policies/ provides its entry's function. Adding a policy = one line in
// registry.cc.

#include <memory>
#include <span>
#include <string_view>

#include "proxy/config/config_node.h"
#include "proxy/policy/policy.h"
#include "proxy/policy/services.h"

namespace gatehouse::policy {

struct PolicyFactory {
  std::string_view type;  // the YAML key, e.g. "headers"
  // Returns null after reporting errors on `options` (an undefined or null
  // node when the entry was a bare `- type`). `build` names the route and
  // gives access to process-wide services (see services.h).
  std::unique_ptr<const Policy> (*create)(const config::ConfigNode& options, const PolicyBuildContext& build);
};

std::span<const PolicyFactory> policy_factories() noexcept;
const PolicyFactory* find_policy_factory(std::string_view type) noexcept;

}  // namespace gatehouse::policy
