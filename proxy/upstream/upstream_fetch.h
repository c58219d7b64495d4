#pragma once
// Sends an http::FetchRequest to one upstream group on a worker's pool and
// reads the whole response into memory, apart from any client connection: a
// cache refreshing a stale entry in the background (RFC 5861), say.
//
// Contract:
// - Call on the pool's worker thread. `done` runs exactly once on that
//   thread, with the response or the failure; if the worker's loop is stopped
//   first (shutdown), it is destroyed without running.
// - `owner` keeps `pool` alive (the ServingState it belongs to) until then.
// - Targets are chosen and failures marked as for a client request: after a
//   connection failure the next target is tried, none twice. A pooled
//   connection the upstream had closed is replaced once by a fresh one.
// - Timeouts are the upstream group's: connect_timeout for the connection
//   (and TLS handshake), timeout for the response head and each body read.
// - A complete response leaves its connection in the pool when reusable.

#include <functional>
#include <memory>

#include "proxy/http/fetch.h"
#include "proxy/upstream/upstream_pool.h"

namespace gatehouse {

using FetchDone = std::function<void(http::FetchResult)>;

void fetch_from_upstream(UpstreamPool& pool, std::shared_ptr<const void> owner, http::FetchRequest request,
                         FetchDone done);

}  // namespace gatehouse
