#pragma once
// The `headers` policy's options, parsed once at config load into plain
// values so that serving never parses anything:
//
//   - headers:
//       request:  { remove: [X-Debug], set: { X-Env: prod }, add: { Via: gatehouse } }
//       response: { remove: [Server], set: { Cache-Control: no-store } }
//
// Every key is optional, but the options themselves must be a map: a bare
// `- headers` would do nothing and is more likely a mistake than a wish.

#include <optional>
#include <string>
#include <vector>

#include "proxy/config/config_node.h"
#include "proxy/http/header_map.h"

namespace gatehouse::policies::headers {

// The edits for one direction, applied in this order: remove, set, add (so
// `remove` can never undo what the same block sets or adds).
struct HeaderEdits {
  std::vector<std::string> remove;  // names, matched case-insensitively
  std::vector<http::Header> set;    // replace every field of that name by one
  std::vector<http::Header> add;    // append, keeping any existing fields

  bool empty() const noexcept { return remove.empty() && set.empty() && add.empty(); }
};

struct HeadersConfig {
  HeaderEdits request;   // applied to the request before it goes upstream
  HeaderEdits response;  // applied to the response before it goes to the client
};

// Parses and validates the options node (`...policies[i].headers`): unknown
// keys, names that are not RFC 9110 tokens, values with control characters,
// a name set twice, and edits of headers the proxy itself manages (framing,
// hop-by-hop) are all reported against the offending node. Returns nullopt
// when anything was reported; every error is reported, not just the first.
std::optional<HeadersConfig> parse_headers_config(const config::ConfigNode& options);

}  // namespace gatehouse::policies::headers
