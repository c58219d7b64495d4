#include "policies/security_headers/security_headers_config.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/http/header_map.h"

namespace gatehouse::policies::security_headers {

const char* const kHelmetContentSecurityPolicy =
    "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';"
    "frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';"
    "script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests";

namespace {

enum class HeaderKind : std::uint8_t {
  kEnumerated,  // one of a few tokens
  kReferrer,    // a comma list of referrer policy tokens
  kCsp,         // directives
  kHsts,        // max_age, include_subdomains, preload
  kPermissions  // features
};

struct HeaderSpec {
  std::string_view key;     // the YAML key
  std::string_view name;    // the header
  HeaderKind kind;
  std::string_view helmet;  // helmet 8's default value; empty when helmet sends none
  std::vector<std::string_view> values;  // kEnumerated: the accepted values
};

// In the order helmet 8 writes its headers; the two helmet leaves off by
// default (COEP, Permissions-Policy) sit where they read naturally.
const std::vector<HeaderSpec>& header_specs() {
  static const std::vector<HeaderSpec> specs{
      {"content_security_policy", "Content-Security-Policy", HeaderKind::kCsp, kHelmetContentSecurityPolicy, {}},
      {"cross_origin_embedder_policy", "Cross-Origin-Embedder-Policy", HeaderKind::kEnumerated, "",
       {"require-corp", "credentialless", "unsafe-none"}},
      {"cross_origin_opener_policy", "Cross-Origin-Opener-Policy", HeaderKind::kEnumerated, "same-origin",
       {"same-origin", "same-origin-allow-popups", "noopener-allow-popups", "unsafe-none"}},
      {"cross_origin_resource_policy", "Cross-Origin-Resource-Policy", HeaderKind::kEnumerated, "same-origin",
       {"same-origin", "same-site", "cross-origin"}},
      {"origin_agent_cluster", "Origin-Agent-Cluster", HeaderKind::kEnumerated, "?1", {"?1", "?0"}},
      {"referrer_policy", "Referrer-Policy", HeaderKind::kReferrer, "no-referrer", {}},
      {"strict_transport_security", "Strict-Transport-Security", HeaderKind::kHsts,
       "max-age=31536000; includeSubDomains", {}},
      {"x_content_type_options", "X-Content-Type-Options", HeaderKind::kEnumerated, "nosniff", {"nosniff"}},
      {"x_dns_prefetch_control", "X-DNS-Prefetch-Control", HeaderKind::kEnumerated, "off", {"off", "on"}},
      {"x_download_options", "X-Download-Options", HeaderKind::kEnumerated, "noopen", {"noopen"}},
      {"x_frame_options", "X-Frame-Options", HeaderKind::kEnumerated, "SAMEORIGIN", {"DENY", "SAMEORIGIN"}},
      {"x_permitted_cross_domain_policies", "X-Permitted-Cross-Domain-Policies", HeaderKind::kEnumerated, "none",
       {"none", "master-only", "by-content-type", "all"}},
      {"x_xss_protection", "X-XSS-Protection", HeaderKind::kEnumerated, "0", {"0", "1", "1; mode=block"}},
      {"permissions_policy", "Permissions-Policy", HeaderKind::kPermissions, "", {}},
  };
  return specs;
}

constexpr std::array<std::string_view, 8> kReferrerPolicies{
    "no-referrer", "no-referrer-when-downgrade", "origin", "origin-when-cross-origin",
    "same-origin", "strict-origin", "strict-origin-when-cross-origin", "unsafe-url"};

// CSP keywords are only keywords when single-quoted (CSP3 §2.3.1); bare,
// `self` is a host named "self" and the policy silently breaks the page.
constexpr std::array<std::string_view, 10> kCspKeywords{
    "self", "none", "unsafe-inline", "unsafe-eval", "strict-dynamic", "unsafe-hashes",
    "report-sample", "wasm-unsafe-eval", "unsafe-allow-redirects", "inline-speculation-rules"};

// The helmet CSP as (directive, sources) pairs, for merging directives.
using Directives = std::vector<std::pair<std::string, std::string>>;
Directives helmet_directives() {
  Directives out;
  std::string_view text = kHelmetContentSecurityPolicy;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find(';'), text.size());
    std::string_view item = text.substr(0, end);
    const std::size_t space = item.find(' ');
    if (space == std::string_view::npos) {
      out.emplace_back(std::string(item), std::string());
    } else {
      out.emplace_back(std::string(item.substr(0, space)), std::string(item.substr(space + 1)));
    }
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return out;
}

bool is_off_scalar(const config::ConfigNode& node) {
  if (!node.is_scalar()) return false;
  const std::string& s = node.yaml().Scalar();
  return s == "off" || s == "Off" || s == "OFF" || s == "false" || s == "False" || s == "FALSE";
}

// RFC 9110 §5.5: no control characters (CR/LF would split the header) and
// no outer whitespace (recipients strip it).
bool check_field_value(const config::ConfigNode& at, std::string_view value) {
  if (value.empty()) {
    at.error("expected a non-empty header value (use `off` to send no header)");
    return false;
  }
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7f) {
      at.error("header value contains a control character (CR, LF, NUL or another)");
      return false;
    }
  }
  if (value.front() == ' ' || value.front() == '\t' || value.back() == ' ' || value.back() == '\t') {
    at.error("header value must not start or end with spaces or tabs");
    return false;
  }
  return true;
}

