// `policies` lists, `defaults.policies` and how a route inherits them.
//
// A route starts from the defaults, in their order. A route entry of the same
// type is merged over the default's options key by key (maps merge
// recursively, the route's scalars and sequences replace), and `type: off`
// drops the default: never a silent replacement of a whole block. The
// route's other policies follow, in the route's order.

#include <map>

#include "proxy/config/loader_sections.h"

namespace gatehouse::config::detail {
namespace {

std::vector<std::string_view> policy_types() {
  std::vector<std::string_view> out;
  for (const policy::PolicyFactory& f : policy::policy_factories()) out.push_back(f.type);
  return out;
}

// `headers: off` (or false): the scalar, quoted or not.
bool is_off(const ConfigNode& options) {
  if (!options.is_scalar()) return false;
  const std::string& s = options.yaml().Scalar();
  return s == "off" || s == "Off" || s == "OFF" || s == "false" || s == "False" || s == "FALSE";
}

std::vector<PolicyEntry> read_policy_list(const ConfigNode& list, bool in_defaults) {
  std::vector<PolicyEntry> out;
  if (!list.defined() || !list.expect_sequence()) return out;
  std::map<std::string, std::size_t> first_index;  // type -> index of first entry
  for (std::size_t i = 0; i < list.size(); ++i) {
    const ConfigNode item = list.at(i);
    std::string type;
    if (item.is_scalar()) {
      type = item.yaml().Scalar();
    } else if (item.is_map()) {
      const auto entries = item.entries();
      if (entries.size() != 1) {
        std::string found;
        for (const auto& [key, value] : entries) found += (found.empty() ? "`" : ", `") + key + "`";
        item.error(entries.empty()
                       ? "empty policy entry; expected `- type` or `- type: {options}`"
                       : "a policy entry has exactly one key, its type; found " + found +
                             " (are the options indented under the type?)");
        continue;
      }
      type = entries.front().first;
    } else {
      item.error(std::string("expected a policy: `- type` or `- type: {options}`, got ") +
                 (item.is_null() ? "null" : "a sequence"));
      continue;
    }

    const ConfigNode options = item[type];
    const policy::PolicyFactory* factory = policy::find_policy_factory(type);
    if (!factory) {
      std::vector<std::string_view> known = policy_types();
      std::string message = "unknown policy type `" + type + "`";
      std::string hint = did_you_mean(type, known);
      if (hint.empty()) {
        message += " (known types:";
        for (std::string_view k : known) message += " `" + std::string(k) + "`";
        message += ")";
      }
      item.error(message + hint);
    }
    if (auto [first, inserted] = first_index.emplace(type, i); !inserted) {
      item.error("policy `" + type + "` is already in this list at [" +
                 std::to_string(first->second) + "]; a type may appear only once");
      continue;
    }
    const bool off = is_off(options);
    if (off && in_defaults) {
      options.error("`off` only drops an inherited default; in `defaults`, leave the policy out");
      continue;
    }
    if (!factory) continue;
    out.push_back(PolicyEntry{.type = type, .factory = factory, .options = options, .off = off});
  }
  return out;
}

// Keys of `base` in order, with `over` merged in; then `over`'s new keys. The
// original key and value nodes are reused, so positions in errors stay right.
YAML::Node deep_merge(const YAML::Node& base, const YAML::Node& over) {
  // yaml-cpp iterators yield temporaries: entries are taken by value.
  auto find = [](const YAML::Node& map, const YAML::Node& key,
                 YAML::Node* found_key) -> std::optional<YAML::Node> {
    if (!key.IsScalar()) return std::nullopt;
    for (const auto& entry : map) {
      if (entry.first.IsScalar() && entry.first.Scalar() == key.Scalar()) {
        *found_key = entry.first;
        return entry.second;
      }
    }
    return std::nullopt;
  };
  YAML::Node merged(YAML::NodeType::Map);
  for (const auto& entry : base) {
    YAML::Node over_key;
    std::optional<YAML::Node> over_value = find(over, entry.first, &over_key);
    if (!over_value) {
      merged.force_insert(entry.first, entry.second);
    } else if (entry.second.IsMap() && over_value->IsMap()) {
      merged.force_insert(over_key, deep_merge(entry.second, *over_value));
    } else {
      merged.force_insert(over_key, *over_value);
    }
  }
  for (const auto& entry : over) {
    YAML::Node unused;
    if (!find(base, entry.first, &unused)) merged.force_insert(entry.first, entry.second);
  }
  return merged;
}

// The options a route's entry of a default's type ends up with.
ConfigNode merged_options(const ConfigNode& base, const ConfigNode& over) {
  if (!over.defined() || over.is_null()) return base;  // bare `- type`: the default's options
  if (base.is_map() && over.is_map()) return over.with_yaml(deep_merge(base.yaml(), over.yaml()));
  return over;
}

void append_policy(std::vector<std::unique_ptr<const policy::Policy>>& chain, const PolicyEntry& entry,
                   const ConfigNode& options, const policy::PolicyBuildContext& build) {
  // A null result means the factory reported its errors on `options`.
  if (std::unique_ptr<const policy::Policy> p = entry.factory->create(options, build))
    chain.push_back(std::move(p));
}

}  // namespace

PolicyDefaults load_policy_defaults(const ConfigNode& defaults, policy::PolicyServices& services) {
  PolicyDefaults out;
  if (!defaults.defined() || !defaults.expect_map()) return out;
  defaults.expect_keys({"policies"});
  out.entries = read_policy_list(defaults["policies"], /*in_defaults=*/true);
  // Built once here so that errors show even when no route inherits them;
  // routes build their own copies (repeats of these errors are dropped).
  std::vector<std::unique_ptr<const policy::Policy>> unused;
  const policy::PolicyBuildContext build{.route_name = {}, .services = services};
  for (const PolicyEntry& entry : out.entries) append_policy(unused, entry, entry.options, build);
  return out;
}

policy::PolicyChain build_policy_chain(const ConfigNode& route_policies, const PolicyDefaults& defaults,
                                       const policy::PolicyBuildContext& build) {
  const std::vector<PolicyEntry> own = read_policy_list(route_policies, /*in_defaults=*/false);
  std::vector<bool> merged(own.size(), false);
  std::vector<std::unique_ptr<const policy::Policy>> chain;

  for (const PolicyEntry& base : defaults.entries) {
    const PolicyEntry* over = nullptr;
    for (std::size_t i = 0; i < own.size(); ++i) {
      if (own[i].type != base.type) continue;
      over = &own[i];
      merged[i] = true;
    }
    if (!over) {
      append_policy(chain, base, base.options, build);
    } else if (!over->off) {
      append_policy(chain, base, merged_options(base.options, over->options), build);
    }
  }
  for (std::size_t i = 0; i < own.size(); ++i) {
    // `type: off` with no such default drops nothing; harmless, so accepted.
    if (merged[i] || own[i].off) continue;
    append_policy(chain, own[i], own[i].options, build);
  }
  return policy::PolicyChain(std::move(chain));
}

}  // namespace gatehouse::config::detail
