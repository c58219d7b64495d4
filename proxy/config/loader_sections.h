#pragma once
// Internal to the config loader: one function per section of the file, each
// reporting its errors through the ConfigNode it is given and returning what
// it could build (the loader discards everything when any error was found).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/config.h"
#include "proxy/config/config_node.h"
#include "proxy/policy/registry.h"

namespace gatehouse::config::detail {

// Size units for the loaders' bounds and defaults.
inline constexpr std::uint64_t kKiB = 1024;
inline constexpr std::uint64_t kMiB = 1024 * kKiB;
inline constexpr std::uint64_t kGiB = 1024 * kMiB;

// The child `key`, reporting "missing required key" against `parent` when absent.
ConfigNode require(const ConfigNode& parent, std::string_view key);

// The required, non-empty `name` of item `index` of a list whose names must
// be unique (`section` names the list in messages, e.g. "routes"); `names`
// maps each name seen so far to its index. Empty when missing or invalid.
std::string read_unique_name(const ConfigNode& item, std::size_t index, std::string_view section,
                             std::map<std::string, std::size_t>& names);

// The items of a list that may also be written as a single scalar
// (`targets: 127.0.0.1:3000`); reports anything else on `node`.
std::vector<ConfigNode> list_items(const ConfigNode& node);

// "HOST:PORT" / "[IPv6]:PORT" where HOST is an IP literal; reports on `node`.
std::optional<Endpoint> read_ip_endpoint(const ConfigNode& node);
// Whether two listening addresses would collide (same port, and the same
// address or a wildcard covering the other). Port 0 never collides.
bool endpoints_conflict(const Endpoint& a, const Endpoint& b);
std::string endpoint_text(const Endpoint& e);

std::vector<ListenerConfig> load_listeners(const ConfigNode& listeners, policy::PolicyServices& services);

// A listener's `tls` block (certificates read and checked now) into `l`.
void load_listener_tls(const ConfigNode& tls, ListenerConfig& l, policy::PolicyServices& services);
// A listener's `redirect_to_https`: `true` (port 443) or `{ port: N }`.
void load_https_redirect(const ConfigNode& redirect, ListenerConfig& l);

// `names` receives every declared upstream name in file order, including
// those with errors, so that routes naming them do not report twice.
std::vector<UpstreamConfig> load_upstreams(const ConfigNode& upstreams,
                                           std::vector<std::string>& names);

// A validated `policies` list: entries that did not parse are left out.
struct PolicyEntry {
  std::string type;
  const policy::PolicyFactory* factory = nullptr;  // null when the type is unknown
  ConfigNode options;                              // undefined for a bare `- type`
  bool off = false;                                // `type: off`
};

// The defaults every route starts from; each is built once here so that its
// errors are reported even when no route uses it.
struct PolicyDefaults {
  std::vector<PolicyEntry> entries;
};
PolicyDefaults load_policy_defaults(const ConfigNode& defaults, policy::PolicyServices& services);

// A route's chain: the defaults (merged with the route's entries of the
// same type, dropped by `type: off`), then the route's other policies.
policy::PolicyChain build_policy_chain(const ConfigNode& route_policies, const PolicyDefaults& defaults,
                                       const policy::PolicyBuildContext& build);

// The top-level `access_log` (disabled when absent).
access_log::AccessLogConfig load_access_log(const ConfigNode& node, policy::PolicyServices& services);

std::vector<RouteConfig> load_routes(const ConfigNode& routes,
                                     const std::vector<std::string>& upstream_names,
                                     const PolicyDefaults& defaults, policy::PolicyServices& services,
                                     policy::Activations& activations);

}  // namespace gatehouse::config::detail
