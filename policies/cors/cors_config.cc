#include "policies/cors/cors_config.h"

#include <algorithm>
#include <string>
#include <utility>

#include "proxy/http/header_map.h"

namespace gatehouse::policies::cors {
namespace {

std::string origin_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool is_tchar_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_cors_token(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar_char); }

bool is_host_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

// Checks `scheme://host[:port]` (already lowercased) the way a browser
// serialises an origin; reports and returns false when it never could be one.
bool check_origin(const config::ConfigNode& at, const std::string& text, std::string_view host_part_start) {
  const std::size_t sep = text.find("://");
  const std::string_view scheme = std::string_view(text).substr(0, sep);
  if (sep == std::string::npos || scheme.empty() ||
      !std::all_of(scheme.begin(), scheme.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'; })) {
    at.error("`" + text + "` is not an origin; expected `scheme://host[:port]`, e.g. `https://app.example.com`" +
             (text.starts_with("*.") ? "; did you mean `https://" + text + "`?" : std::string()));
    return false;
  }
  std::string_view rest = host_part_start;
  if (const std::size_t slash = rest.find('/'); slash != std::string_view::npos) {
    at.error("an origin has no path (browsers send `scheme://host[:port]` only); did you mean `" +
             text.substr(0, text.size() - (rest.size() - slash)) + "`?");
    return false;
  }
  std::string_view host = rest;
  std::string_view port;
  if (rest.starts_with('[')) {  // IPv6 literal
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      at.error("`" + text + "`: unterminated IPv6 literal");
      return false;
    }
    host = rest.substr(0, close + 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') {
        at.error("`" + text + "` is not an origin; expected `scheme://host[:port]`");
        return false;
      }
      port = rest.substr(close + 2);
    }
  } else if (const std::size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (!std::all_of(host.begin(), host.end(), is_host_char) || host.empty()) {
      at.error("`" + text + "` is not an origin; expected `scheme://host[:port]`");
      return false;
    }
  } else if (host.empty() || !std::all_of(host.begin(), host.end(), is_host_char)) {
    at.error("`" + text + "` is not an origin; expected `scheme://host[:port]` (host: letters, digits, `-`, `.`)");
    return false;
  }
  if (!port.empty() || text.back() == ':') {
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      at.error("`" + text + "`: the port must be a number");
      return false;
    }
    if ((scheme == "https" && port == "443") || (scheme == "http" && port == "80")) {
      at.error("browsers omit the default port from an origin, so `" + text + "` never matches; did you mean `" +
               text.substr(0, text.size() - port.size() - 1) + "`?");
      return false;
    }
  }
  return true;
}

bool read_origins(const config::ConfigNode& node, CorsConfig& out) {
  if (!node.defined()) return true;
  if (!node.is_sequence()) {
    node.error("expected a list of origins, e.g. `[https://app.example.com, \"https://*.example.com\"]`");
    return false;
  }
  bool ok = true;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const config::ConfigNode item = node.at(i);
    std::optional<std::string> raw = item.as_string();
    if (!raw) {
      ok = false;
      continue;
    }
    if (*raw == "*") {
      out.any_origin = true;
      continue;
    }
    if (*raw == "null") {
      item.error("`null` is the origin of sandboxed frames, file: pages and redirects; allowing it "
                 "lets any of them in, so Gatehouse refuses it");
      ok = false;
      continue;
    }
    // Scheme and host are case-insensitive; browsers send them lowercase.
    const std::string text = origin_lower(*raw);
    const std::size_t sep = text.find("://");
    if (sep != std::string::npos && text.compare(sep + 3, 2, "*.") == 0) {
      if (!check_origin(item, text, std::string_view(text).substr(sep + 5))) {
        ok = false;
        continue;
      }
      out.wildcard_origins.push_back(WildcardOrigin{text.substr(0, sep + 3), text.substr(sep + 4)});
      continue;
    }
    if (text.find('*') != std::string::npos && sep != std::string::npos) {
      item.error("`" + *raw + "`: a wildcard may only stand for the leftmost labels, as in "
                 "`https://*.example.com`; use allow_origin_patterns for anything else");
      ok = false;
      continue;
    }
    if (!check_origin(item, text, sep == std::string::npos ? std::string_view() : std::string_view(text).substr(sep + 3))) {
      ok = false;
      continue;
    }
    if (std::find(out.exact_origins.begin(), out.exact_origins.end(), text) == out.exact_origins.end())
      out.exact_origins.push_back(text);
  }
  return ok;
}

bool read_patterns(const config::ConfigNode& node, CorsConfig& out) {
  if (!node.defined()) return true;
  if (!node.is_sequence()) {
    node.error("expected a list of RE2 regular expressions, each matched against the whole origin");
    return false;
  }
  bool ok = true;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const config::ConfigNode item = node.at(i);
    std::optional<std::string> text = item.as_string();
    if (!text) {
      ok = false;
      continue;
    }
    re2::RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<const re2::RE2>(*text, options);
    if (!re->ok()) {
      item.error("invalid RE2 pattern: " + re->error());
      ok = false;
      continue;
    }
    out.origin_patterns.push_back(std::move(re));
  }
  return ok;
}

