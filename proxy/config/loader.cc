// The top of the config file: document parsing, top-level keys, `workers`,
// `drain_timeout` and `admin`. Listeners, upstreams, routes and policies are
// loaded by their own files (see loader_sections.h).

#include "proxy/config/loader.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "proxy/config/loader_sections.h"

namespace gatehouse::config {
namespace {

constexpr unsigned kMaxWorkers = 1024;

unsigned load_workers(const ConfigNode& node) {
  const unsigned hardware = std::max(1u, std::min(std::thread::hardware_concurrency(), kMaxWorkers));
  if (!node.defined()) return hardware;
  const std::string expected = "expected `auto` or an integer from 1 to " + std::to_string(kMaxWorkers);
  if (!node.is_scalar()) {
    node.error(expected);
    return hardware;
  }
  std::optional<std::string> text = node.as_string();
  if (!text) return hardware;
  if (*text == "auto") return hardware;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || ec != std::errc() || end != text->data() + text->size() || value < 1 ||
      value > kMaxWorkers) {
    node.error(expected + ", got `" + *text + "`");
    return hardware;
  }
  return value;
}

AdminConfig load_admin(const ConfigNode& node) {
  AdminConfig admin;
  if (!node.defined() || !node.expect_map()) return admin;
  node.expect_keys({"address"});
  if (ConfigNode address = node["address"]; address.defined()) {
    if (std::optional<Endpoint> e = detail::read_ip_endpoint(address)) admin.address = *e;
  }
  return admin;
}

void check_admin_conflicts(const ConfigNode& node, const AdminConfig& admin,
                           const std::vector<ListenerConfig>& listeners) {
  for (const ListenerConfig& l : listeners) {
    if (!detail::endpoints_conflict(admin.address, l.address)) continue;
    ConfigNode at = node["address"].defined() ? node["address"] : node;
    at.error("admin address `" + detail::endpoint_text(admin.address) +
             "` collides with listener `" + l.name + "` (`" + detail::endpoint_text(l.address) + "`)");
  }
}

std::shared_ptr<Config> load_document(const ConfigNode& root, const std::string& file_name,
                                      std::shared_ptr<policy::PolicyServices> services,
                                      policy::Activations& activations) {
  auto config = std::make_shared<Config>();
  config->services = std::move(services);
  config->source_file = file_name;
  if (!root.defined() || root.is_null()) {
    root.error("the file is empty; expected a map with at least `listeners`");
    return config;
  }
  if (!root.expect_map()) return config;
  root.expect_keys(
      {"workers", "drain_timeout", "listeners", "admin", "upstreams", "routes", "defaults", "access_log"});

  config->workers = load_workers(root["workers"]);
  // Before the policies are built: services they create size themselves by it.
  config->services->set_worker_count(config->workers);
  config->drain_timeout =
      root.duration_or("drain_timeout", config->drain_timeout, Duration{0}, Duration{600'000});
  config->listeners = detail::load_listeners(detail::require(root, "listeners"), *config->services);
  config->admin = load_admin(root["admin"]);
  check_admin_conflicts(root["admin"], config->admin, config->listeners);

  std::vector<std::string> upstream_names;
  config->upstreams = detail::load_upstreams(root["upstreams"], upstream_names);
  const detail::PolicyDefaults defaults = detail::load_policy_defaults(root["defaults"], *config->services);
  config->routes = detail::load_routes(root["routes"], upstream_names, defaults, *config->services, activations);
  config->access_log = detail::load_access_log(root["access_log"], *config->services);
  return config;
}

// Errors in reverse order of discovery are hard to read: sort by position,
// and drop repeats (a default policy merged into several routes can report
// the same problem at the same place more than once).
std::vector<Diagnostic> tidy(std::vector<Diagnostic> items) {
  std::stable_sort(items.begin(), items.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  std::vector<Diagnostic> out;
  std::set<std::tuple<int, int, std::string>> seen;
  for (Diagnostic& d : items)
    if (seen.emplace(d.line, d.column, d.message).second) out.push_back(std::move(d));
  return out;
}

}  // namespace

namespace detail {

ConfigNode require(const ConfigNode& parent, std::string_view key) {
  ConfigNode child = parent[key];
  // When the parent is not a map its own type error says enough.
  if (!child.defined() && parent.is_map())
    child.error("missing required key `" + std::string(key) + "`");
  return child;
}

std::string read_unique_name(const ConfigNode& item, std::size_t index, std::string_view section,
                             std::map<std::string, std::size_t>& names) {
  const ConfigNode name = require(item, "name");
  std::optional<std::string> n = name.as_string();
  if (!n) return {};
  if (n->empty()) {
    name.error("must not be empty");
  } else if (auto [first, inserted] = names.emplace(*n, index); !inserted) {
    std::string singular(section.substr(0, section.size() - 1));
    name.error("duplicate " + singular + " name `" + *n + "` (first used by " + std::string(section) + "[" +
               std::to_string(first->second) + "])");
  }
  return std::move(*n);
}

std::vector<ConfigNode> list_items(const ConfigNode& node) {
  std::vector<ConfigNode> items;
  if (!node.defined()) return items;
  if (node.is_scalar()) {
    items.push_back(node);
  } else if (node.expect_sequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) items.push_back(node.at(i));
  }
  return items;
}

}  // namespace detail

LoadResult load_config_string(std::string_view yaml, const std::string& file_name,
                              std::shared_ptr<policy::PolicyServices> services) {
  if (!services) services = std::make_shared<policy::PolicyServices>();
  Diagnostics diagnostics;
  std::shared_ptr<Config> config;
  policy::Activations activations;
  try {
    std::vector<YAML::Node> documents = YAML::LoadAll(std::string(yaml));
    YAML::Node top = documents.empty() ? YAML::Node() : documents.front();
    ConfigNode root(top, file_name, diagnostics);
    if (documents.size() > 1) {
      const YAML::Mark mark = documents[1].Mark();
      diagnostics.add(Diagnostic{.file = file_name,
                                 .line = mark.line >= 0 ? mark.line + 1 : 1,
                                 .column = mark.line >= 0 ? mark.column + 1 : 1,
                                 .path = "",
                                 .message = "expected one YAML document, found " +
                                            std::to_string(documents.size())});
    }
    config = load_document(root, file_name, std::move(services), activations);
  } catch (const YAML::Exception& e) {
    // Syntax errors (ParserException) and anything else yaml-cpp rejects.
    const bool has_mark = e.mark.line >= 0;
    diagnostics.add(Diagnostic{.file = file_name,
                               .line = has_mark ? e.mark.line + 1 : 1,
                               .column = has_mark ? e.mark.column + 1 : 1,
                               .path = "",
                               .message = "invalid YAML: " + e.msg});
  } catch (const std::exception& e) {
    diagnostics.add(Diagnostic{.file = file_name,
                               .line = 0,
                               .column = 0,
                               .path = "",
                               .message = std::string("internal error while loading: ") + e.what()});
  }

  LoadResult result;
  if (!diagnostics.empty()) {
    result.errors = tidy(diagnostics.items());
    return result;
  }
  result.config = std::move(config);
  result.activations = std::move(activations);
  return result;
}

LoadResult load_config_file(const std::string& path, std::shared_ptr<policy::PolicyServices> services) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    LoadResult result;
    result.errors.push_back(Diagnostic{.file = path,
                                       .line = 0,
                                       .column = 0,
                                       .path = "",
                                       .message = std::string("cannot read the file: ") +
                                                  (err ? std::strerror(err) : "unknown error")});
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    LoadResult result;
    result.errors.push_back(Diagnostic{
        .file = path, .line = 0, .column = 0, .path = "", .message = "cannot read the file"});
    return result;
  }
  return load_config_string(text.str(), path, std::move(services));
}

}  // namespace gatehouse::config
