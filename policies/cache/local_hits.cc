#include "policies/cache/local_hits.h"

#include "policies/cache/vary.h"

namespace gatehouse::policies::cache {

LocalHits& LocalHits::of_this_thread() noexcept {
  thread_local LocalHits table;
  return table;
}

void LocalHits::sweep() noexcept {
  if (++finds_ % kFindsPerSweep != 0) return;
  Slot& slot = slots_[finds_ / kFindsPerSweep % kSlots];
  if (slot.entry != nullptr && !slot.entry->store_mark.holds()) slot.entry.reset();
}

std::shared_ptr<const StoredResponse> LocalHits::find(std::uint64_t store_id, std::string_view primary,
                                                      std::size_t hash, std::string_view key_extra,
                                                      const http::HeaderMap& request_headers) {
  sweep();
  Slot& slot = slot_for(hash);
  if (slot.entry == nullptr || slot.hash != hash || slot.store_id != store_id) return nullptr;
  const StoredResponse& stored = *slot.entry;
  if (!stored.store_mark.holds()) {
    slot.entry.reset();
    return nullptr;
  }
  if (slot.primary != primary || stored.key_extra != key_extra || !variant_matches(stored.vary, request_headers)) {
    return nullptr;
  }
  stored.store_mark.note_use();
  return slot.entry;
}

std::shared_ptr<const StoredResponse> LocalHits::remember(std::uint64_t store_id, std::string_view primary,
                                                          std::size_t hash, std::shared_ptr<const StoredResponse> hit) {
  Slot& slot = slot_for(hash);
  const bool same_key = slot.hash == hash && slot.store_id == store_id && slot.primary == primary;
  if (same_key && slot.entry != nullptr) {
    if (slot.entry.get() != hit.get()) return hit;  // another variant of the key is kept here
    return slot.entry;
  }
  if (!same_key) {
    // First hit in a row for this key here: note it, keep nothing yet.
    slot.store_id = store_id;
    slot.hash = hash;
    slot.primary.assign(primary);
    slot.entry.reset();
    return hit;
  }
  if (hit->charge() > kMaxCharge) return hit;
  // The slot's own owner: copies of it count references on a control block
  // only this thread touches, and it keeps the store's reference alive.
  const StoredResponse* response = hit.get();
  auto owner = std::make_shared<const std::shared_ptr<const StoredResponse>>(std::move(hit));
  slot.entry = std::shared_ptr<const StoredResponse>(owner, response);
  return slot.entry;
}

}  // namespace gatehouse::policies::cache