// A list of tokens (methods or header names); `*` sets `any`.
bool read_tokens(const config::ConfigNode& node, std::string_view what, bool lowercase, std::vector<std::string>& out,
                 bool& any) {
  if (!node.defined()) return true;
  std::optional<std::vector<std::string>> items = node.as_string_list();
  if (!items) return false;
  bool ok = true;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const std::string& item = (*items)[i];
    const config::ConfigNode at = node.is_sequence() ? node.at(i) : node;
    if (item == "*") {
      any = true;
      continue;
    }
    if (!is_cors_token(item)) {
      at.error("`" + item + "` is not a valid " + std::string(what) + " (an RFC 9110 token)");
      ok = false;
      continue;
    }
    std::string value = lowercase ? origin_lower(item) : item;
    if (what == "method") {
      // Methods are case-sensitive, and browsers upper-case only the
      // standard ones: `get` here would never match.
      std::string upper = item;
      for (char& c : upper) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      }
      if (upper != item && (upper == "GET" || upper == "HEAD" || upper == "POST" || upper == "PUT" ||
                            upper == "DELETE" || upper == "PATCH" || upper == "OPTIONS")) {
        at.error("methods are case-sensitive; did you mean `" + upper + "`?");
        ok = false;
        continue;
      }
    }
    if (std::find(out.begin(), out.end(), value) == out.end()) out.push_back(std::move(value));
  }
  return ok;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

bool CorsConfig::origin_allowed(std::string_view origin) const {
  if (any_origin) return true;
  std::string text = origin_lower(origin);
  if (std::find(exact_origins.begin(), exact_origins.end(), text) != exact_origins.end()) return true;
  for (const WildcardOrigin& w : wildcard_origins) {
    if (text.size() <= w.scheme_and_dot.size() + w.suffix.size()) continue;
    if (!text.starts_with(w.scheme_and_dot) || !text.ends_with(w.suffix)) continue;
    // The labels the `*` stands for: host characters only, so that nothing
    // but a subdomain (no port, path or user info) can hide in them.
    std::string_view labels =
        std::string_view(text).substr(w.scheme_and_dot.size(), text.size() - w.scheme_and_dot.size() - w.suffix.size());
    if (labels.front() != '.' && std::all_of(labels.begin(), labels.end(), is_host_char)) return true;
  }
  for (const auto& re : origin_patterns) {
    if (re2::RE2::FullMatch(origin, *re)) return true;
  }
  return false;
}

std::optional<CorsConfig> parse_cors_config(const config::ConfigNode& options) {
  if (!options.is_map()) {
    options.error("expected a map with at least `allow_origins` or `allow_origin_patterns`");
    return std::nullopt;
  }
  CorsConfig config;
  bool ok = options.expect_keys({"allow_origins", "allow_origin_patterns", "allow_methods", "allow_headers",
                                 "expose_headers", "allow_credentials", "max_age"});
  ok &= read_origins(options["allow_origins"], config);
  ok &= read_patterns(options["allow_origin_patterns"], config);
  if (options["allow_methods"].defined()) {
    ok &= read_tokens(options["allow_methods"], "method", false, config.allow_methods, config.any_method);
  } else {
    config.allow_methods = {"GET", "HEAD", "POST"};
  }
  ok &= read_tokens(options["allow_headers"], "header name", true, config.allow_headers, config.any_header);
  std::vector<std::string> exposed;
  bool any_exposed = false;
  ok &= read_tokens(options["expose_headers"], "header name", false, exposed, any_exposed);
  if (options["allow_credentials"].defined()) {
    std::optional<bool> credentials = options["allow_credentials"].as_bool();
    ok &= credentials.has_value();
    config.allow_credentials = credentials.value_or(false);
  }
  if (options["max_age"].defined()) {
    // Browsers cap it (Chromium at 2h, Firefox at 24h); more is never used.
    std::optional<config::Duration> age = options["max_age"].as_duration(config::Duration(0), std::chrono::hours(24));
    ok &= age.has_value();
    if (age) config.max_age = std::chrono::duration_cast<std::chrono::seconds>(*age);
  }
  if (!ok) return std::nullopt;

  if (!config.any_origin && config.exact_origins.empty() && config.wildcard_origins.empty() &&
      config.origin_patterns.empty()) {
    options.error("no origin is allowed; give `allow_origins` and/or `allow_origin_patterns`");
    return std::nullopt;
  }
  if (config.allow_credentials) {
    // Fetch: on a credentialed request `*` is not a wildcard, so the browser
    // would block every response.
    const char* why = " with `allow_credentials: true`: browsers refuse `*` on credentialed requests; list "
                      "the origins (or headers) instead";
    if (config.any_origin) {
      options["allow_origins"].error(std::string("`*` cannot be combined") + why);
      ok = false;
    }
    if (config.any_method) {
      options["allow_methods"].error(std::string("`*` cannot be combined") + why);
      ok = false;
    }
    if (config.any_header) {
      options["allow_headers"].error(std::string("`*` cannot be combined") + why);
      ok = false;
    }
    if (any_exposed) {
      options["expose_headers"].error(std::string("`*` cannot be combined") + why);
      ok = false;
    }
    if (!ok) return std::nullopt;
  }
  config.allow_methods_value = config.any_method ? "*" : join_list(config.allow_methods);
  config.expose_headers = any_exposed ? "*" : join_list(exposed);
  return config;
}

}  // namespace gatehouse::policies::cors
