#pragma once
// The `rate_limit` policy's options, parsed once at config load:
//
//   - rate_limit: { key: client_ip, limit: 100/m }
//   - rate_limit:
//       key: [client_ip, header:X-Api-Key]   # client_ip (default) | route | header:NAME | claim:NAME, or a list
//       algorithm: token_bucket              # (default) | sliding_window | fixed_window
//       limits: [ { limit: 10/s, burst: 20 }, { limit: 1000/h } ]   # or one `limit:` (+ `burst:`)
//       mode: reject                         # (default) | delay (token_bucket only), with max_delay / max_queue
//       on_missing_key: shared               # (default) | deny | allow
//       headers: { ietf: true, legacy: true }
//       max_keys: 100000
//       store: local                         # (default) | redis
//       redis: { address: 127.0.0.1:6379, password: ${REDIS_PASSWORD}, username: gh,
//                tls: false,   # | true | { ca_file, verify, server_name, cert_file, key_file }
//                timeout: 20ms, pool_size: 2, prefix: "gatehouse:rl:" }   # store: redis only
//       on_store_error: local_fallback       # (default) | fail_open | fail_closed   (store: redis only)
//       expected_instances: 1                # local_fallback divides each limit by it (store: redis only)
//
// Defaults and ranges are documented in docs/configuration.md.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/rate_limit/algorithms.h"
#include "policies/rate_limit/limit_store.h"
#include "policies/rate_limit/rate_limit_key.h"
#include "policies/rate_limit/redis_store.h"
#include "proxy/config/config_node.h"

namespace gatehouse::policies::rate_limit {

enum class Mode : std::uint8_t { kReject, kDelay };

struct RateLimitConfig {
  KeySpec key;
  std::vector<LimitSpec> limits;          // 1..kMaxLimits, all with the same algorithm
  std::vector<std::string> limit_names;   // canonical rate text per limit ("10/s"), names them in headers
  Mode mode = Mode::kReject;
  Nanos max_delay{0};                     // delay mode only
  std::optional<std::uint64_t> max_queue; // delay mode only
  bool ietf_headers = true;               // RateLimit-Policy and RateLimit
  bool legacy_headers = true;             // X-RateLimit-Limit/-Remaining/-Reset
  std::uint64_t max_keys = 100000;
  // store: redis (unset: the local store).
  std::optional<RedisStoreSettings> redis;

  // delay mode: how far ahead of its limit a request may be admitted (the
  // smaller of max_delay and max_queue emission intervals); 0 in reject mode.
  Nanos tolerance() const noexcept;
  // Everything that shapes the counters, with the route's name: equal
  // fingerprints may (and after a reload do) share counters.
  std::string fingerprint(std::string_view route) const;
};

// A rate as written in the YAML: `100/s`, `10/m`, `1000/h`, `5/d`, or a
// count per duration (`10/5s`). The window must be 1s..1d.
struct Rate {
  std::uint64_t quota = 0;
  Nanos window{0};
};
std::optional<Rate> parse_rate(std::string_view text);
// The canonical text of a rate: `10/s`, `100/m`, `10/5s`.
std::string rate_text(std::uint64_t quota, Nanos window);

// Parses and validates the options node (`...policies[i].rate_limit`),
// reporting every problem against the offending node. nullopt when anything
// was reported.
std::optional<RateLimitConfig> parse_rate_limit_config(const config::ConfigNode& options);

}  // namespace gatehouse::policies::rate_limit
