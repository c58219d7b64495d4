#pragma once
// The `cache` policy's options, parsed once at config load:
//
//   - cache                                  # every default
//   - cache:
//       max_size: 256MiB            # the process-wide store (shared by every route; see docs)
//       max_object_size: 8MiB       # larger responses stream through uncached
//       default_ttl: 0s             # lifetime for responses with no explicit or Last-Modified one (0: none)
//       heuristic_percent: 10       # §4.2.2 heuristic: % of (Date − Last-Modified); 0 disables
//       heuristic_max: 1d           # cap of a heuristic lifetime
//       key: { headers: [X-Tenant], ignore_query: [utm_source], sort_query: false }
//       store_set_cookie: false
//       stale_while_revalidate: 0s  # used when a response gives none (RFC 5861)
//       stale_if_error: 0s          # likewise
//       etag: off                   # | generate: a strong ETag for 200 responses to GET without one
//       etag_max_size: 1MiB         # larger bodies get no generated ETag (non-stored responses are held this long)
//       collapse_wait: 2s           # concurrent misses wait this long for the first one (0s: no collapsing)
//       targeted_fields: [CDN-Cache-Control]  # RFC 9213 fields obeyed over Cache-Control, first wins ([]: none)
//       fill_on_range: true         # a miss answered with a storable 206 fetches the whole response to store
//
// Defaults and ranges are documented in docs/configuration.md.

#include <chrono>
#include <cstddef>
#include <optional>

#include "policies/cache/cache_key.h"
#include "policies/cache/freshness.h"
#include "policies/cache/storability.h"
#include "proxy/config/config_node.h"

namespace gatehouse::policies::cache {

struct CacheConfig {
  std::size_t max_size = std::size_t{256} << 20;
  std::size_t max_object_size = std::size_t{8} << 20;
  Seconds default_ttl{0};
  FreshnessOptions freshness{.shared = true,
                             .heuristic_fraction = 0.1,
                             .heuristic_max = std::chrono::hours(24),
                             .targeted_fields = std::make_shared<const std::vector<std::string>>(
                                 std::vector<std::string>{"cdn-cache-control"})};
  CacheKeyOptions key;
  StorabilityOptions storability;
  Seconds stale_while_revalidate{0};
  Seconds stale_if_error{0};
  bool generate_etag = false;
  std::size_t etag_max_size = std::size_t{1} << 20;
  std::chrono::milliseconds collapse_wait{2000};
  bool fill_on_range = true;
};

// Parses and validates the options node (`...policies[i].cache`), reporting
// every problem against the offending node; an undefined or null node (a
// bare `- cache`) gives the defaults. nullopt when anything was reported.
std::optional<CacheConfig> parse_cache_config(const config::ConfigNode& options);

}  // namespace gatehouse::policies::cache