bool is_lower_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::string quoted_list(const std::vector<std::string_view>& values) {
  std::string out;
  for (std::string_view v : values) out += (out.empty() ? "`" : ", `") + std::string(v) + "`";
  return out;
}

// One CSP source list: a string of space-separated sources or a list of
// them; `true` or `[]` for a directive without sources.
std::optional<std::string> read_sources(const config::ConfigNode& node) {
  std::vector<std::pair<std::string, config::ConfigNode>> items;
  if (node.is_sequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      std::optional<std::string> s = node.at(i).as_string();
      if (!s) return std::nullopt;
      items.emplace_back(std::move(*s), node.at(i));
    }
  } else if (node.is_scalar()) {
    std::optional<std::string> s = node.as_string();
    if (!s) return std::nullopt;
    if (*s == "true" || *s == "True" || *s == "TRUE") return std::string();
    std::string_view rest = *s;
    while (!rest.empty()) {
      const std::size_t start = rest.find_first_not_of(' ');
      if (start == std::string_view::npos) break;
      rest.remove_prefix(start);
      const std::size_t end = std::min(rest.find(' '), rest.size());
      items.emplace_back(std::string(rest.substr(0, end)), node);
      rest.remove_prefix(end);
    }
  } else {
    node.error("expected a list of sources, a string of space-separated sources, `true` for a "
               "directive without sources, or `off`");
    return std::nullopt;
  }
  std::string out;
  bool ok = true;
  for (const auto& [source, at] : items) {
    if (source.empty() || source.find_first_of(";, \t\r\n") != std::string::npos ||
        std::any_of(source.begin(), source.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
      at.error("`" + source + "` is not one CSP source (no spaces, `;` or `,` inside a source)");
      ok = false;
      continue;
    }
    if (std::find(kCspKeywords.begin(), kCspKeywords.end(), source) != kCspKeywords.end()) {
      at.error("`" + source + "` is a host name to a browser; did you mean the keyword `'" + source +
               "'`? (quote it in YAML: \"'" + source + "'\")");
      ok = false;
      continue;
    }
    if (!out.empty()) out += ' ';
    out += source;
  }
  if (!ok) return std::nullopt;
  return out;
}

// `directives:` merged over `base` by directive name: a new one is appended,
// `off` drops one.
bool merge_directives(const config::ConfigNode& node, Directives& directives) {
  if (!node.defined()) return true;
  if (!node.is_map()) {
    node.error("expected a map of CSP directive names to sources");
    return false;
  }
  bool ok = node.expect_unique_keys();
  for (const auto& [name, value] : node.entries()) {
    if (!is_lower_name(name)) {
      value.error("`" + name + "` is not a CSP directive name (lowercase letters, digits and `-`, "
                  "e.g. `script-src`)");
      ok = false;
      continue;
    }
    auto it = std::find_if(directives.begin(), directives.end(), [&](const auto& d) { return d.first == name; });
    if (is_off_scalar(value)) {
      if (it != directives.end()) directives.erase(it);
      continue;
    }
    std::optional<std::string> sources = read_sources(value);
    if (!sources) {
      ok = false;
      continue;
    }
    if (it != directives.end()) {
      it->second = std::move(*sources);
    } else {
      directives.emplace_back(name, std::move(*sources));
    }
  }
  return ok;
}

