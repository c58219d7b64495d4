// `routes`: what each route matches, where it goes, and its policy chain.

#include <iterator>
#include <map>

#include <re2/re2.h>

#include "proxy/config/loader_sections.h"

namespace gatehouse::config::detail {
namespace {

std::string to_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// "*", "*.example.com", a host name, an IPv4 literal or an IPv6 literal
// (bare, as the router compares the Host header without its brackets); no port.
bool valid_host_pattern(std::string_view host) {
  if (host == "*") return true;
  if (host.find(':') != std::string_view::npos) {
    boost::system::error_code ec;
    const boost::asio::ip::address a = boost::asio::ip::make_address(std::string(host), ec);
    return !ec && a.is_v6() && host.find('%') == std::string_view::npos;
  }
  if (host.starts_with("*.")) host.remove_prefix(2);
  if (host.empty() || host.size() > 253) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i <= host.size(); ++i) {
    if (i == host.size() || host[i] == '.') {
      if (label == 0 || label > 63) return false;
      label = 0;
      continue;
    }
    const char c = host[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
    ++label;
  }
  return true;
}

bool valid_path(const ConfigNode& node, const std::string& path) {
  if (path.empty() || path.front() != '/') {
    node.error("must start with `/`, got `" + path + "`");
    return false;
  }
  if (path.find_first_of("?#") != std::string::npos) {
    node.error("paths are matched without the query string or fragment; remove `" +
               path.substr(path.find_first_of("?#")) + "`");
    return false;
  }
  for (char c : path) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      node.error("paths may not contain spaces or control characters");
      return false;
    }
  }
  return true;
}

void load_methods(const ConfigNode& node, RouteMatch& match) {
  static constexpr std::string_view kAllowed[] = {"GET",    "HEAD",    "POST",  "PUT",
                                                  "DELETE", "PATCH",   "OPTIONS", "TRACE"};
  if (node.is_sequence() && node.size() == 0)
    node.error("must list at least one method (leave it out to match any)");
  for (const ConfigNode& item : list_items(node)) {
    std::optional<std::string> name = item.as_string();
    if (!name) continue;
    bool known = false;
    for (std::string_view a : kAllowed) known = known || a == *name;
    if (!known) {
      std::string upper = *name;
      for (char& c : upper)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      bool case_only = false;
      for (std::string_view a : kAllowed) case_only = case_only || a == upper;
      std::vector<std::string_view> allowed(std::begin(kAllowed), std::end(kAllowed));
      std::string message = "unknown method `" + *name + "`";
      if (case_only) message += "; methods are uppercase: did you mean `" + upper + "`?";
      else message += " (expected GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS or TRACE)" +
                      did_you_mean(*name, allowed);
      item.error(message);
      continue;
    }
    match.methods[static_cast<std::size_t>(http::method_from_string(*name))] = true;
    match.any_method = false;
  }
}

void load_match(const ConfigNode& node, RouteMatch& match) {
  if (!node.defined() || !node.expect_map()) return;
  node.expect_keys({"host", "path", "path_prefix", "path_regex", "methods"});

  const ConfigNode host = node["host"];
  if (std::optional<std::string> h = host.as_string()) {
    std::string lower = to_lower(*h);
    // "[::1]" as the Host header writes it; the router compares without brackets.
    if (lower.size() > 2 && lower.front() == '[' && lower.back() == ']' &&
        lower.find(':') != std::string::npos)
      lower = lower.substr(1, lower.size() - 2);
    if (!valid_host_pattern(lower)) {
      host.error("expected `*`, `*.example.com` or a host name without a port, got `" + *h + "`");
    } else {
      match.host = std::move(lower);
    }
  }

  load_methods(node["methods"], match);

  const ConfigNode* chosen = nullptr;
  const char* chosen_key = nullptr;
  const ConfigNode path = node["path"], prefix = node["path_prefix"], regex = node["path_regex"];
  for (auto [child, key] : {std::pair{&path, "path"}, std::pair{&prefix, "path_prefix"},
                            std::pair{&regex, "path_regex"}}) {
    if (!child->defined()) continue;
    if (chosen) {
      child->error("`" + std::string(key) + "` cannot be combined with `" + chosen_key +
                   "`; use one of `path`, `path_prefix` or `path_regex`");
      continue;
    }
    chosen = child;
    chosen_key = key;
  }
  if (!chosen) return;
  std::optional<std::string> text = chosen->as_string();
  if (!text) return;
  if (chosen == &regex) {
    re2::RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<const re2::RE2>(*text, options);
    if (!re->ok()) {
      regex.error("invalid regular expression: " + re->error());
      return;
    }
    match.path_kind = RouteMatch::PathKind::kRegex;
    match.path_regex = std::move(re);
    return;
  }
  if (!valid_path(*chosen, *text)) return;
  match.path_kind = chosen == &path ? RouteMatch::PathKind::kExact : RouteMatch::PathKind::kPrefix;
  match.path = std::move(*text);
}

}  // namespace

std::vector<RouteConfig> load_routes(const ConfigNode& routes,
                                     const std::vector<std::string>& upstream_names,
                                     const PolicyDefaults& defaults, policy::PolicyServices& services,
                                     policy::Activations& activations) {
  std::vector<RouteConfig> out;
  if (!routes.defined() || !routes.expect_sequence()) return out;
  const std::vector<std::string_view> known_upstreams(upstream_names.begin(), upstream_names.end());
  std::map<std::string, std::size_t> names;  // name -> index of first use
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const ConfigNode node = routes.at(i);
    if (!node.expect_map()) continue;
    node.expect_keys({"name", "match", "upstream", "max_body_size", "access_log", "policies"});
    RouteConfig r;

    r.name = read_unique_name(node, i, "routes", names);

    load_match(node["match"], r.match);

    const ConfigNode upstream = require(node, "upstream");
    if (std::optional<std::string> u = upstream.as_string()) {
      std::size_t index = 0;
      while (index < upstream_names.size() && upstream_names[index] != *u) ++index;
      if (index == upstream_names.size()) {
        upstream.error("unknown upstream `" + *u + "`" +
                       (upstream_names.empty() ? std::string(" (no upstreams are declared)")
                                               : did_you_mean(*u, known_upstreams)));
      }
      r.upstream = std::move(*u);
      r.upstream_index = index;
    }

    r.max_body_size = node.size_or("max_body_size", r.max_body_size, 0, kGiB);
    if (const ConfigNode log = node["access_log"]; log.defined()) {
      // `off`/`on` as words, like a policy's `<type>: off`; `false`/`true` too.
      if (std::optional<std::string> v = log.as_string()) {
        if (*v == "off" || *v == "false") {
          r.access_log = false;
        } else if (*v == "on" || *v == "true") {
          r.access_log = true;
        } else {
          log.error("expected `off` or `on`, got `" + *v + "`");
        }
      }
    }
    r.policies = build_policy_chain(node["policies"], defaults,
                                    {.route_name = r.name, .services = services, .activations = &activations});
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace gatehouse::config::detail
