#pragma once
// A worker's memory of the hits it served most recently, so that a hot
// key's hits need neither the store's shard lock nor a reference count
// that every worker writes (CacheStore::lookup uses it; nothing else does).
//
// With many workers serving the same few URLs, each hit locked the key's
// shard and counted a reference on the shared entry: two cache lines that
// then moved between the cores on every hit. A slot here holds the entry
// under an owner of this thread's own (an aliasing std::shared_ptr whose
// control block only this thread touches), so a hit found here writes no
// line another worker reads.
//
// A slot is reused only while the entry's store mark holds
// (StoredResponse::store_mark: it is cleared when the entry leaves the
// store or a newer variant joins its key), so a hit found here is what the
// store would have answered. A hit found here notes its use on the mark
// (a write only when the use is news), and the store gives a used key a
// second chance before evicting it, so kept hits keep their key as
// recently used as lookups would. Only exact matches of a GET are kept (no
// HEAD, no selection by language), only entries charged at most
// kMaxCharge, and a key is kept on its second hit in a row in its slot, so
// a store of many lukewarm keys pays no allocations for it.
// Memory: a slot may keep an evicted entry alive until this thread's next
// lookups sweep it (all slots within kSlots * kFindsPerSweep lookups), at
// most kSlots * kMaxCharge bytes a thread.
//
// Threading: one table per thread (of_this_thread()); not shared.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "policies/cache/stored_response.h"
#include "proxy/http/header_map.h"

namespace gatehouse::policies::cache {

class LocalHits {
 public:
  static constexpr std::size_t kSlots = 256;
  // A larger response's hits are dominated by sending it, not by the lock.
  static constexpr std::size_t kMaxCharge = std::size_t{64} << 10;
  // One slot is swept (emptied if its entry left the store) every this many
  // find() calls: a sweep may read a line no longer in this core's caches.
  static constexpr std::size_t kFindsPerSweep = 8;

  // The calling thread's table.
  static LocalHits& of_this_thread() noexcept;

  // The response kept for `primary` (whose key_hash is `hash`) of the store
  // `store_id`, if it still may answer this request: same key_extra, its
  // Vary values match and its store mark holds. Null otherwise (then ask
  // the store).
  std::shared_ptr<const StoredResponse> find(std::uint64_t store_id, std::string_view primary, std::size_t hash,
                                             std::string_view key_extra, const http::HeaderMap& request_headers);

  // After the store answered a GET's lookup with an exact match `hit`:
  // what to hand out instead (the same response, owned through this
  // thread's slot once the key is kept), or `hit` itself.
  std::shared_ptr<const StoredResponse> remember(std::uint64_t store_id, std::string_view primary,
                                                 std::size_t hash, std::shared_ptr<const StoredResponse> hit);

 private:
  struct Slot {
    std::uint64_t store_id = 0;
    std::size_t hash = 0;
    std::string primary;
    // This thread's owner of the entry; null while the slot only saw the
    // key once.
    std::shared_ptr<const StoredResponse> entry;
  };
  // Not the hash's lowest bits: the store's shard is picked by those.
  Slot& slot_for(std::size_t hash) noexcept { return slots_[(hash >> 16) % kSlots]; }
  // Every kFindsPerSweep-th call: empties the next slot in turn if its
  // entry left the store.
  void sweep() noexcept;

  std::array<Slot, kSlots> slots_;
  std::size_t finds_ = 0;
};

}  // namespace gatehouse::policies::cache
