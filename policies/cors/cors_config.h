#pragma once
// The `cors` policy's options, parsed and compiled once at load:
//
//   - cors:
//       allow_origins: [https://app.example.com, "https://*.example.com"]   # or ["*"]
//       allow_origin_patterns: ['^https://pr-[0-9]+\.preview\.example\.com$']  # RE2, whole origin
//       allow_methods: [GET, POST, PUT]      # default GET, HEAD, POST
//       allow_headers: [Content-Type, Authorization]
//       expose_headers: [X-Request-Id]
//       allow_credentials: false
//       max_age: 10m
//
// At least one origin (exact, wildcard or pattern) must be given. `*` as an
// origin or a header name together with `allow_credentials: true` is an
// error: browsers refuse the wildcard on credentialed requests (Fetch
// standard, CORS protocol), so such a config can never work.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>

#include "proxy/config/config_node.h"

namespace gatehouse::policies::cors {

// `https://*.example.com[:port]`: any host below the suffix, same scheme and port.
struct WildcardOrigin {
  std::string scheme_and_dot;  // "https://" (the part before `*`)
  std::string suffix;          // ".example.com" or ".example.com:8443"
};

struct CorsConfig {
  bool any_origin = false;                 // `*` listed
  std::vector<std::string> exact_origins;  // lowercase
  std::vector<WildcardOrigin> wildcard_origins;
  std::vector<std::shared_ptr<const re2::RE2>> origin_patterns;
  std::vector<std::string> allow_methods;   // case-sensitive, as browsers send them
  bool any_method = false;                  // `*` (only without credentials)
  std::vector<std::string> allow_headers;   // lowercase
  bool any_header = false;                  // `*` (only without credentials)
  std::string expose_headers;               // the header value, empty for none
  bool allow_credentials = false;
  std::optional<std::chrono::seconds> max_age;
  // Precomputed preflight values.
  std::string allow_methods_value;

  // Whether `origin` (the request's Origin header) is allowed.
  bool origin_allowed(std::string_view origin) const;
};

// Parses `...policies[i].cors`; every problem is reported against its node;
// nullopt when anything was.
std::optional<CorsConfig> parse_cors_config(const config::ConfigNode& options);

}  // namespace gatehouse::policies::cors
