#include "policies/cache/stored_response.h"

#include "policies/cache/storability.h"

namespace gatehouse::policies::cache {

const std::shared_ptr<const std::string>& empty_stored_body() {
  static const std::shared_ptr<const std::string> empty = std::make_shared<const std::string>();
  return empty;
}

std::size_t StoredResponse::charge() const noexcept {
  // A flat allowance for the object, its vectors and the index entry, so a
  // flood of tiny responses is bounded too.
  constexpr std::size_t kOverhead = 256;
  std::size_t bytes = kOverhead + reason.size() + key_extra.size() + (body ? body->size() : 0);
  bytes += headers.text_size() + 16 * headers.size();
  for (const VaryValue& v : vary) bytes += v.name.size() + (v.value ? v.value->size() : 0) + 32;
  return bytes;
}

std::shared_ptr<const StoredResponse> refreshed(const StoredResponse& stored, const http::HeaderMap& not_modified,
                                                const ResponseTiming& validation_timing, bool shared) {
  auto copy = std::make_shared<StoredResponse>();
  copy->status = stored.status;
  copy->reason = stored.reason;
  http::HeaderMap headers = updated_headers(stored.headers.to_map(), not_modified, shared);
  if (!not_modified.contains("age")) headers.remove("age");
  if (!not_modified.contains("date")) headers.set("Date", format_http_date(validation_timing.response_time));
  copy->headers = StoredFields(headers);
  copy->body = stored.body;
  copy->timing = validation_timing;
  copy->vary = stored.vary;
  copy->key_extra = stored.key_extra;
  copy->head_only = stored.head_only;
  return copy;
}

}  // namespace gatehouse::policies::cache