std::string join_directives(const Directives& directives) {
  std::string out;
  for (const auto& [name, sources] : directives) {
    if (!out.empty()) out += ';';  // helmet's separator, kept for byte equality
    out += name;
    if (!sources.empty()) out += ' ' + sources;
  }
  return out;
}

// The state of one header while options are applied over the preset.
struct HeaderState {
  std::optional<std::string> value;  // nullopt: not sent
  std::optional<bool> keep_upstream;  // nullopt: the policy-wide choice
  Directives directives;              // kCsp
  bool report_only = false;           // kCsp
};

std::optional<std::string> read_hsts(const config::ConfigNode& map) {
  // helmet's defaults for whatever is not given.
  config::Duration max_age = std::chrono::hours(24 * 365);
  bool subdomains = true;
  bool preload = false;
  bool ok = true;
  if (map["max_age"].defined()) {
    std::optional<config::Duration> d =
        map["max_age"].as_duration(config::Duration(0), std::chrono::hours(24 * 365 * 10));
    ok &= d.has_value();
    max_age = d.value_or(max_age);
  }
  for (auto [key, out] : {std::pair{"include_subdomains", &subdomains}, std::pair{"preload", &preload}}) {
    if (!map[key].defined()) continue;
    std::optional<bool> b = map[key].as_bool();
    ok &= b.has_value();
    *out = b.value_or(*out);
  }
  if (!ok) return std::nullopt;
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(max_age).count();
  if (preload && (!subdomains || max_age < std::chrono::hours(24 * 365))) {
    map["preload"].error("`preload: true` needs `include_subdomains: true` and a max_age of at least 365d "
                         "(the browsers' preload list refuses anything less)");
    return std::nullopt;
  }
  std::string out = "max-age=" + std::to_string(seconds);
  if (subdomains) out += "; includeSubDomains";
  if (preload) out += "; preload";
  return out;
}

// `features: { camera: [], geolocation: [self, "https://maps.example"], fullscreen: "*" }`
std::optional<std::string> read_permissions(const config::ConfigNode& features) {
  if (!features.defined()) {
    features.error("expected `features`, a map of feature names to allowlists (e.g. `camera: []`)");
    return std::nullopt;
  }
  if (!features.is_map()) {
    features.error("expected a map of feature names to allowlists (e.g. `camera: []`, `geolocation: [self]`)");
    return std::nullopt;
  }
  bool ok = features.expect_unique_keys();
  std::string out;
  for (const auto& [feature, list] : features.entries()) {
    if (!is_lower_name(feature)) {
      list.error("`" + feature + "` is not a feature name (lowercase letters, digits and `-`)");
      ok = false;
      continue;
    }
    std::optional<std::vector<std::string>> items;
    if (list.is_sequence() || list.is_scalar()) {
      items = list.as_string_list();
    } else {
      list.error("expected a list of `self`, `*` or origins (`[]` disables the feature)");
    }
    if (!items) {
      ok = false;
      continue;
    }
    std::string allow;
    bool star = false;
    for (const std::string& item : *items) {
      if (item == "*") {
        star = true;
      } else if (item == "self" || item == "src") {
        allow += (allow.empty() ? "" : " ") + item;
      } else if ((item.starts_with("https://") || item.starts_with("http://")) &&
                 item.find_first_of("\" \t\r\n\\,;") == std::string::npos) {
        allow += (allow.empty() ? "\"" : " \"") + item + "\"";
      } else {
        list.error("`" + item + "` is not an allowlist entry: use `self`, `*` or an origin such as "
                   "`https://maps.example`");
        ok = false;
      }
    }
    if (!out.empty()) out += ", ";
    out += feature + (star ? "=*" : "=(" + allow + ")");
  }
  if (!ok) return std::nullopt;
  if (out.empty()) {
    features.error("no features listed; use `permissions_policy: off` to send no header");
    return std::nullopt;
  }
  return out;
}

std::optional<bool> read_upstream_choice(const config::ConfigNode& node) {
  std::optional<std::string> s = node.as_string();
  if (!s) return std::nullopt;
  if (*s == "keep") return true;
  if (*s == "overwrite") return false;
  node.error("expected `keep` (the upstream's own field wins) or `overwrite`, got `" + *s + "`");
  return std::nullopt;
}

