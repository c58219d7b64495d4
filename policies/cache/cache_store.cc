#include "policies/cache/cache_store.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>
#include <new>
#include <thread>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "policies/cache/local_hits.h"
#include "proxy/common/prefetch.h"
#include "proxy/common/thread_recycled.h"

namespace gatehouse::policies::cache {
namespace {

// Whether `incoming` supersedes `stored`.
bool store_replaces(const StoredResponse& stored, const StoredResponse& incoming) {
  return stored.key_extra == incoming.key_extra && stored.vary == incoming.vary &&
         (stored.head_only || !incoming.head_only);
}

// With the shard's lock held: ends `flight` if in progress; whether one
// joined it.
template <typename Flights>
bool erase_flight(Flights& flights, std::uint64_t flight, bool* ended = nullptr) {
  auto found = flights.find(flight);
  if (found == flights.end()) return false;
  const bool joined = found->second;
  flights.erase(found);
  if (ended != nullptr) *ended = true;
  return joined;
}

std::atomic<std::uint64_t> next_store_id{1};

}  // namespace

CacheStore::CacheStore(std::size_t shards)
    : id_(next_store_id.fetch_add(1, std::memory_order_relaxed)),
      shards_(std::bit_ceil(std::max<std::size_t>(shards, 1))),
      shard_mask_(shards_.size() - 1),
      shard_bits_(static_cast<unsigned>(std::countr_zero(shards_.size()))) {
  StoreLimits defaults;
  max_size_ = defaults.max_size;
  max_object_size_ = defaults.max_object_size;
  max_variants_ = defaults.max_variants;
}

void CacheStore::set_limits(const StoreLimits& limits) {
  max_object_size_ = limits.max_object_size;
  max_variants_ = std::max<std::size_t>(limits.max_variants, 1);
  // A smaller max_size (a reload that lowers it) is reached in batches, each
  // under the lock on its own, while inserts still go by the old budget:
  // with the new one, a worker's next insert would evict all the excess of
  // its shard in one lock hold and free it on the worker's thread (a
  // quarter of a GiB store is ~150,000 keys). Then the new budget is
  // published and what inserts added meanwhile goes the same way.
  const std::size_t budget = limits.max_size >> shard_bits_;
  for (Shard& shard : shards_) evict_in_batches(shard, budget);
  max_size_ = limits.max_size;
  for (Shard& shard : shards_) evict_in_batches(shard, budget);
}

namespace {

// Between two batches of work under a shard's lock: a mutex is not fair,
// and relocked at once it would most often be this thread's again before
// a worker woken by the unlock runs.
void let_workers_in() { std::this_thread::sleep_for(std::chrono::microseconds(20)); }

}  // namespace

void CacheStore::evict_in_batches(Shard& shard, std::size_t budget) {
  // Under a millisecond of evictions a lock hold, for 1 KiB responses.
  constexpr std::size_t kBatchBytes = std::size_t{4} << 20;
  for (;;) {
    {
      Released released;
      std::lock_guard lock(shard.mutex);
      const std::size_t bytes = shard.bytes.get();
      if (bytes <= budget) return;
      evict_to(shard, std::max(budget, bytes - std::min(bytes, kBatchBytes)), nullptr, released);
    }
    let_workers_in();
  }
}

StoreLimits CacheStore::limits() const {
  return {.max_size = max_size_.load(), .max_object_size = max_object_size_.load(), .max_variants = max_variants_.load()};
}

// XXH3: about a third of std::hash's instructions for a key's few dozen bytes,
// and every lookup hashes one.
std::size_t CacheStore::key_hash(std::string_view primary) noexcept {
  return XXH3_64bits(primary.data(), primary.size());
}

std::uint64_t flight_hash(std::string_view primary, std::string_view extra) noexcept {
  return flight_hash_of(CacheStore::key_hash(primary), extra);
}

std::uint64_t flight_hash_of(std::uint64_t primary_hash, std::string_view extra) noexcept {
  if (extra.empty()) return primary_hash;
  // boost::hash_combine's mixing step: order matters, so (a, b) and (b, a)
  // differ.
  return primary_hash ^ (std::hash<std::string_view>{}(extra) + 0x9e3779b97f4a7c15ULL + (primary_hash << 6) +
                         (primary_hash >> 2));
}

CacheStore::KeyEntry* CacheStore::new_key_entry(const IndexKey& key) {
  // With its block's malloc header (8) and its share of the index, which
  // reserve_index_room() keeps between a quarter and a half full: up to
  // four slots of 8 bytes, each with 16/15 of a byte of metadata (rounded
  // up to 2). What StoredResponse::charge() allows for it.
  static_assert(sizeof(KeyEntry) + 8 + 4 * (8 + 2) <= StoredResponse::kStoreBookkeeping);
  void* memory = RecycledBlocks::take(RecycledBlocks::block_size(sizeof(KeyEntry) + key.key.size()));
  auto* entry = ::new (memory) KeyEntry(key.key.size(), key.hash);
  std::memcpy(static_cast<char*>(memory) + sizeof(KeyEntry), key.key.data(), key.key.size());
  return entry;
}

void CacheStore::delete_key_entry(KeyEntry* entry) noexcept {
  const std::size_t block = RecycledBlocks::block_size(sizeof(KeyEntry) + entry->size);
  entry->~KeyEntry();
  RecycledBlocks::give(static_cast<void*>(entry), block);
}

CacheStore::Shard::~Shard() {
  // A thread may keep a hit of this store (local_hits.h) until its sweep
  // sees the mark gone.
  for (KeyEntry& entry : lru) {
    if (!entry.hit) continue;
    for (const Variant& variant : entry.variants) variant.response->store_mark.clear();
  }
  lru.clear_and_dispose(&CacheStore::delete_key_entry);
}

CacheStore::Released::~Released() {
  for (const KeyEntry& entry : keys) {
    if (!entry.hit) continue;
    for (const Variant& variant : entry.variants) variant.response->store_mark.clear();
  }
  for (const auto& response : variants) response->store_mark.clear();
  keys.clear_and_dispose(&CacheStore::delete_key_entry);
}

std::size_t CacheStore::shard_budget() const noexcept { return max_size_.load() >> shard_bits_; }

void CacheStore::erase_key(Shard& shard, KeyEntry& entry, Released& released) {
  shard.bytes.sub(entry.bytes);
  shard.entries.sub(entry.variants.size());
  shard.index.erase(&entry);
  shard.lru.erase(shard.lru.iterator_to(entry));
  released.keys.push_back(entry);
}

void CacheStore::reserve_index_room(Index& index) {
  // Boost's open addressing lowers the table's maximum load a little with
  // each erase from a group that once overflowed (its anti-drift rule) and
  // rebuilds the whole table, at the same size, once the key count meets
  // it. At Boost's own 87.5% load, a full store's churn (a key in, a key
  // out with each fill) met it every few hundred thousand fills: a 15-25 ms
  // pause for a 256 MiB one-shard store (gatehouse_store_bench --pauses).
  // Kept at most half full, groups seldom overflow and the margin left is
  // 37.5% of the table, so that rebuild all but never comes; growth still
  // doubles the table, as before, while a store fills.
  if (index.size() + 1 <= index.bucket_count() / 2) return;
  // A table's slot count is a power of two groups of 15, less one: this
  // asks for twice as many groups.
  index.rehash(2 * index.bucket_count() + 1);
}

void CacheStore::touch(Shard& shard, KeyEntry& entry) noexcept {
  if (shard.moves - entry.moved_at <= shard.index.size() / 8) return;
  move_to_front(shard, entry);
}

void CacheStore::move_to_front(Shard& shard, KeyEntry& entry) noexcept {
  shard.lru.splice(shard.lru.begin(), shard.lru, shard.lru.iterator_to(entry));
  entry.moved_at = ++shard.moves;
}

void CacheStore::push_front(Shard& shard, KeyEntry& entry) noexcept {
  shard.lru.push_front(entry);
  entry.moved_at = ++shard.moves;
}

void CacheStore::drop_variant(Shard& shard, KeyEntry& entry, std::size_t i, Released& released) {
  const std::size_t charge = entry.variants[i].charge;
  entry.bytes -= charge;
  shard.bytes.sub(charge);
  shard.entries.sub(1);
  released.variants.push_back(std::move(entry.variants[i].response));
  entry.variants.erase(entry.variants.begin() + static_cast<std::ptrdiff_t>(i));
}

void CacheStore::evict_to(Shard& shard, std::size_t budget, KeyEntry* keep, Released& released) {
  while (shard.bytes.get() > budget && !shard.lru.empty()) {
    KeyEntry* tail = &shard.lru.back();
    if (tail->purge_cursor) {  // a prefix purge's place (purge_prefix_of): the key above it goes
      auto at = Lru::s_iterator_to(*tail);
      if (at == shard.lru.begin()) break;
      tail = &*std::prev(at);
    }
    KeyEntry& victim = *tail;
    if (&victim == keep) break;
    // Used through a worker's kept hits since it last moved: as recent as
    // a lookup would have made it. Each key gets this once per use, so the
    // loop ends.
    bool used = false;
    if (victim.hit) {
      for (const Variant& variant : victim.variants) used |= variant.response->store_mark.take_use();
    }
    if (used) {
      move_to_front(shard, victim);
      continue;
    }
    shard.evictions.add(victim.variants.size());
    erase_key(shard, victim, released);
  }
  // Only `keep` is left and its variants together are still too many bytes:
  // drop its oldest ones (the newest alone always fits, insert checked).
  while (keep != nullptr && shard.bytes.get() > budget && keep->variants.size() > 1) {
    drop_variant(shard, *keep, keep->variants.size() - 1, released);
    shard.evictions.add(1);
  }
}

void CacheStore::warm_next_victims(const Shard& shard) noexcept {
  if (shard.lru.empty()) return;
  // The tail's key entry was the one above the tail when the insert before
  // asked for it (each insert most often evicts one key), so reading it
  // here costs little; the memory it leads to is asked for now, and is in
  // the cache by the time an insert evicts it.
  const KeyEntry& next = shard.lru.back();
  if (next.index_slot != 0) prefetch_for_write(next.index_slot, next.index_slot + sizeof(KeyEntry*));
  if (!next.variants.empty()) {
    // The response's block: its shared_ptr control block just before the
    // object, which releasing it reads and writes.
    const auto object = reinterpret_cast<std::uintptr_t>(next.variants.front().response.get());
    prefetch_for_write(object - kCacheLineBytes, object + sizeof(StoredResponse));
  }
  auto above = Lru::s_iterator_to(next);
  if (above == shard.lru.begin()) return;
  --above;
  // Its hook, which the next eviction rewrites, and its byte count, which
  // its own eviction reads.
  prefetch_for_write(&*above, sizeof(KeyEntry));
}

const CacheStore::Variant* CacheStore::select_variant(const KeyEntry& entry, std::string_view key_extra,
                                                      const http::HeaderMap& request_headers, bool head_request,
                                                      bool& exact) {
  exact = true;
  for (const Variant& variant : entry.variants) {
    const StoredResponse& stored = *variant.response;
    if (stored.head_only && !head_request) continue;
    if (stored.key_extra == key_extra && variant_matches(stored.vary, request_headers)) return &variant;
  }
  // No exact match: a variant the origin would have chosen by language
  // (vary.h). A second pass, so an exact match anywhere wins and a hit pays
  // nothing for it.
  exact = false;
  for (const Variant& variant : entry.variants) {
    const StoredResponse& stored = *variant.response;
    if (stored.head_only && !head_request) continue;
    if (stored.key_extra == key_extra && language_selects(stored.vary, stored.headers, request_headers)) {
      return &variant;
    }
  }
  return nullptr;
}

std::shared_ptr<const StoredResponse> CacheStore::lookup(std::string_view primary, std::string_view key_extra,
                                                         const http::HeaderMap& request_headers,
                                                         bool head_request, MissInfo* miss, bool claim_flight) {
  const IndexKey key = index_key(primary);
  if (miss != nullptr) miss->key_hash = key.hash;
  LocalHits& kept = LocalHits::of_this_thread();
  if (!head_request) {
    if (auto hit = kept.find(id_, primary, key.hash, key_extra, request_headers)) return hit;
  }
  Shard& shard = shard_for(key);
  std::shared_ptr<const StoredResponse> hit;
  bool exact = false;
  {
    std::lock_guard lock(shard.mutex);
    auto found = shard.index.find(key);
    if (found != shard.index.end()) {
      KeyEntry& entry = **found;
      touch(shard, entry);
      if (const Variant* variant = select_variant(entry, key_extra, request_headers, head_request, exact)) {
        hit = variant->response;
        if (exact && !head_request && !entry.hit) entry.hit = true;
      } else if (miss != nullptr) {
        miss->has_variants = !entry.variants.empty();
      }
    }
    if (hit == nullptr && miss != nullptr) {
      miss->recently_uncacheable = marked_uncacheable(shard, key.hash);
      if (claim_flight && !miss->recently_uncacheable) {
        miss->flight_hash = flight_hash_of(key.hash, key_extra);
        miss->flight = shard.flights.try_emplace(miss->flight_hash, false).second ? FlightRole::kLeader
                                                                                   : FlightRole::kInFlight;
      }
    }
  }
  // Kept outside the lock: keeping may allocate.
  if (exact && !head_request) return kept.remember(id_, primary, key.hash, std::move(hit));
  return hit;
}

bool CacheStore::marked_uncacheable(const Shard& shard, std::size_t hash) const {
  const Shard::UncacheableMark& mark = shard.marks[mark_index(hash)];
  return mark.hash == hash && mark.until != std::chrono::steady_clock::time_point{} &&
         std::chrono::steady_clock::now() < mark.until;
}

void CacheStore::mark_uncacheable(std::size_t primary_hash, std::chrono::steady_clock::time_point until,
                                  FlightEnd* flight) {
  Shard& shard = shard_for(primary_hash);
  std::lock_guard lock(shard.mutex);
  shard.marks[mark_index(primary_hash)] = {.hash = primary_hash, .until = until};
  if (flight != nullptr) flight->waited_for = erase_flight(shard.flights, flight->hash, &flight->ended);
}

std::vector<std::shared_ptr<const StoredResponse>> CacheStore::variants(std::string_view primary) const {
  const IndexKey key = index_key(primary);
  Shard& shard = shard_for(key);
  std::lock_guard lock(shard.mutex);
  auto found = shard.index.find(key);
  if (found == shard.index.end()) return {};
  std::vector<std::shared_ptr<const StoredResponse>> out;
  out.reserve((*found)->variants.size());
  for (const Variant& variant : (*found)->variants) out.push_back(variant.response);
  return out;
}

bool CacheStore::claim_flight(std::size_t primary_hash, std::uint64_t flight_hash) {
  Shard& shard = shard_for(primary_hash);
  std::lock_guard lock(shard.mutex);
  return shard.flights.try_emplace(flight_hash, false).second;
}

bool CacheStore::end_flight(std::size_t primary_hash, std::uint64_t flight_hash) {
  Shard& shard = shard_for(primary_hash);
  std::lock_guard lock(shard.mutex);
  return erase_flight(shard.flights, flight_hash);
}

InsertResult CacheStore::insert(std::string_view primary, std::size_t primary_hash,
                               std::shared_ptr<const StoredResponse> response, FlightEnd* flight) {
  if (response == nullptr) return InsertResult::kTooLarge;
  const std::size_t charge = response->charge() + primary.size();
  const std::size_t budget = shard_budget();
  if (charge > max_object_size_.load() || charge > budget) return InsertResult::kTooLarge;
  const IndexKey key{primary, primary_hash};
  Shard& shard = shard_for(key);
  Released released;
  std::lock_guard lock(shard.mutex);
  if (flight != nullptr) flight->waited_for = erase_flight(shard.flights, flight->hash, &flight->ended);
  auto found = shard.index.find(key);
  KeyEntry* stored = nullptr;
  if (found == shard.index.end()) {
    stored = new_key_entry(key);
    push_front(shard, *stored);
    reserve_index_room(shard.index);
    stored->index_slot = reinterpret_cast<std::uintptr_t>(&*shard.index.insert(stored).first);
  } else {
    stored = *found;
    touch(shard, *stored);
    // A newer variant may answer requests an older one answered.
    for (const Variant& variant : stored->variants) variant.response->store_mark.clear();
  }
  response->store_mark.set();
  KeyEntry& entry = *stored;
  for (std::size_t i = 0; i < entry.variants.size(); ++i) {
    if (!store_replaces(*entry.variants[i].response, *response)) continue;
    drop_variant(shard, entry, i, released);
    break;
  }
  entry.variants.insert(entry.variants.begin(), Variant{std::move(response), charge});
  entry.bytes += charge;
  shard.bytes.add(charge);
  shard.entries.add(1);
  const std::size_t max_variants = max_variants_.load();
  while (entry.variants.size() > max_variants) {
    drop_variant(shard, entry, entry.variants.size() - 1, released);
    shard.evictions.add(1);
  }
  evict_to(shard, budget, &entry, released);
  warm_next_victims(shard);
  return InsertResult::kStored;
}

bool CacheStore::replace(std::string_view primary, const std::shared_ptr<const StoredResponse>& current,
                         std::shared_ptr<const StoredResponse> updated) {
  if (current == nullptr || updated == nullptr) return false;
  const IndexKey key = index_key(primary);
  Shard& shard = shard_for(key);
  Released released;
  std::lock_guard lock(shard.mutex);
  auto found = shard.index.find(key);
  if (found == shard.index.end()) return false;
  KeyEntry& entry = **found;
  auto pos = std::find_if(entry.variants.begin(), entry.variants.end(),
                          [&](const Variant& v) { return v.response == current; });
  if (pos == entry.variants.end()) return false;
  const std::size_t charge = updated->charge() + primary.size();
  entry.bytes = entry.bytes - pos->charge + charge;
  shard.bytes.add(charge);
  shard.bytes.sub(pos->charge);
  released.variants.push_back(std::move(pos->response));
  updated->store_mark.set();
  *pos = Variant{std::move(updated), charge};
  touch(shard, entry);
  evict_to(shard, shard_budget(), &entry, released);
  return true;
}

std::size_t CacheStore::invalidate(std::string_view primary) {
  const IndexKey key = index_key(primary);
  Shard& shard = shard_for(key);
  Released released;
  std::lock_guard lock(shard.mutex);
  auto found = shard.index.find(key);
  if (found == shard.index.end()) return 0;
  std::size_t n = (*found)->variants.size();
  erase_key(shard, **found, released);
  return n;
}

std::size_t CacheStore::purge_prefix(std::string_view prefix) {
  std::lock_guard purging(purge_mutex_);
  std::size_t removed = 0;
  for (Shard& shard : shards_) removed += purge_prefix_of(shard, prefix);
  return removed;
}

std::size_t CacheStore::purge_prefix_of(Shard& shard, std::string_view prefix) {
  // Every key is compared, and a walk of them all under the lock would hold
  // up the shard's workers for all of it (~4 ms for 140,000 keys). So the
  // walk goes a batch a lock hold, from the oldest key to the newest, and a
  // cursor entry in the LRU list keeps its place. Keys touched or added
  // meanwhile go to the front, ahead of the cursor, so none is missed (one
  // added since the purge began goes too, if it matches); eviction takes
  // the key above the cursor when the cursor is the tail.
  constexpr int kBatch = 2048;
  // An empty key, but with a real address: new_key_entry() copies it.
  KeyEntry* cursor = new_key_entry(IndexKey{std::string_view("", 0), 0});
  cursor->purge_cursor = true;
  {
    std::lock_guard lock(shard.mutex);
    shard.lru.push_back(*cursor);
  }
  std::size_t removed = 0;
  for (bool done = false; !done;) {
    Released released;
    std::unique_lock lock(shard.mutex);
    for (int visited = 0; visited < kBatch; ++visited) {
      const auto at = Lru::s_iterator_to(*cursor);
      if (at == shard.lru.begin()) {
        shard.lru.erase(at);
        done = true;
        break;
      }
      KeyEntry& entry = *std::prev(at);
      if (entry.key().starts_with(prefix)) {
        removed += entry.variants.size();
        erase_key(shard, entry, released);
      } else {
        shard.lru.erase(at);
        shard.lru.insert(Lru::s_iterator_to(entry), *cursor);
      }
    }
    lock.unlock();
    if (!done) let_workers_in();
  }
  delete_key_entry(cursor);
  return removed;
}

std::size_t CacheStore::purge_all() {
  std::lock_guard purging(purge_mutex_);  // no prefix purge's cursor is in a list
  std::size_t removed = 0;
  for (Shard& shard : shards_) {
    // Taken out whole under the lock (a swap and a splice) and walked and
    // freed after it: a worker waits a moment for the lock, not for a walk
    // of every key (~10 ms for a full 256 MiB one-shard store).
    Released released;
    Index emptied;
    std::lock_guard lock(shard.mutex);
    removed += shard.entries.get();
    shard.index.swap(emptied);
    released.keys.splice(released.keys.end(), shard.lru);
    shard.bytes.sub(shard.bytes.get());
    shard.entries.sub(shard.entries.get());
  }
  return removed;
}

StoreStats CacheStore::totals() const noexcept {
  StoreStats s;
  for (const Shard& shard : shards_) {
    s.bytes += shard.bytes.get();
    s.entries += shard.entries.get();
    s.evictions += shard.evictions.get();
  }
  return s;
}

StoreStats CacheStore::stats() const {
  StoreStats s;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    s.bytes += shard.bytes.get();
    s.entries += shard.entries.get();
    s.evictions += shard.evictions.get();
    s.keys += shard.index.size();
    s.index_slots += shard.index.bucket_count();
  }
  return s;
}

}  // namespace gatehouse::policies::cache
