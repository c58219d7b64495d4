#pragma once
// The `cache` policy (options in cache_config.h): a shared HTTP cache in
// front of the route's upstream, following RFC 9111 with the pieces in this
// folder (see "HTTP cache core" in docs/architecture.md for how they fit).
//
// Contract:
// - on_request(), GET/HEAD: looks the request up in the process-wide store.
//   A usable entry is answered locally (respond(): the stored body shared,
//   Age and Cache-Status set, client conditionals → 304/412, then a Range
//   → 206 with a slice of the stored body or 416, see byte_range.h); a stale one
//   with validators is revalidated (the forwarded request gets
//   If-None-Match / If-Modified-Since); nothing stored → forwarded, or 504
//   for only-if-cached; with collapse_wait, a miss for a key another request
//   is already fetching pauses until that one is stored (bounded), then runs
//   again. stale-while-revalidate serves the stale entry and refreshes it
//   with one background fetch per entry.
// - on_request(), other methods: passed through; an unsafe one (anything
//   but GET, HEAD, OPTIONS, TRACE) is remembered for invalidation.
// - on_response(): a 304 to our revalidation refreshes the entry and serves
//   it (conditionals and Range applied as above); a 5xx (the upstream's or the proxy's own 502/503/504) within the
//   stale-if-error window serves the stale entry; a storable response is
//   observed and stored once its whole body arrived within max_object_size;
//   a successful unsafe request invalidates its URI and its Location /
//   Content-Location on the same host; a response to POST whose
//   Content-Location is its own URI, with explicit freshness, is then stored
//   for that URI. Every GET/HEAD response gets a Cache-Status member.
// - Immutable after construction; its state (the store, flights, metrics)
//   belongs to CacheRuntime, so entries survive reloads.

#include <memory>

#include "policies/cache/cache_config.h"
#include "policies/cache/cache_fill.h"
#include "policies/cache/cache_runtime.h"
#include "proxy/config/config_node.h"
#include "proxy/policy/policy.h"
#include "proxy/policy/services.h"

namespace gatehouse::policies::cache {

class CachePolicy final : public policy::Policy {
 public:
  CachePolicy(CacheConfig config, CacheRuntime& runtime, LookupCounters counters)
      : config_(std::move(config)), runtime_(runtime), counters_(counters) {}

  policy::RequestOutcome on_request(policy::RequestContext& ctx) const override;
  void on_response(policy::RequestContext& ctx, http::ResponseHead& response) const override;

  const CacheConfig& config() const noexcept { return config_; }

 private:
  struct Exchange;
  policy::RequestOutcome lookup(policy::RequestContext& ctx, bool waited) const;
  // Answers from `stored`, whose header section `stored_fields` holds (the
  // lookup's worker-local copy): the reply takes that map, and
  // `stored_fields` gets a pooled one in its place (header_map_pool.h), so a
  // hit copies the section once and allocates nothing for it.
  policy::RequestOutcome serve(policy::RequestContext& ctx, std::unique_ptr<Exchange> ex,
                               const StoredResponse& stored, http::HeaderMap& stored_fields, std::int64_t age,
                               std::int64_t ttl, WorkerLocalCounter* counter) const;
  // Rewrites `response` into the stored one (after a 304 or for
  // stale-if-error), applying the client's own conditionals.
  void serve_in_response(policy::RequestContext& ctx, const Exchange& ex, http::ResponseHead& response,
                         const std::shared_ptr<const StoredResponse>& entry) const;
  // Fetches the request's whole response in the background (GET, without
  // the client's Range and conditionals), at most one fetch per key at a
  // time, and stores it when storable. With `stored`, it revalidates that
  // entry (its validators sent; a 304 refreshes it): stale-while-revalidate.
  void fill_in_background(policy::RequestContext& ctx, const Exchange& ex,
                          std::shared_ptr<const StoredResponse> stored) const;
  // fill_on_range: a GET with Range that missed and got a 206 fills the
  // whole response in the background when the 206 says it fits
  // max_object_size (Content-Range's complete length) and its fields would
  // let the 200 be stored and reused, so the next Range requests are hits;
  // the client gets the upstream's 206 as it comes.
  void maybe_fill_for_range(policy::RequestContext& ctx, const Exchange& ex, const http::ResponseHead& response,
                            const ResponseFieldSummary& fields, const CacheControl& response_cc) const;
  void invalidate(const Exchange& ex, const http::ResponseHead& response) const;
  // RFC 9110 §9.3.3: a response to POST with explicit freshness and a
  // Content-Location that is the POST's own target URI is stored as that
  // resource's representation, which later GET and HEAD requests reuse.
  void maybe_store_post_response(policy::RequestContext& ctx, const Exchange& ex,
                                 http::ResponseHead& response) const;
  void maybe_store(policy::RequestContext& ctx, Exchange& ex, http::ResponseHead& response) const;
  // etag: generate, for a response to GET on its way to the client (stored
  // or not): holds it until its body is hashed (GeneratedEtagHandler).
  void maybe_generate_etag(policy::RequestContext& ctx, const Exchange& ex,
                           const http::ResponseHead& response) const;
  FillOptions fill_options() const;
  // Whether a storable response could ever be served: it has a freshness
  // lifetime, a validator to revalidate it with, or a stale window. One that
  // could not is not stored (as nginx and Varnish do not store a zero TTL):
  // storing it would cost a copy per request for nothing.
  bool reusable(const http::ResponseHead& response, const CacheControl& response_cc) const;
  // A response to HEAD: freshens or invalidates the stored GET response it
  // describes (RFC 9111 §4.3.5), else is stored to answer HEAD requests.
  void store_head_response(const Exchange& ex, const http::ResponseHead& response,
                           const http::HeaderMap& request_headers) const;

  CacheConfig config_;
  CacheRuntime& runtime_;
  LookupCounters counters_;
};

// The registry's entry (proxy/policy/registry.cc): parses `options`, sizes
// the process's store and builds the policy; or reports errors against
// `options` and returns null.
std::unique_ptr<const policy::Policy> create_cache_policy(const config::ConfigNode& options,
                                                          const policy::PolicyBuildContext& build);

}  // namespace gatehouse::policies::cache