// A plain value for a header that is not a structured one.
bool read_value(const HeaderSpec& spec, const config::ConfigNode& node, HeaderState& state) {
  if (spec.kind == HeaderKind::kReferrer && node.is_sequence()) {
    // A fallback list, as browsers accept it: the last token they know wins.
    std::optional<std::vector<std::string>> tokens = node.as_string_list();
    if (!tokens) return false;
    std::string joined;
    for (const std::string& token : *tokens) joined += (joined.empty() ? "" : ", ") + token;
    if (joined.empty()) {
      node.error("expected at least one referrer policy (or `off`)");
      return false;
    }
    YAML::Node scalar(joined);
    return read_value(spec, node.with_yaml(scalar), state);
  }
  std::optional<std::string> value = node.as_string();
  if (!value || !check_field_value(node, *value)) return false;
  if (spec.kind == HeaderKind::kEnumerated) {
    auto match = std::find_if(spec.values.begin(), spec.values.end(),
                              [&](std::string_view v) { return http::iequals(v, *value); });
    if (match == spec.values.end()) {
      std::string message = "`" + *value + "` is not a value of " + std::string(spec.name) + "; expected " +
                            quoted_list(spec.values) + " (or `off`)";
      if (spec.key == "x_frame_options" && http::iequals(value->substr(0, 10), "ALLOW-FROM")) {
        message += "; ALLOW-FROM is obsolete, use content_security_policy's frame-ancestors";
      }
      node.error(std::move(message));
      return false;
    }
    state.value = std::string(*match);
  } else if (spec.kind == HeaderKind::kReferrer) {
    std::string_view rest = *value;
    while (!rest.empty()) {
      const std::size_t comma = std::min(rest.find(','), rest.size());
      std::string_view token = rest.substr(0, comma);
      while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
      while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
      if (std::find(kReferrerPolicies.begin(), kReferrerPolicies.end(), token) == kReferrerPolicies.end()) {
        node.error("`" + std::string(token) + "` is not a referrer policy; expected one of " +
                   quoted_list({kReferrerPolicies.begin(), kReferrerPolicies.end()}));
        return false;
      }
      rest.remove_prefix(std::min(comma + 1, rest.size()));
    }
    state.value = std::move(*value);
  } else {
    state.value = std::move(*value);  // a structured header given verbatim
    state.directives.clear();
  }
  return true;
}

// One header key: `off`, a value, or a map.
bool read_header(const HeaderSpec& spec, const config::ConfigNode& node, HeaderState& state) {
  if (!node.defined()) return true;
  if (is_off_scalar(node) || node.is_null()) {
    if (node.is_null()) {
      node.error("expected `off`, a value or a map of options");
      return false;
    }
    state.value.reset();
    return true;
  }
  if (node.is_scalar() || (spec.kind == HeaderKind::kReferrer && node.is_sequence())) {
    return read_value(spec, node, state);
  }
  if (!node.is_map()) {
    node.error("expected `off`, a value or a map of options");
    return false;
  }
  std::vector<std::string_view> keys{"value", "upstream"};
  if (spec.kind == HeaderKind::kCsp) keys.insert(keys.end(), {"directives", "report_only"});
  if (spec.kind == HeaderKind::kHsts) keys.insert(keys.end(), {"max_age", "include_subdomains", "preload"});
  if (spec.kind == HeaderKind::kPermissions) keys.push_back("features");
  bool ok = node.expect_keys(keys);
  if (node["upstream"].defined()) {
    if (std::optional<bool> keep = read_upstream_choice(node["upstream"])) {
      state.keep_upstream = keep;
    } else {
      ok = false;
    }
  }
  const config::ConfigNode value = node["value"];
  const bool typed = node["directives"].defined() || node["max_age"].defined() ||
                     node["include_subdomains"].defined() || node["preload"].defined() ||
                     node["features"].defined();
  if (value.defined()) {
    if (typed) {
      value.error("give either `value` (sent verbatim) or the typed options, not both");
      return false;
    }
    return read_value(spec, value, state) && ok;
  }
  switch (spec.kind) {
    case HeaderKind::kCsp: {
      // A verbatim value (from nowhere else but a preset-less start) is not
      // merged into; directives start from what the preset had, if anything.
      if (state.directives.empty() && node["directives"].defined()) state.value.reset();
      ok &= merge_directives(node["directives"], state.directives);
      if (node["report_only"].defined()) {
        std::optional<bool> report_only = node["report_only"].as_bool();
        ok &= report_only.has_value();
        state.report_only = report_only.value_or(false);
      }
      if (state.directives.empty() && !state.value) {
        node.error("no directives to send; give `directives` or use `content_security_policy: off`");
        return false;
      }
      if (!state.directives.empty()) state.value = join_directives(state.directives);
      return ok;
    }
    case HeaderKind::kHsts:
      if (!typed && state.value) return ok;  // only `upstream` changed
      if (std::optional<std::string> v = read_hsts(node)) {
        state.value = std::move(*v);
        return ok;
      }
      return false;
    case HeaderKind::kPermissions:
      if (!typed && state.value) return ok;
      if (std::optional<std::string> v = read_permissions(node["features"])) {
        state.value = std::move(*v);
        return ok;
      }
      return false;
    default:
      if (!state.value) {
        node.error("no value to send: the preset sends no " + std::string(spec.name) + "; give `value`");
        return false;
      }
      return ok;
  }
}

}  // namespace

