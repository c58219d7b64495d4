#pragma once
// The cache's admin endpoints (on the admin listener, see AdminRoutes):
//
//   GET  /cache/stats                       {"bytes","entries","keys","evictions","max_size",
//                                             "lookups":{result:n},"hit_ratio"}
//   POST /cache/purge?url=http://host/path  every variant stored for that URL
//   POST /cache/purge?prefix=http://host/a  every URL whose key starts so
//   POST /cache/purge?all                   everything
//                                            → {"purged": n}  (DELETE works as POST)
//
// URLs are normalised as cache keys are (scheme and host lowercased, default
// port dropped) but without any route's `key` options; a prefix is compared
// with those normalised keys byte for byte.

#include "policies/cache/cache_runtime.h"
#include "proxy/policy/services.h"

namespace gatehouse::policies::cache {

// Adds the endpoints once per process; later calls do nothing.
void register_cache_admin(policy::PolicyServices& services, CacheRuntime& runtime);

}  // namespace gatehouse::policies::cache
