#include "policies/headers/headers_config.h"

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policies/headers/header_rules.h"

namespace gatehouse::policies::headers {
namespace {

// Reports a problem with a header name read from `at`; true when usable.
bool check_name(const config::ConfigNode& at, std::string_view name, Direction direction, Edit edit) {
  if (!is_header_name(name)) {
    at.error(std::string("`").append(name) +
             "` is not a valid header name (an RFC 9110 token: letters, digits and "
             "!#$%&'*+-.^_`|~)");
    return false;
  }
  if (std::string_view why = edit_refusal(direction, edit, name); !why.empty()) {
    at.error("the headers policy may not change `" + std::string(name) + "`: " + std::string(why));
    return false;
  }
  return true;
}

bool check_value(const config::ConfigNode& at, std::string_view value) {
  if (std::string_view problem = value_problem(value); !problem.empty()) {
    at.error(std::string(problem));
    return false;
  }
  return true;
}

// `remove: [A, B]`, or `remove: A` for a single name (as as_string_list()
// accepts elsewhere); each item is read on its own so errors point at it.
bool parse_remove(const config::ConfigNode& node, Direction direction, std::vector<std::string>& out) {
  if (!node.defined()) return true;
  std::vector<config::ConfigNode> items;
  if (node.is_sequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) items.push_back(node.at(i));
  } else if (node.is_scalar()) {
    items.push_back(node);
  } else {
    node.error("expected a header name or a list of header names");
    return false;
  }
  bool ok = true;
  for (const config::ConfigNode& item : items) {
    std::optional<std::string> name = item.as_string();
    if (!name || !check_name(item, *name, direction, Edit::kRemove)) {
      ok = false;
      continue;
    }
    // A repeated name is harmless; keep one so the hot path checks it once.
    bool repeated = std::any_of(out.begin(), out.end(),
                                [&](const std::string& seen) { return http::iequals(seen, *name); });
    if (!repeated) out.push_back(std::move(*name));
  }
  return ok;
}

// A node located at `key` of `map` rather than at its value: a bad header
// name should point at the name. with_yaml() keeps the key's own position,
// and a null value reports at its key (both documented in config_node.h).
config::ConfigNode key_of(const config::ConfigNode& map, std::string_view key) {
  const YAML::Node& yaml = map.yaml();
  for (auto it = yaml.begin(); it != yaml.end(); ++it) {
    if (!it->first.IsScalar() || it->first.Scalar() != key) continue;
    YAML::Node key_only(YAML::NodeType::Map);
    key_only.force_insert(it->first, YAML::Node(YAML::NodeType::Null));
    return map.with_yaml(key_only)[key];
  }
  return map[key];
}

// `set: {Name: value}` or `add: {Name: value}`.
bool parse_fields(const config::ConfigNode& node, Direction direction, Edit edit,
                  std::vector<http::Header>& out) {
  if (!node.defined()) return true;
  if (!node.is_map()) {
    node.error("expected a map of header names to values");
    return false;
  }
  bool ok = node.expect_unique_keys();
  for (const auto& [name, value_node] : node.entries()) {
    if (!check_name(key_of(node, name), name, direction, edit)) {
      ok = false;
      continue;
    }
    std::optional<std::string> value = value_node.as_string();
    if (!value || !check_value(value_node, *value)) {
      ok = false;
      continue;
    }
    // Two spellings of one name in `set` means one value silently wins.
    // (The same spelling twice was reported by expect_unique_keys().)
    if (edit == Edit::kSet) {
      auto earlier = std::find_if(out.begin(), out.end(),
                                  [&](const http::Header& h) { return http::iequals(h.name, name); });
      if (earlier != out.end()) {
        if (earlier->name != name) {
          key_of(node, name).error("`" + name + "` is already set as `" + earlier->name +
                                   "` (header names are case-insensitive)");
        }
        ok = false;
        continue;
      }
    }
    out.push_back(http::Header{name, std::move(*value)});
  }
  return ok;
}

// One direction's block, `request:` or `response:`.
bool parse_edits(const config::ConfigNode& node, Direction direction, HeaderEdits& out) {
  if (!node.defined()) return true;
  if (!node.is_map()) {
    node.error("expected a map with `remove`, `set` and/or `add`");
    return false;
  }
  bool ok = node.expect_keys({"remove", "set", "add"});
  ok &= parse_remove(node["remove"], direction, out.remove);
  ok &= parse_fields(node["set"], direction, Edit::kSet, out.set);
  ok &= parse_fields(node["add"], direction, Edit::kAdd, out.add);
  return ok;
}

}  // namespace

std::optional<HeadersConfig> parse_headers_config(const config::ConfigNode& options) {
  if (!options.is_map()) {
    options.error("expected a map with `request` and/or `response` (a bare `headers` changes nothing)");
    return std::nullopt;
  }
  HeadersConfig config;
  bool ok = options.expect_keys({"request", "response"});
  ok &= parse_edits(options["request"], Direction::kRequest, config.request);
  ok &= parse_edits(options["response"], Direction::kResponse, config.response);
  if (!ok) return std::nullopt;
  return config;
}

}  // namespace gatehouse::policies::headers
