#pragma once
// Filling the store: turning a response (streamed to a client, or fetched in
// the background) into a StoredResponse and inserting it, and refreshing an
// entry from a 304 (RFC 9111 §3, §4.3.4). Shared by the policy's response
// path and its stale-while-revalidate refresh, so both store alike.
//
// Contract: callable on any worker thread; never throws, never blocks (the
// store's locks are short). Nothing here refers to a Policy, so a refresh
// that completes after a reload is still safe.

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "policies/cache/cache_control.h"
#include "policies/cache/cache_key.h"
#include "policies/cache/cache_runtime.h"
#include "policies/cache/freshness.h"
#include "policies/cache/response_field_summary.h"
#include "policies/cache/stored_response.h"
#include "proxy/common/thread_recycled.h"
#include "proxy/http/header_map.h"
#include "proxy/http/message.h"
#include "proxy/policy/policy.h"

namespace gatehouse::policies::cache {

// What the fill needs of the policy's options (copied, not referenced).
struct FillOptions {
  bool shared = true;
  std::size_t max_object_size = std::size_t{8} << 20;
  bool generate_etag = false;
  std::size_t etag_max_size = std::size_t{1} << 20;
};

// The entry for a storable response, without its body; null for Vary: *.
// The stored header section drops what §3.1 excludes and the proxy's own
// per-exchange X-Request-Id. `body_room` bytes are allocated with it for
// the body (its Content-Length): appended to entry->content, a body that
// long needs no allocation of its own.
std::shared_ptr<StoredResponse> make_entry(int status, std::string_view reason, const http::HeaderMap& response_headers,
                                           const CacheControl& response_cc, const http::HeaderMap& request_headers,
                                           std::string_view key_extra, const ResponseTiming& timing, bool shared,
                                           std::size_t body_room = 0);
// The same with `response_fields`, the summary of `response_headers` that
// summarize_for_entry() made: the fill's one pass over the response.
std::shared_ptr<StoredResponse> make_entry(int status, std::string_view reason, const http::HeaderMap& response_headers,
                                           const ResponseFieldSummary& response_fields,
                                           const CacheControl& response_cc, const http::HeaderMap& request_headers,
                                           std::string_view key_extra, const ResponseTiming& timing, bool shared,
                                           std::size_t body_room = 0);
// summarize_response_fields() as make_entry() needs it: the proxy's own
// per-exchange X-Request-Id is marked as a field not to store.
ResponseFieldSummary summarize_for_entry(const http::HeaderMap& response_headers,
                                         std::span<const std::string> targets);

// Adds a generated ETag to `entry` when asked and wants_generated_etag()
// says so, and inserts it, its content complete, under `primary`, whose
// CacheStore::key_hash() is `primary_hash`; false when it does not fit.
// A stored entry ends `flight` (the key's, when not null and not empty) in
// the same step: its waiters find the entry.
bool store_entry(CacheRuntime& runtime, std::string_view primary, std::size_t primary_hash,
                 std::shared_ptr<StoredResponse> entry, const FillOptions& options, Flight* flight = nullptr);

// §4.3.4 with one candidate: when the 304 selects `stored`, swaps in its
// refreshed copy and returns it (also when the store no longer held
// `stored`: the copy is still the right answer for this request); else null.
std::shared_ptr<const StoredResponse> refresh_entry(CacheRuntime& runtime, std::string_view primary,
                                                    const std::shared_ptr<const StoredResponse>& stored,
                                                    const http::HeaderMap& not_modified, const ResponseTiming& timing,
                                                    bool shared);

// Copies an upstream body into the entry as it streams to the client (into
// the entry's block when make_entry() was given its length) and stores the
// entry on on_complete(); past max_object_size it stops and stores nothing.
// `flight` (may be empty) is finished when the outcome is known, so
// collapsed requests retry as soon as the entry is there.
// One per stored miss on a worker: its block is recycled
// (thread_recycled.h).
class StoreObserver final : public policy::ResponseBodyObserver, public ThreadRecycled<StoreObserver> {
 public:
  // Copies the key (KeptKey: inline, no allocation for a usual key); takes
  // the entry and the flight (rvalues: each is moved once, on every stored
  // miss).
  StoreObserver(CacheRuntime& runtime, std::string_view primary, std::size_t primary_hash,
                std::shared_ptr<StoredResponse>&& entry, FillOptions options, Flight&& flight);
  ~StoreObserver() override;
  void on_body(std::string_view bytes) override;
  void on_complete() override;

 private:
  CacheRuntime& runtime_;
  KeptKey key_;  // the primary key only
  std::size_t primary_hash_;
  std::shared_ptr<StoredResponse> entry_;  // null once given up (too large)
  FillOptions options_;
  Flight flight_;
};

}  // namespace gatehouse::policies::cache
