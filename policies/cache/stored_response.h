#pragma once
// One stored response (RFC 9111 §3): what the cache keeps of an exchange.
//
// Contract: immutable once handed to the CacheStore (it is shared as
// std::shared_ptr<const StoredResponse> by every worker serving it); a
// change — a 304 refresh — makes a new object (refreshed()) that shares
// the body.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "policies/cache/freshness.h"
#include "policies/cache/http_date.h"
#include "policies/cache/stored_body.h"
#include "policies/cache/stored_fields.h"
#include "policies/cache/vary.h"
#include "proxy/http/header_map.h"
#include "proxy/policy/policy.h"

namespace gatehouse::policies::cache {

struct StoredResponse {
  // What the store and the workers' kept hits (local_hits.h) tell each
  // other without the store's lock. holds(): a worker may answer a lookup
  // with this response again without asking the store; set by the store
  // when it takes the response, cleared for good when the response leaves
  // the store or a newer variant joins its key. note_use(): a worker
  // answered with it so (written only when that is news, so hot hits do
  // not bounce the line); take_use(): the store, before evicting, asks
  // whether that happened since it last asked. A copy starts unset. First,
  // so that eviction, which reads and clears it, most often finds it on the
  // line of the control block that releasing the response touches anyway.
  class StoreMark {
   public:
    StoreMark() = default;
    StoreMark(const StoreMark&) noexcept {}
    StoreMark& operator=(const StoreMark&) noexcept { return *this; }
    bool holds() const noexcept { return held_.load(std::memory_order_acquire); }
    void set() const noexcept { held_.store(true, std::memory_order_release); }
    void clear() const noexcept { held_.store(false, std::memory_order_release); }
    void note_use() const noexcept {
      if (!used_.load(std::memory_order_relaxed)) used_.store(true, std::memory_order_relaxed);
    }
    bool take_use() const noexcept {
      if (!used_.load(std::memory_order_relaxed)) return false;
      used_.store(false, std::memory_order_relaxed);
      return true;
    }

   private:
    mutable std::atomic<bool> held_{false};
    mutable std::atomic<bool> used_{false};
  };
  StoreMark store_mark;

  int status = 200;
  std::string reason;
  StoredFields headers;  // as StoredFieldFilter filtered them
  // The content (empty for a head_only entry): in this entry's block when
  // the fill knew its length, shared with the original by a refreshed copy
  // (stored_body.h).
  StoredBody content;
  ResponseTiming timing;          // of the exchange that stored or last validated it

  // The StoredFreshness of `headers` and `timing`, kept by the first lookup
  // that computes it for the others: a response may be looked up by every
  // worker at once and is const to all, so whichever first claims the slot
  // writes it, once, and readers see it only once it is whole. A fill does
  // not compute it: many stored responses are never hit. A copy starts
  // empty (its fields may change).
  class FreshnessSlot {
   public:
    FreshnessSlot() = default;
    FreshnessSlot(const FreshnessSlot&) noexcept {}
    FreshnessSlot& operator=(const FreshnessSlot&) noexcept { return *this; }
    // The kept value; null until one is kept.
    const StoredFreshness* get() const noexcept {
      return state_.load(std::memory_order_acquire) == kKept ? &value_ : nullptr;
    }
    // Keeps `value` unless one is kept or being kept already.
    void keep(const StoredFreshness& value) const noexcept {
      std::uint8_t expected = kEmpty;
      if (!state_.compare_exchange_strong(expected, kKeeping, std::memory_order_acquire)) return;
      value_ = value;
      state_.store(kKept, std::memory_order_release);
    }

   private:
    static constexpr std::uint8_t kEmpty = 0, kKeeping = 1, kKept = 2;
    mutable std::atomic<std::uint8_t> state_{kEmpty};
    mutable StoredFreshness value_;
  };
  FreshnessSlot freshness;
  std::vector<VaryValue> vary;    // select_vary_values() of the request that filled it
  std::string key_extra;          // CacheKey::extra of that request
  // Filled by a HEAD request: no body was seen, so it may answer HEAD
  // requests only (a GET needs the content).
  bool head_only = false;
  // The bytes allocated after this object in its block
  // (make_stored_response()). A copy is a block of its own, without them:
  // copying does not copy the count.
  struct BlockTail {
    std::size_t bytes = 0;
    BlockTail() = default;
    BlockTail(const BlockTail&) noexcept {}
    BlockTail& operator=(const BlockTail&) noexcept { return *this; }
  };
  BlockTail tail;

  // The bytes this entry is charged in the store: the heap it occupies
  // (object, header section, body capacity, Vary values, as malloc sizes
  // blocks) plus kStoreBookkeeping, so that max_size bounds memory and not
  // only content.
  std::size_t charge() const noexcept;
  // The store's key entry (in a block of its own with the key, whose length
  // the store adds) and its index slot with the index's spare room. The
  // store checks that its key entry fits (cache_store.cc).
  static constexpr std::size_t kStoreBookkeeping = 168;

  std::string_view body() const noexcept { return content.view(); }
};

// A new StoredResponse with `tail_bytes` more in the same allocation, for
// its header section (StoredFields::copy_if_into) and a body of known
// length (StoredBody::set_room): an entry is one block to make, to free,
// and to touch when evicted. `*tail` is where they start; they live as long
// as the object.
std::shared_ptr<StoredResponse> make_stored_response(std::size_t tail_bytes, char** tail);

// `entry`'s body for the core to send (LocalReply::shared_body,
// replace_response_body): it shares ownership of the entry, which keeps the
// bytes alive wherever they lie, so sending needs neither a copy nor an
// allocation. `entry` is not null.
policy::SharedBody shared_body(const std::shared_ptr<const StoredResponse>& entry);

// §3.2 / §4.3.4: a copy of `stored` whose header section is updated from a
// 304 (updated_headers()) and whose timing is the validating exchange's;
// the body is shared, not copied. Since its age is now measured from that
// exchange (§4.2.3), the stored Age is dropped unless the 304 has one, and a
// 304 without Date gets the validation's response_time as Date (RFC 9110
// §6.6.1), so the old Date does not make the fresh copy look old.
std::shared_ptr<const StoredResponse> refreshed(const std::shared_ptr<const StoredResponse>& stored,
                                                const http::HeaderMap& not_modified,
                                                const ResponseTiming& validation_timing, bool shared);

}  // namespace gatehouse::policies::cache
