#include "policies/cache/stored_response.h"

#include <cstddef>
#include <new>

#include "policies/cache/storability.h"
#include "proxy/common/thread_recycled.h"

namespace gatehouse::policies::cache {

policy::SharedBody shared_body(const std::shared_ptr<const StoredResponse>& entry) {
  return {entry, entry->body()};
}

namespace {

// allocate_shared's allocator for make_stored_response(): the block it
// allocates (the control block with the object in it) is followed by
// `tail` bytes, whose address it reports. Blocks are recycled
// (RecycledBlocks): a full store frees an entry for nearly every one it
// takes, most often of a similar size.
template <typename T>
struct TailAllocator {
  using value_type = T;
  TailAllocator(std::size_t tail_bytes, char** tail_at) noexcept : tail(tail_bytes), at(tail_at) {}
  template <typename U>
  TailAllocator(const TailAllocator<U>& other) noexcept : tail(other.tail), at(other.at) {}  // NOLINT

  T* allocate(std::size_t n) {
    const std::size_t head = head_size(n);
    char* block = static_cast<char*>(RecycledBlocks::take(RecycledBlocks::block_size(head + tail)));
    if (at != nullptr) *at = block + head;
    return reinterpret_cast<T*>(block);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    RecycledBlocks::give(static_cast<void*>(p), RecycledBlocks::block_size(head_size(n) + tail));
  }
  // The tail starts suitably aligned for anything.
  static std::size_t head_size(std::size_t n) noexcept {
    constexpr std::size_t kAlign = alignof(std::max_align_t);
    return (n * sizeof(T) + kAlign - 1) / kAlign * kAlign;
  }
  template <typename U>
  bool operator==(const TailAllocator<U>& other) const noexcept {
    return tail == other.tail;
  }

  std::size_t tail;
  char** at;
};

}  // namespace

std::shared_ptr<StoredResponse> make_stored_response(std::size_t tail_bytes, char** tail) {
  *tail = nullptr;
  std::shared_ptr<StoredResponse> entry =
      std::allocate_shared<StoredResponse>(TailAllocator<StoredResponse>(tail_bytes, tail));
  entry->tail.bytes = tail_bytes;
  return entry;
}

std::size_t StoredResponse::charge() const noexcept {
  // The object with its shared_ptr control block (make_shared: one block;
  // make_stored_response() adds its allocator and the tail to it).
  constexpr std::size_t kObject = sizeof(StoredResponse) + 2 * sizeof(void*);
  constexpr std::size_t kTailAllocator = 2 * sizeof(void*);
  const std::size_t object =
      tail.bytes == 0 ? kObject : RecycledBlocks::block_size(kObject + kTailAllocator + tail.bytes);
  std::size_t bytes = kStoreBookkeeping + heap_block_size(object) + headers.heap_size();
  bytes += string_heap_size(reason) + string_heap_size(key_extra);
  // A shared body counts the original it keeps alive, object and fields too.
  bytes += content.heap_size();
  bytes += heap_block_size(vary.capacity() * sizeof(VaryValue));
  for (const VaryValue& v : vary) bytes += string_heap_size(v.name) + (v.value ? string_heap_size(*v.value) : 0);
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
  if (stored.content.owner()) {
    copy->content = stored.content;  // the original's original: one owner, never a chain
  } else {
    copy->content.share(entry, stored.body(), stored.charge());
  }
  copy->timing = validation_timing;
  copy->vary = stored.vary;
  copy->key_extra = stored.key_extra;
  copy->head_only = stored.head_only;
  return copy;
}

}  // namespace gatehouse::policies::cache
