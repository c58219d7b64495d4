#include "policies/cache/cache_policy.h"

#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "policies/cache/byte_range.h"
#include "policies/cache/cache_admin.h"
#include "policies/cache/cache_control.h"
#include "policies/cache/cache_fill.h"
#include "policies/cache/cache_key.h"
#include "policies/cache/cache_status.h"
#include "policies/cache/conditional.h"
#include "policies/cache/freshness.h"
#include "policies/cache/generated_etag.h"
#include "policies/cache/http_date.h"
#include "policies/cache/storability.h"
#include "proxy/admin/scrape_hooks.h"
#include "proxy/common/thread_recycled.h"
#include "proxy/http/header_map_pool.h"

namespace gatehouse::policies::cache {
namespace {

std::string_view host_of(const http::RequestHead& request) {
  const std::string* host = request.headers.find("host");
  return host != nullptr ? std::string_view(*host) : std::string_view();
}

// What a lookup reads of the request's fields, found in one pass.
struct RequestFields {
  std::string_view host;       // the first Host; empty when none
  bool authorization = false;
  bool directives = false;     // Cache-Control or Pragma: request_cache_control() has something to read
};

RequestFields scan_request_fields(const http::HeaderMap& headers) {
  RequestFields r;
  bool host = false;
  for (const http::Header& h : headers) {
    switch (h.name.size()) {
      case 4:
        if (!host && http::iequals(h.name, "host")) {
          r.host = h.value;
          host = true;
        }
        break;
      case 6: r.directives = r.directives || http::iequals(h.name, "pragma"); break;
      case 13:
        if (http::iequals(h.name, "authorization")) {
          r.authorization = true;
        } else {
          r.directives = r.directives || http::iequals(h.name, "cache-control");
        }
        break;
      default: break;
    }
  }
  return r;
}

std::string decimal(std::int64_t n) { return std::to_string(n); }

// A primary key's authority and origin-form target ("scheme://authority/target"),
// against which references in Location and Content-Location resolve.
struct KeyAuthorityAndTarget {
  std::string_view authority;
  std::string_view target;
};

std::optional<KeyAuthorityAndTarget> authority_and_target(std::string_view primary) {
  const std::size_t scheme_end = primary.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  const std::size_t path_start = primary.find('/', scheme_end + 3);
  if (path_start == std::string_view::npos) return std::nullopt;
  return KeyAuthorityAndTarget{primary.substr(scheme_end + 3, path_start - scheme_end - 3), primary.substr(path_start)};
}

// How long a key whose response could not be stored skips request
// collapsing (Varnish's hit-for-miss): waiting for a response that will not
// be stored only delays the waiters.
constexpr std::chrono::seconds kUncacheableWindow{10};

void default_window(DeltaDirective& directive, Seconds fallback) {
  if (directive.present || fallback.count() <= 0) return;
  directive.present = directive.valid = directive.has_argument = true;
  directive.seconds = fallback.count();
}

// The key a lookup builds, worker-local so that its strings keep their
// capacity: a request served from the store never needs its key again, so
// only the requests that go on copy it into their Exchange (lookup()'s
// keep_key). Valid until the worker's next lookup (serve() runs within
// lookup()).
CacheKey& worker_lookup_key() {
  thread_local CacheKey key;
  return key;
}

}  // namespace

// What the policy keeps of a GET/HEAD (or unsafe) request between its hooks.
// Made and dropped once per request on a worker: its block is recycled
// (thread_recycled.h).
struct CachePolicy::Exchange final : policy::RequestData, ThreadRecycled<CachePolicy::Exchange> {
  Exchange() = default;
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  enum class Mode { kServed, kForward, kRevalidate, kUnsafe };
  Mode mode = Mode::kForward;
  KeptKey key;
  std::string_view scheme;  // "http" or "https": a literal
  CacheControl request_cc;
  bool authorization = false;  // the request has Authorization
  HttpTime request_time;
  // The entry being revalidated, or the stale one stale-if-error may serve.
  std::shared_ptr<const StoredResponse> stored;
  bool stale_if_error = false;
  // The client's own header section, kept when revalidation replaced its
  // conditionals (they are evaluated against the refreshed entry).
  std::optional<http::HeaderMap> client_headers;
  CacheStatus status;
  bool waited = false;  // paused once for another request's miss
  bool known_uncacheable = false;  // the store's hit-for-miss mark is on for this key
  std::size_t key_hash = 0;        // CacheStore::key_hash(key.primary()), from the lookup
  Flight flight;
};

policy::RequestOutcome CachePolicy::on_request(policy::RequestContext& ctx) const {
  const http::RequestHead& request = ctx.request();
  const http::Method method = request.method_id;
  if (method == http::Method::kGet || method == http::Method::kHead) {
    const Exchange* previous = ctx.data_as<Exchange>(this);
    return lookup(ctx, previous != nullptr && previous->waited);
  }
  count_lookup(counters_.bypass);
  if (!http::is_safe_method(method)) {
    auto ex = std::make_unique<Exchange>();
    ex->mode = Exchange::Mode::kUnsafe;
    ex->scheme = ctx.is_tls() ? "https" : "http";
    ex->request_time = http::http_now();
    ex->key.assign(primary_key(ex->scheme, host_of(request), request.origin_form(), config_.key), {});
    ctx.set_data(this, std::move(ex));
  }
  return policy::RequestOutcome::proceed();
}

policy::RequestOutcome CachePolicy::lookup(policy::RequestContext& ctx, bool waited) const {
  http::RequestHead& request = ctx.request();
  const bool head = request.method_id == http::Method::kHead;
  auto ex = std::make_unique<Exchange>();
  ex->waited = waited;
  ex->scheme = ctx.is_tls() ? "https" : "http";
  CacheKey& lookup_key = worker_lookup_key();
  const RequestFields fields = scan_request_fields(request.headers);
  build_cache_key(lookup_key, ex->scheme, fields.host, request.origin_form(), request.headers, config_.key);
  // A request that goes on copies the built key into its Exchange (KeptKey:
  // inline, no allocation for a usual key).
  auto keep_key = [&ex, &lookup_key] { ex->key.assign(lookup_key); };
  ex->authorization = fields.authorization;
  if (fields.directives) ex->request_cc = request_cache_control(request.headers);
  const HttpTime now = http::http_now();
  ex->request_time = now;

  // Collapsing: only a GET can fill the store for the others, and not
  // while the key's last response could not be stored (hit-for-miss: the
  // store does not claim then); an only-if-cached request fetches nothing.
  const bool collapse =
      !head && !waited && !ex->request_cc.only_if_cached && config_.collapse_wait.count() > 0;
  CacheStore::MissInfo miss;
  std::shared_ptr<const StoredResponse> stored =
      runtime_.store().lookup(lookup_key.primary, lookup_key.extra, request.headers, head, &miss, collapse);
  ex->key_hash = miss.key_hash;
  if (!stored) {
    keep_key();
    ex->known_uncacheable = miss.recently_uncacheable;
    if (ex->request_cc.only_if_cached) {
      ex->mode = Exchange::Mode::kServed;
      ex->status.detail = "only-if-cached";
      count_lookup(counters_.miss);
      ctx.set_data(this, std::move(ex));
      return policy::RequestOutcome::respond_error(504, "not_cached",
                                                   "only-if-cached was requested and no stored response fits");
    }
    ex->status.fwd = miss.has_variants ? ForwardReason::kVaryMiss : ForwardReason::kUriMiss;
    if (miss.flight == CacheStore::FlightRole::kLeader) {
      ex->flight = Flight(runtime_, miss.key_hash, miss.flight_hash);
    } else if (miss.flight == CacheStore::FlightRole::kInFlight &&
               runtime_.wait(miss.key_hash, miss.flight_hash, ctx.pause_handle(), ctx.executor(),
                             config_.collapse_wait)) {
      ex->waited = true;
      ctx.set_data(this, std::move(ex));
      return policy::RequestOutcome::pause();
    }
    ctx.set_data(this, std::move(ex));
    return policy::RequestOutcome::proceed();
  }

  // The stored fields as an http::HeaderMap, for the reply and the
  // conditional functions: a worker-local one whose slots are reused, so a
  // lookup does not allocate for it. Valid until the next lookup on this
  // thread.
  thread_local http::HeaderMap stored_fields;
  bool fields_copied = false;
  auto copy_fields = [&] {
    if (!fields_copied) stored->headers.copy_to(stored_fields);
    fields_copied = true;
  };
  // What freshness needs of the entry: kept by the first lookup that
  // computed it, unless the options changed since (a reload).
  StoredFreshness computed;
  const StoredFreshness* freshness = stored->freshness.get();
  if (freshness == nullptr || !(freshness->options == config_.freshness)) {
    copy_fields();
    computed = stored_freshness(stored->status, stored_fields,
                                response_cache_control(stored_fields, config_.freshness.targets()),
                                stored->timing, config_.freshness);
    if (freshness == nullptr) stored->freshness.keep(computed);
    freshness = &computed;
  }
  ReuseDirectives directives = freshness->directives;
  default_window(directives.stale_while_revalidate, config_.stale_while_revalidate);
  default_window(directives.stale_if_error, config_.stale_if_error);
  Lifetime lifetime = freshness->lifetime;
  if (lifetime.source == LifetimeSource::kNone && config_.default_ttl.count() > 0 &&
      (is_heuristically_cacheable(stored->status) || directives.is_public)) {
    lifetime = Lifetime{config_.default_ttl, LifetimeSource::kHeuristic};
  }
  const Seconds age = current_age(freshness->initial_age, stored->timing, now);
  const ReuseDecision decision = decide_reuse(
      ReuseInputs{.response_cc = directives, .lifetime = lifetime, .age = age, .request_cc = ex->request_cc,
                  .has_validator = freshness->has_validator},
      config_.freshness);
  ex->stored = stored;
  ex->stale_if_error = decision.stale_if_error;
  // Whether the request's own directives, not the entry's age, sent it on.
  const ForwardReason why = lifetime.value > age ? ForwardReason::kRequest : ForwardReason::kStale;

  switch (decision.action) {
    case ReuseAction::kServeFresh:
      copy_fields();
      return serve(ctx, std::move(ex), *stored, stored_fields, decision.age.count(), decision.ttl.count(),
                   waited ? counters_.collapsed : counters_.hit);
    case ReuseAction::kServeStaleWhileRevalidate:
      keep_key();
      fill_in_background(ctx, *ex, ex->stored);
      [[fallthrough]];
    case ReuseAction::kServeStale:
      copy_fields();
      return serve(ctx, std::move(ex), *stored, stored_fields, decision.age.count(), decision.ttl.count(),
                   counters_.stale);
    case ReuseAction::kRevalidate:
      keep_key();
      ex->client_headers = request.headers;
      copy_fields();
      add_revalidation_preconditions(request.headers, {&stored_fields});
      ex->mode = Exchange::Mode::kRevalidate;
      ex->status.fwd = why;
      ctx.set_data(this, std::move(ex));
      return policy::RequestOutcome::proceed();
    case ReuseAction::kForward:
      keep_key();
      ex->status.fwd = why;
      ctx.set_data(this, std::move(ex));
      return policy::RequestOutcome::proceed();
    case ReuseAction::kGatewayTimeout:
      break;
  }
  ex->mode = Exchange::Mode::kServed;
  ex->status.detail = "only-if-cached";
  count_lookup(counters_.miss);
  ctx.set_data(this, std::move(ex));
  return policy::RequestOutcome::respond_error(504, "not_cached",
                                               "only-if-cached was requested and the stored response is stale");
}

policy::RequestOutcome CachePolicy::serve(policy::RequestContext& ctx, std::unique_ptr<Exchange> ex,
                                          const StoredResponse& stored, http::HeaderMap& stored_fields,
                                          std::int64_t age, std::int64_t ttl, WorkerLocalCounter* counter) const {
  const http::RequestHead& request = ctx.request();
  // Designated: the default content_type (a JSON error's) would allocate,
  // only to be cleared; a stored response carries its own.
  policy::LocalReply reply{.status = stored.status,
                           .headers = std::exchange(stored_fields, http::take_header_map()),
                           .body = {},
                           .shared_body = {},
                           .shared_slice = {},
                           .content_type = {}};
  reply.headers.set("Age", decimal(age));
  reply.keep_content_length = stored.head_only;
  // If-Match / If-Unmodified-Since too: RFC 9111 §4.3.2 leaves them to the
  // origin, but a response served from the store stands in for the origin's,
  // and only the cache can evaluate them against a generated ETag.
  switch (evaluate_conditionals(request.method_id, request.headers, stored.status, reply.headers,
                                stored.timing.response_time,
                                {.origin_preconditions = OriginPreconditions::kEvaluate})) {
    case ConditionalOutcome::kForward:
      if (ex->key.empty()) ex->key.assign(worker_lookup_key());  // not kept yet (stale-while-revalidate keeps it)
      ex->mode = Exchange::Mode::kForward;
      ex->status.fwd = ForwardReason::kRequest;
      ctx.set_data(this, std::move(ex));
      return policy::RequestOutcome::proceed();
    case ConditionalOutcome::kNotModified:
      reply.headers = not_modified_headers(reply.headers);
      reply.status = 304;
      break;
    case ConditionalOutcome::kPreconditionFailed:
      reply = policy::LocalReply{};
      reply.status = 412;
      reply.body = R"({"error":{"code":"precondition_failed","message":"a precondition of the request is false for the stored response"}})";
      break;
    case ConditionalOutcome::kServe:
      reply.shared_body = shared_body(ex->stored);
      apply_byte_range(request.method_id, request.headers, reply.status, reply.headers, reply.shared_body,
                       reply.shared_slice);
      break;
  }
  count_lookup(counter);
  ex->mode = Exchange::Mode::kServed;
  ex->status.hit = true;
  ex->status.ttl = ttl;
  ex->status.collapsed = ex->waited;
  ctx.set_data(this, std::move(ex));
  return policy::RequestOutcome::respond(std::move(reply));
}

void CachePolicy::fill_in_background(policy::RequestContext& ctx, const Exchange& ex,
                                     std::shared_ptr<const StoredResponse> stored) const {
  std::string background_key = std::string(ex.key.primary()).append(1, '\n').append(ex.key.extra());
  if (!runtime_.begin_background(background_key)) return;
  // Ends the refresh whether `done` runs or is dropped (shutdown, no route).
  struct BackgroundSlot {
    BackgroundSlot(CacheRuntime& r, std::string k) : runtime(r), key(std::move(k)) {}
    BackgroundSlot(const BackgroundSlot&) = delete;
    BackgroundSlot& operator=(const BackgroundSlot&) = delete;
    ~BackgroundSlot() { runtime.end_background(key); }
    CacheRuntime& runtime;
    std::string key;
  };
  auto slot = std::make_shared<BackgroundSlot>(runtime_, std::move(background_key));

  const http::RequestHead& request = ctx.request();
  http::FetchRequest fetch;
  fetch.method = http::Method::kGet;
  fetch.target = std::string(request.origin_form());
  fetch.max_body = config_.max_object_size;
  fetch.headers = request.headers;
  fetch.headers.remove_if([](const http::Header& h) {
    static constexpr std::string_view kDropped[] = {"if-match",      "if-none-match", "if-modified-since",
                                                    "if-unmodified-since", "if-range", "range", "content-length",
                                                    "transfer-encoding", "connection", "keep-alive", "te",
                                                    "upgrade", "expect", "cache-control", "pragma"};
    for (std::string_view name : kDropped) {
      if (http::iequals(h.name, name)) return true;
    }
    return false;
  });
  if (stored) {
    const http::HeaderMap stored_fields = stored->headers.to_map();
    add_revalidation_preconditions(fetch.headers, {&stored_fields});
  }

  const FillOptions fill = fill_options();
  const StorabilityOptions storability_options = config_.storability;
  http::HeaderMap request_headers = fetch.headers;
  std::shared_ptr<const std::vector<std::string>> targets = config_.freshness.targeted_fields;
  ctx.fetch_in_background(
      std::move(fetch),
      [slot, fill, storability_options, targets = std::move(targets), stored = std::move(stored),
       primary = std::string(ex.key.primary()), extra = std::string(ex.key.extra()),
       request_headers = std::move(request_headers), request_time = http::http_now()](http::FetchResult result) {
        if (!result.ok) return;
        const ResponseTiming timing{request_time, http::http_now()};
        CacheRuntime& runtime = slot->runtime;
        // Not forwarded, so the core added no Date: a response stored
        // without one gets the time it arrived (RFC 9110 §6.6.1).
        if (result.status != 304 && !result.headers.contains("date")) {
          result.headers.add("Date", format_http_date(timing.response_time));
        }
        if (result.status == 304) {
          if (stored) refresh_entry(runtime, primary, stored, result.headers, timing, fill.shared);
          return;
        }
        const std::span<const std::string> target_names =
            targets ? std::span<const std::string>(*targets) : std::span<const std::string>();
        const ResponseFieldSummary fields = summarize_for_entry(result.headers, target_names);
        const CacheControl response_cc = response_cache_control(result.headers, target_names, fields);
        const CacheControl request_cc = request_cache_control(request_headers);
        if (storability(http::Method::kGet, request_headers.contains("authorization"), request_cc, result.status,
                        result.headers, fields, response_cc, storability_options) != StoreVerdict::kStorable) {
          return;
        }
        std::shared_ptr<StoredResponse> entry = make_entry(result.status, http::reason_phrase(result.status),
                                                           result.headers, fields, response_cc, request_headers,
                                                           extra, timing, fill.shared);
        if (entry) {
          entry->content.assign(std::move(result.body));
          store_entry(runtime, primary, CacheStore::key_hash(primary), std::move(entry), fill);
        }
      });
}

void CachePolicy::on_response(policy::RequestContext& ctx, http::ResponseHead& response) const {
  Exchange* ex = ctx.data_as<Exchange>(this);
  if (ex == nullptr) return;
  switch (ex->mode) {
    case Exchange::Mode::kServed:
      append_cache_status(response.headers, ex->status);
      return;
    case Exchange::Mode::kUnsafe:
      invalidate(*ex, response);
      if (ctx.request().method_id == http::Method::kPost) maybe_store_post_response(ctx, *ex, response);
      return;
    case Exchange::Mode::kRevalidate:
      if (response.status == 304) {
        const ResponseTiming timing{ex->request_time, http::http_now()};
        std::shared_ptr<const StoredResponse> fresh =
            refresh_entry(runtime_, ex->key.primary(), ex->stored, response.headers, timing, config_.freshness.shared);
        count_lookup(counters_.revalidated);
        ex->status.fwd_status = 304;
        // A 304 whose validators contradict the entry must not update it
        // (§4.3.4), but it still says "not modified" to the conditional
        // request made for that entry, and the client (whose own
        // conditionals were replaced) must not get a bare 304 it never
        // asked for: the entry is served as it was.
        serve_in_response(ctx, *ex, response, fresh ? fresh : ex->stored);
        return;
      }
      break;
    case Exchange::Mode::kForward:
      break;
  }
  if (ex->stored && ex->stale_if_error && response.status >= 500 &&
      response.status <= 599) {
    count_lookup(counters_.stale);
    ex->status.fwd_status = response.status;
    serve_in_response(ctx, *ex, response, ex->stored);
    return;
  }
  count_lookup(counters_.miss);
  maybe_store(ctx, *ex, response);
  maybe_generate_etag(ctx, *ex, response);
  append_cache_status(response.headers, ex->status);
}

void CachePolicy::serve_in_response(policy::RequestContext& ctx, const Exchange& ex, http::ResponseHead& response,
                                    const std::shared_ptr<const StoredResponse>& entry) const {
  const StoredResponse& stored = *entry;
  const http::RequestHead& request = ctx.request();
  const http::HeaderMap& client = ex.client_headers ? *ex.client_headers : request.headers;
  const std::string* request_id = response.headers.find("x-request-id");
  http::HeaderMap headers = stored.headers.to_map();
  const Seconds age = current_age(headers, stored.timing, http::http_now());
  if (request_id != nullptr) headers.set("X-Request-Id", *request_id);
  headers.set("Age", decimal(age.count()));
  response.status = stored.status;
  response.reason = stored.reason;
  policy::SharedBody body = shared_body(entry);
  if (evaluate_conditionals(request.method_id, client, stored.status, headers, stored.timing.response_time) ==
      ConditionalOutcome::kNotModified) {
    headers = not_modified_headers(headers);
    if (request_id != nullptr) headers.set("X-Request-Id", *request_id);
    response.status = 304;
    response.reason = "Not Modified";
    body = policy::SharedBody::of({});
  }
  policy::BodySlice slice;
  if (apply_byte_range(request.method_id, client, response.status, headers, body, slice)) {
    response.reason = http::reason_phrase(response.status);
  }
  response.headers = std::move(headers);
  append_cache_status(response.headers, ex.status);
  // An entry filled by HEAD serves only HEAD, which gets no body: its
  // Content-Length (the content's) must stay.
  if (!stored.head_only) ctx.replace_response_body(std::move(body), slice);
}

void CachePolicy::maybe_store(policy::RequestContext& ctx, Exchange& ex, http::ResponseHead& response) const {
  const http::RequestHead& request = ctx.request();
  const http::HeaderMap& request_headers = ex.client_headers ? *ex.client_headers : request.headers;
  if (request.method_id == http::Method::kHead) {
    store_head_response(ex, response, request_headers);
    return;
  }
  // A local reply (the proxy's 502) is never observed, so it is never
  // stored either.
  // One pass over the response's fields for everything below.
  const ResponseFieldSummary fields = summarize_for_entry(response.headers, config_.freshness.targets());
  const CacheControl response_cc = response_cache_control(response.headers, config_.freshness.targets(), fields);
  const StoreVerdict verdict = storability(request.method_id, ex.authorization, ex.request_cc, response.status,
                                           response.headers, fields, response_cc, config_.storability);
  if (response.status == 206) maybe_fill_for_range(ctx, ex, response, fields, response_cc);
  const bool known_length = response.framing == http::BodyFraming::kContentLength;
  const bool too_large = known_length && response.content_length > config_.max_object_size;
  std::shared_ptr<StoredResponse> entry;
  if (verdict == StoreVerdict::kStorable && !too_large && reusable(response, response_cc)) {
    // A body of known length is copied into the entry's own block.
    entry = make_entry(response.status, response.reason, response.headers, fields, response_cc, request_headers,
                       ex.key.extra(), ResponseTiming{ex.request_time, http::http_now()}, config_.freshness.shared,
                       known_length ? static_cast<std::size_t>(response.content_length) : 0);
  }
  if (!entry) {
    if (!ex.known_uncacheable) {
      // The mark and the flight's end in one step: the waiters, looking
      // again, go upstream at once.
      CacheStore::FlightEnd end{.hash = ex.flight.key()};
      runtime_.store().mark_uncacheable(ex.key_hash, std::chrono::steady_clock::now() + kUncacheableWindow,
                                        ex.flight ? &end : nullptr);
      if (end.ended) ex.flight.ended_in_store(end.waited_for);
    }
    ex.flight.finish();
    return;
  }
  ctx.observe_response_body(std::make_unique<StoreObserver>(runtime_, ex.key.primary(), ex.key_hash,
                                                            std::move(entry), fill_options(), std::move(ex.flight)));
  ex.status.stored = true;
}

void CachePolicy::maybe_fill_for_range(policy::RequestContext& ctx, const Exchange& ex,
                                       const http::ResponseHead& response, const ResponseFieldSummary& fields,
                                       const CacheControl& response_cc) const {
  if (!config_.fill_on_range || ctx.request().method_id != http::Method::kGet ||
      !ctx.request().headers.contains("range")) {
    return;
  }
  // Only a representation that fits the store, known from the part's
  // Content-Range, and whose fields would let its 200 be stored and reused.
  const std::optional<std::uint64_t> length = content_range_complete_length(response.headers);
  if (!length || *length == 0 || *length > config_.max_object_size) return;
  if (storability(http::Method::kGet, ex.authorization, ex.request_cc, 200, response.headers, fields, response_cc,
                  config_.storability) != StoreVerdict::kStorable ||
      !reusable(response, response_cc)) {
    return;
  }
  fill_in_background(ctx, ex, nullptr);
}

bool CachePolicy::reusable(const http::ResponseHead& response, const CacheControl& response_cc) const {
  if (config_.default_ttl.count() > 0) return true;
  if (response_cc.stale_while_revalidate.present || response_cc.stale_if_error.present ||
      config_.stale_while_revalidate.count() > 0 || config_.stale_if_error.count() > 0) {
    return true;
  }
  const FreshnessFields fields(response.headers);  // one pass for the validators and the lifetime
  if (fields.has_validator()) return true;
  const Lifetime lifetime = freshness_lifetime(response.status, fields, response_cc, http::http_now(), config_.freshness);
  return lifetime.value.count() > 0;
}

void CachePolicy::store_head_response(const Exchange& ex, const http::ResponseHead& response,
                                      const http::HeaderMap& request_headers) const {
  const ResponseTiming timing{ex.request_time, http::http_now()};
  // §4.3.5: a 200 to HEAD freshens the stored GET response it matches, or
  // shows that it changed. Only the variant this request selects is judged.
  if (response.status == 200) {
    if (std::shared_ptr<const StoredResponse> get_entry =
            runtime_.store().lookup(ex.key.primary(), ex.key.extra(), request_headers, false)) {
      if (head_matches_stored(get_entry->headers.to_map(), get_entry->body().size(), response.headers)) {
        std::shared_ptr<const StoredResponse> fresh =
            refreshed(get_entry, response.headers, timing, config_.freshness.shared);
        runtime_.store().replace(ex.key.primary(), get_entry, fresh);
      } else {
        runtime_.store().invalidate(ex.key.primary());  // stale at best: gone
      }
      return;
    }
  }
  // Nothing to freshen: the response may still answer later HEAD requests
  // (an entry with no content, which a GET never selects).
  const ResponseFieldSummary fields = summarize_for_entry(response.headers, config_.freshness.targets());
  const CacheControl response_cc = response_cache_control(response.headers, config_.freshness.targets(), fields);
  if (storability(http::Method::kHead, ex.authorization, ex.request_cc, response.status, response.headers, fields,
                  response_cc, config_.storability) != StoreVerdict::kStorable) {
    return;
  }
  std::shared_ptr<StoredResponse> entry = make_entry(response.status, response.reason, response.headers, fields,
                                                     response_cc, request_headers, ex.key.extra(), timing,
                                                     config_.freshness.shared);
  if (!entry) return;
  entry->head_only = true;
  runtime_.store().insert(ex.key.primary(), std::move(entry));
}

FillOptions CachePolicy::fill_options() const {
  return FillOptions{.shared = config_.freshness.shared, .max_object_size = config_.max_object_size,
                     .generate_etag = config_.generate_etag, .etag_max_size = config_.etag_max_size};
}

void CachePolicy::maybe_generate_etag(policy::RequestContext& ctx, const Exchange& ex,
                                      const http::ResponseHead& response) const {
  const http::RequestHead& request = ctx.request();
  if (!config_.generate_etag || request.method_id != http::Method::kGet ||
      !wants_generated_etag(response.status, response.headers)) {
    return;
  }
  if (response.framing == http::BodyFraming::kContentLength && response.content_length > config_.etag_max_size) {
    return;
  }
  // The client's own If-None-Match (a revalidation replaced the forwarded one).
  const http::HeaderMap& client = ex.client_headers ? *ex.client_headers : request.headers;
  std::string if_none_match;
  for (const http::Header& field : client) {
    if (!http::iequals(field.name, "if-none-match")) continue;
    if (!if_none_match.empty()) if_none_match += ", ";
    if_none_match += field.value;
  }
  ctx.hold_response(config_.etag_max_size, std::make_unique<GeneratedEtagHandler>(std::move(if_none_match)));
}

void CachePolicy::invalidate(const Exchange& ex, const http::ResponseHead& response) const {
  // §4.4: only a non-error response means the state may have changed.
  if (response.status < 200 || response.status >= 400) return;
  runtime_.store().invalidate(ex.key.primary());
  // The request's target (origin-form) is part of the primary key already;
  // references resolve against it.
  if (const std::optional<KeyAuthorityAndTarget> parts = authority_and_target(ex.key.primary())) {
    for (std::string_view field : {std::string_view("location"), std::string_view("content-location")}) {
      const std::string* value = response.headers.find(field);
      if (value == nullptr) continue;
      if (std::optional<std::string> key =
              primary_key_for_reference(*value, ex.scheme, parts->authority, parts->target, config_.key)) {
        runtime_.store().invalidate(*key);
      }
    }
  }
}

void CachePolicy::maybe_store_post_response(policy::RequestContext& ctx, const Exchange& ex,
                                            http::ResponseHead& response) const {
  const std::string* location = response.headers.find("content-location");
  if (location == nullptr) return;
  const http::RequestHead& request = ctx.request();
  CacheKey key;
  build_cache_key(key, ex.scheme, host_of(request), request.origin_form(), request.headers, config_.key);
  const std::optional<KeyAuthorityAndTarget> parts = authority_and_target(key.primary);
  if (!parts) return;
  const std::optional<std::string> location_key =
      primary_key_for_reference(*location, ex.scheme, parts->authority, parts->target, config_.key);
  if (!location_key || *location_key != key.primary) return;
  // Explicit freshness only: a heuristic or default lifetime is not the
  // origin saying the response stands for the resource.
  const ResponseFieldSummary fields = summarize_for_entry(response.headers, config_.freshness.targets());
  const CacheControl response_cc = response_cache_control(response.headers, config_.freshness.targets(), fields);
  const bool explicit_freshness = response_cc.max_age.valid ||
                                  (config_.freshness.shared && response_cc.s_maxage.valid) ||
                                  (!response_cc.targeted && fields.expires);
  if (!explicit_freshness) return;
  // Judged as the GET it will answer: status, directives, Authorization.
  const CacheControl request_cc = request_cache_control(request.headers);
  if (storability(http::Method::kGet, request.headers.contains("authorization"), request_cc, response.status,
                  response.headers, fields, response_cc, config_.storability) != StoreVerdict::kStorable) {
    return;
  }
  const bool known_length = response.framing == http::BodyFraming::kContentLength;
  if (known_length && response.content_length > config_.max_object_size) return;
  std::shared_ptr<StoredResponse> entry =
      make_entry(response.status, response.reason, response.headers, fields, response_cc, request.headers, key.extra,
                 ResponseTiming{ex.request_time, http::http_now()}, config_.freshness.shared,
                 known_length ? static_cast<std::size_t>(response.content_length) : 0);
  if (!entry) return;
  const std::size_t hash = CacheStore::key_hash(key.primary);
  ctx.observe_response_body(
      std::make_unique<StoreObserver>(runtime_, key.primary, hash, std::move(entry), fill_options(), Flight()));
}

std::unique_ptr<const policy::Policy> create_cache_policy(const config::ConfigNode& options,
                                                          const policy::PolicyBuildContext& build) {
  std::optional<CacheConfig> config = parse_cache_config(options);
  if (!config) return nullptr;
  CacheRuntime& runtime = build.services.shared<CacheRuntime>();
  // One store serves every route: the last policy built sizes it (docs:
  // give the sizes once, under `defaults`), once, when its config is put in
  // service: a rejected reload must not shrink (and so empty) the running
  // store, nor routes' differing sizes resize it in turn. A `defaults`
  // entry built only to be validated leaves it alone.
  if (!build.route_name.empty() && build.activations != nullptr) {
    build.activations->set(
        &runtime, [&runtime, max_size = config->max_size, max_object_size = config->max_object_size] {
          StoreLimits limits = runtime.store().limits();
          limits.max_size = max_size;
          limits.max_object_size = max_object_size;
          runtime.store().set_limits(limits);
        });
  }
  register_cache_admin(build.services, runtime);
  // The store's gauges and the lookup counters are brought up to date when
  // scraped, not on every request: summing the shards' figures costs a stored
  // miss ~150 instructions, and shared counters would bounce between workers.
  build.services.shared<ScrapeHooks>().add(&runtime, [&runtime] { runtime.publish_metrics(); });
  LookupCounters counters = runtime.counters_for(build.route_name);
  return std::make_unique<const CachePolicy>(std::move(*config), runtime, counters);
}

}  // namespace gatehouse::policies::cache
