#include "policies/headers/headers_config.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gatehouse::policies::headers {
namespace {

enum class Direction : std::uint8_t { kRequest, kResponse };
enum class Edit : std::uint8_t { kRemove, kSet, kAdd };

// RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" /
// "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA.
bool is_tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view name) noexcept {
  return !name.empty() && std::all_of(name.begin(), name.end(), is_tchar);
}

// Headers that describe the message's framing or a single connection. The
// proxy computes them itself for each hop (RFC 9110 §7.6.1), so an edit
// would either be overwritten or desynchronise the body from its framing
// (request smuggling, truncated responses).
struct ManagedHeader {
  std::string_view name;
  std::string_view why;
};
constexpr std::array<ManagedHeader, 7> kManagedHeaders{{
    {"Content-Length", "it delimits the body, and the proxy frames every body it sends itself"},
    {"Transfer-Encoding", "it delimits the body, and the proxy frames every body it sends itself"},
    {"Connection", "it is hop-by-hop and the proxy manages each connection itself"},
    {"Keep-Alive", "it is hop-by-hop and the proxy manages each connection itself"},
    {"Proxy-Connection", "it is hop-by-hop and the proxy manages each connection itself"},
    {"TE", "it is hop-by-hop and the proxy manages each connection itself"},
    {"Upgrade", "it is hop-by-hop and the proxy manages each connection itself"},
}};

// Why `name` may not be edited this way, or empty when it may.
std::string_view refusal(Direction direction, Edit edit, std::string_view name) noexcept {
  for (const ManagedHeader& managed : kManagedHeaders) {
    if (http::iequals(name, managed.name)) return managed.why;
  }
  // Rewriting Host is a legitimate need; dropping it or adding a second one
  // makes the request invalid (RFC 9112 §3.2: exactly one Host).
  if (direction == Direction::kRequest && edit != Edit::kSet && http::iequals(name, "Host")) {
    return "a request must carry exactly one Host (use `set` to rewrite it)";
  }
  return {};
}

// Reports a problem with a header name read from `at`; true when usable.
bool check_name(const config::ConfigNode& at, std::string_view name, Direction direction, Edit edit) {
  if (!is_token(name)) {
    at.error("`" + std::string(name) +
             "` is not a valid header name (an RFC 9110 token: letters, digits and "
             "!#$%&'*+-.^_`|~)");
    return false;
  }
  if (std::string_view why = refusal(direction, edit, name); !why.empty()) {
    at.error("the headers policy may not change `" + std::string(name) + "`: " + std::string(why));
    return false;
  }
  return true;
}

// RFC 9110 §5.5: a field value is visible characters, obs-text, and inner
// spaces or tabs. CR/LF would split the header (response splitting), NUL
// is rejected by every sane parser, and outer whitespace is stripped by the
// recipient, so writing it is always a mistake.
bool check_value(const config::ConfigNode& at, std::string_view value) {
  for (char c : value) {
    auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7f) {
      at.error("header value contains a control character (CR, LF, NUL or another); it would "
               "corrupt the message or split the header");
      return false;
    }
  }
  auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  if (!value.empty() && (is_space(value.front()) || is_space(value.back()))) {
    at.error("header value must not start or end with spaces or tabs (recipients strip them)");
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
