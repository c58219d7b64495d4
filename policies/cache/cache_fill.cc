#include "policies/cache/cache_fill.h"

#include "policies/cache/entity_tag.h"
#include "policies/cache/generated_etag.h"
#include "policies/cache/storability.h"
#include "policies/cache/vary.h"

namespace gatehouse::policies::cache {

ResponseFieldSummary summarize_for_entry(const http::HeaderMap& response_headers,
                                         std::span<const std::string> targets) {
  // The proxy's own per-exchange X-Request-Id is not part of the response
  // (spelled as the proxy sets it: compared exactly first).
  return summarize_response_fields(response_headers, targets, "X-Request-Id");
}

std::shared_ptr<StoredResponse> make_entry(int status, std::string_view reason, const http::HeaderMap& response_headers,
                                           const CacheControl& response_cc, const http::HeaderMap& request_headers,
                                           std::string_view key_extra, const ResponseTiming& timing, bool shared,
                                           std::size_t body_room) {
  return make_entry(status, reason, response_headers, summarize_for_entry(response_headers, {}), response_cc,
                    request_headers, key_extra, timing, shared, body_room);
}

std::shared_ptr<StoredResponse> make_entry(int status, std::string_view reason, const http::HeaderMap& response_headers,
                                           const ResponseFieldSummary& response_fields,
                                           const CacheControl& response_cc, const http::HeaderMap& request_headers,
                                           std::string_view key_extra, const ResponseTiming& timing, bool shared,
                                           std::size_t body_room) {
  std::vector<VaryValue> vary;
  if (response_fields.vary) {
    std::optional<std::vector<VaryValue>> selected = select_vary_values(response_headers, request_headers);
    if (!selected) return nullptr;
    vary = std::move(*selected);
  }
  // The header section, then room for the body, in the entry's own block.
  const std::size_t header_bytes = stored_headers_size(response_headers, response_fields, response_cc, shared);
  char* storage = nullptr;
  std::shared_ptr<StoredResponse> entry = make_stored_response(header_bytes + body_room, &storage);
  entry->status = status;
  entry->reason = std::string(reason);
  entry->headers = stored_headers_into(storage, response_headers, response_fields, response_cc, shared);
  if (body_room > 0) entry->content.set_room(storage + header_bytes, body_room);
  entry->timing = timing;
  entry->vary = std::move(vary);
  entry->key_extra = std::string(key_extra);
  return entry;
}

bool store_entry(CacheRuntime& runtime, std::string_view primary, std::size_t primary_hash,
                 std::shared_ptr<StoredResponse> entry, const FillOptions& options, Flight* flight) {
  const std::string_view body = entry->body();
  if (body.size() > options.max_object_size) return false;
  if (options.generate_etag && body.size() <= options.etag_max_size &&
      wants_generated_etag(entry->status, entry->headers)) {
    std::string tag = generate_strong_etag(body);
    if (!tag.empty()) entry->headers = entry->headers.with("ETag", tag);
  }
  // A body that grew as it came (chunked, no Content-Length to reserve)
  // may hold up to twice its size: stored entries live long, trim it.
  entry->content.trim();
  if (flight == nullptr || !*flight) {
    return runtime.store().insert(primary, primary_hash, std::move(entry)) == InsertResult::kStored;
  }
  CacheStore::FlightEnd end{.hash = flight->key()};
  const bool stored = runtime.store().insert(primary, primary_hash, std::move(entry), &end) == InsertResult::kStored;
  if (end.ended) flight->ended_in_store(end.waited_for);
  return stored;
}

std::shared_ptr<const StoredResponse> refresh_entry(CacheRuntime& runtime, std::string_view primary,
                                                    const std::shared_ptr<const StoredResponse>& stored,
                                                    const http::HeaderMap& not_modified, const ResponseTiming& timing,
                                                    bool shared) {
  if (!stored || !selected_for_update(stored->headers.to_map(), not_modified, true)) return nullptr;
  std::shared_ptr<const StoredResponse> fresh = refreshed(stored, not_modified, timing, shared);
  runtime.store().replace(primary, stored, fresh);
  return fresh;
}

StoreObserver::StoreObserver(CacheRuntime& runtime, std::string_view primary, std::size_t primary_hash,
                             std::shared_ptr<StoredResponse>&& entry, FillOptions options, Flight&& flight)
    : runtime_(runtime),
      primary_hash_(primary_hash),
      entry_(std::move(entry)),
      options_(options),
      flight_(std::move(flight)) {
  key_.assign(primary, {});
}

StoreObserver::~StoreObserver() {
  flight_.finish();
}

void StoreObserver::on_body(std::string_view bytes) {
  if (!entry_) return;
  if (entry_->content.size() + bytes.size() > options_.max_object_size) {
    // Too large to store: stop holding it and let collapsed requests go.
    entry_.reset();
    flight_.finish();
    return;
  }
  entry_->content.append(bytes);
}

void StoreObserver::on_complete() {
  if (entry_) store_entry(runtime_, key_.primary(), primary_hash_, std::move(entry_), options_, &flight_);
  flight_.finish();
}

}  // namespace gatehouse::policies::cache
