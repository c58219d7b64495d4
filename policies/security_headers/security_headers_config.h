#pragma once
// The `security_headers` policy's options, resolved at config load into the
// exact header fields to write, so that serving only copies strings:
//
//   - security_headers:
//       preset: helmet                  # helmet 8's defaults (the default), or none
//       upstream: keep                  # an upstream's own field wins (default), or overwrite
//       content_security_policy:
//         directives: { script-src: ["'self'", "https://cdn.example"], upgrade-insecure-requests: off }
//         report_only: false
//       strict_transport_security: { max_age: 365d, include_subdomains: true, preload: false }
//       x_frame_options: DENY           # or SAMEORIGIN; `off` sends no such header
//       permissions_policy: { features: { camera: [], geolocation: [self] } }
//       server: gatehouse               # replace the upstream's Server; `off` removes it
//       hide_powered_by: true           # remove X-Powered-By (default)
//
// Every header key takes `off` (send nothing), a value, or a map with
// `value` and/or `upstream: keep|overwrite` (and the typed keys of the three
// structured headers). Route options reach the parser already merged over
// the `defaults:` entry key by key (proxy/config/policy_loader.cc), and the
// parser merges them over the preset the same way, CSP directives included.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proxy/config/config_node.h"

namespace gatehouse::policies::security_headers {

// One response header the policy writes.
struct SecurityHeader {
  std::string name;
  std::string value;
  // When the upstream's response already has this field: keep it (true) or
  // replace it by `value` (false). Local replies are treated the same way.
  bool keep_upstream = true;
  // Strict-Transport-Security: a browser ignores it over plain HTTP (RFC
  // 6797 §8.1), and sending it there would only advertise a policy the
  // connection cannot back, so it is written on TLS connections only.
  bool tls_only = false;
};

struct SecurityHeadersConfig {
  std::vector<SecurityHeader> headers;  // in helmet's order, then the others
  enum class ServerAction : std::uint8_t { kKeep, kRemove, kReplace };
  ServerAction server = ServerAction::kKeep;
  std::string server_value;  // for kReplace
  bool hide_powered_by = true;
};

// Parses and validates `...policies[i].security_headers` (null or undefined
// for a bare `- security_headers`, which means the helmet preset). Every
// problem is reported against its node; nullopt when anything was.
std::optional<SecurityHeadersConfig> parse_security_headers_config(const config::ConfigNode& options);

// helmet 8's default Content-Security-Policy value, byte for byte.
extern const char* const kHelmetContentSecurityPolicy;

}  // namespace gatehouse::policies::security_headers