std::optional<SecurityHeadersConfig> parse_security_headers_config(const config::ConfigNode& options) {
  // A bare `- security_headers` means the helmet preset as it is.
  const bool bare = !options.defined() || options.is_null();
  if (!bare && !options.is_map()) {
    options.error("expected a map of options (or a bare `security_headers` for the helmet preset)");
    return std::nullopt;
  }
  const std::vector<HeaderSpec>& specs = header_specs();
  bool ok = true;
  if (!bare) {
    std::vector<std::string_view> keys{"preset", "upstream", "server", "hide_powered_by"};
    for (const HeaderSpec& spec : specs) keys.push_back(spec.key);
    ok &= options.expect_keys(keys);
  }

  bool helmet = true;
  if (!bare && options["preset"].defined()) {
    std::optional<std::string> preset = options["preset"].as_string();
    if (!preset) {
      ok = false;
    } else if (*preset == "none") {
      helmet = false;
    } else if (*preset != "helmet") {
      options["preset"].error("unknown preset `" + *preset + "`; expected `helmet` or `none`");
      ok = false;
    }
  }
  bool keep_by_default = true;
  if (!bare && options["upstream"].defined()) {
    std::optional<bool> keep = read_upstream_choice(options["upstream"]);
    ok &= keep.has_value();
    keep_by_default = keep.value_or(true);
  }

  SecurityHeadersConfig config;
  for (const HeaderSpec& spec : specs) {
    HeaderState state;
    if (helmet && !spec.helmet.empty()) {
      state.value = std::string(spec.helmet);
      if (spec.kind == HeaderKind::kCsp) state.directives = helmet_directives();
    }
    if (!bare) ok &= read_header(spec, options[spec.key], state);
    if (!state.value) continue;
    std::string name(spec.name);
    if (spec.kind == HeaderKind::kCsp && state.report_only) name += "-Report-Only";
    config.headers.push_back(SecurityHeader{.name = std::move(name),
                                            .value = std::move(*state.value),
                                            .keep_upstream = state.keep_upstream.value_or(keep_by_default),
                                            .tls_only = spec.kind == HeaderKind::kHsts});
  }

  if (!bare) {
    const config::ConfigNode server = options["server"];
    if (server.defined()) {
      if (is_off_scalar(server)) {
        config.server = SecurityHeadersConfig::ServerAction::kRemove;
      } else if (std::optional<std::string> value = server.as_string(); value && check_field_value(server, *value)) {
        config.server = SecurityHeadersConfig::ServerAction::kReplace;
        config.server_value = std::move(*value);
      } else {
        ok = false;
      }
    }
    if (options["hide_powered_by"].defined()) {
      std::optional<bool> hide = options["hide_powered_by"].as_bool();
      ok &= hide.has_value();
      config.hide_powered_by = hide.value_or(true);
    }
  }
  if (!ok) return std::nullopt;
  return config;
}

}  // namespace gatehouse::policies::security_headers
