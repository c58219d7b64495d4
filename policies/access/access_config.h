#pragma once
// The `access` policy's options (request hygiene), parsed once at load:
//
//   - access:
//       methods: [GET, POST]          # others -> 405 with Allow (GET implies HEAD)
//       max_body_size: 64KiB          # -> 413 (Content-Length up front, chunked while streaming)
//       allow_ips: [10.0.0.0/8]       # when given, only these clients -> else 403
//       deny_ips: [10.9.0.0/16]       # these clients -> 403 (wins over allow_ips)
//       max_header_count: 50          # request header fields -> 431
//
// Every key is optional; the options must be a map with at least one key (a
// bare `- access` would check nothing and is more likely a mistake).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proxy/common/cidr.h"
#include "proxy/config/config_node.h"

namespace gatehouse::policies::access {

struct AccessConfig {
  std::vector<std::string> methods;  // empty: any method; case-sensitive (RFC 9110 §9.1)
  std::string allow_header;          // the 405's Allow value, precomputed
  std::optional<std::uint64_t> max_body_size;
  std::vector<Cidr> allow_ips;       // empty: every client not denied
  std::vector<Cidr> deny_ips;
  std::optional<std::uint64_t> max_header_count;
};

// Parses `...policies[i].access`; every problem is reported against its
// node; nullopt when anything was.
std::optional<AccessConfig> parse_access_config(const config::ConfigNode& options);

}  // namespace gatehouse::policies::access
