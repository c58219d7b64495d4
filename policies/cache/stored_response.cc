#include "policies/cache/stored_response.h"

#include "policies/cache/storability.h"

namespace gatehouse::policies::cache {

std::shared_ptr<const std::string> shared_body(const std::shared_ptr<const StoredResponse>& entry) {
  if (entry->body_owner) return {entry->body_owner, &entry->body_owner->body_text};
  return {entry, &entry->body_text};
}

namespace {

// A string's heap block, if it has one (not the small-string buffer).
std::size_t string_heap(const std::string& s) noexcept {
  return s.capacity() > 15 ? heap_block_size(s.capacity() + 1) : 0;
}

}  // namespace

std::size_t StoredResponse::charge() const noexcept {
  // The store's key entry and index slot, which the store adds the key's
  // length to.
  constexpr std::size_t kStoreBookkeeping = 96;
  // The object with its shared_ptr control block (make_shared: one block).
  constexpr std::size_t kObject = sizeof(StoredResponse) + 2 * sizeof(void*);
  std::size_t bytes = kStoreBookkeeping + heap_block_size(kObject) + headers.heap_size();
  bytes += string_heap(reason) + string_heap(key_extra);
  if (body_owner) {
    // The original stays alive for its body: its object and fields too.
    bytes += heap_block_size(kObject) + body_owner->headers.heap_size() + string_heap(body_owner->body_text);
  } else {
    bytes += string_heap(body_text);
  }
  bytes += heap_block_size(vary.capacity() * sizeof(VaryValue));
  for (const VaryValue& v : vary) bytes += string_heap(v.name) + (v.value ? string_heap(*v.value) : 0);
  return bytes;
}

std::shared_ptr<const StoredResponse> refreshed(const std::shared_ptr<const StoredResponse>& entry,
                                                const http::HeaderMap& not_modified,
                                                const ResponseTiming& validation_timing, bool shared) {
  const StoredResponse& stored = *entry;
  auto copy = std::make_shared<StoredResponse>();
  copy->status = stored.status;
  copy->reason = stored.reason;
  http::HeaderMap headers = updated_headers(stored.headers.to_map(), not_modified, shared);
  if (!not_modified.contains("age")) headers.remove("age");
  if (!not_modified.contains("date")) headers.set("Date", format_http_date(validation_timing.response_time));
  copy->headers = StoredFields(headers);
  copy->body_owner = stored.body_owner ? stored.body_owner : entry;
  copy->timing = validation_timing;
  copy->vary = stored.vary;
  copy->key_extra = stored.key_extra;
  copy->head_only = stored.head_only;
  return copy;
}

}  // namespace gatehouse::policies::cache
