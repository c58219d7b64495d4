#include "policies/cache/stored_response.h"

#include "policies/cache/storability.h"

namespace gatehouse::policies::cache {

std::shared_ptr<const std::string> shared_body(const std::shared_ptr<const StoredResponse>& entry) {
  if (entry->body_owner) return {entry->body_owner, &entry->body_owner->body_text};
  return {entry, &entry->body_text};
}

std::size_t StoredResponse::charge() const noexcept {
  // A flat allowance for the object, its vectors and the index entry, so a
  // flood of tiny responses is bounded too.
  constexpr std::size_t kOverhead = 256;
  std::size_t bytes = kOverhead + reason.size() + key_extra.size() + body().size();
  bytes += headers.text_size() + 16 * headers.size();
  for (const VaryValue& v : vary) bytes += v.name.size() + (v.value ? v.value->size() : 0) + 32;
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
