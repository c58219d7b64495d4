#pragma once
// The process-wide response store shared by all workers (meant to be a
// PolicyServices service: `services.shared<CacheStore>()`), so entries
// survive config reloads.
//
// Structure: N shards, each a mutex, an index of primary keys (the URI, see
// cache_key.h) whose entries hold their variants, newest first, and an LRU
// list of keys. A call hashes its primary key once: the hash picks the shard
// and is the shard index's hash too (each key entry stores it, so the index
// never rehashes a key). A shard holds at most max_size / N bytes
// (StoredResponse::charge()); an insert that would exceed it evicts least
// recently used keys (with all their variants) first. Entries are std::shared_ptr<const StoredResponse>:
// a lookup hands one out and the worker serves from it without any lock,
// even if it is evicted or replaced meanwhile. Beside its keys, a shard
// keeps a fixed table of hit-for-miss marks (mark_uncacheable()).
//
// Threading: every member is safe to call from any thread. Locks are held
// only for map/list work and Vary matching, never for I/O; what a call
// evicts or replaces is freed after it unlocks.

#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/container/small_vector.hpp>
#include <boost/intrusive/list.hpp>
#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include "policies/cache/stored_response.h"
#include "proxy/http/header_map.h"

namespace gatehouse::policies::cache {

struct StoreLimits {
  std::size_t max_size = std::size_t{256} << 20;        // bytes in all
  std::size_t max_object_size = std::size_t{8} << 20;   // bytes per entry
  std::size_t max_variants = 32;                        // per primary key; the oldest go first
};

struct StoreStats {
  std::size_t bytes = 0;
  std::size_t entries = 0;  // variants
  std::size_t keys = 0;     // primary keys
  std::size_t index_slots = 0;  // the shards' index tables (8 bytes and 16/15 of a byte a slot)
  std::uint64_t evictions = 0;
};

enum class InsertResult { kStored, kTooLarge };

class CacheStore {
 public:
  // `shards` is rounded up to a power of two (a shard is then picked with
  // a mask: a division costs tens of cycles on every lookup and insert).
  explicit CacheStore(std::size_t shards = 16);
  CacheStore(const CacheStore&) = delete;
  CacheStore& operator=(const CacheStore&) = delete;

  // Applies new limits; a smaller max_size evicts at once.
  void set_limits(const StoreLimits& limits);
  StoreLimits limits() const;

  // A miss's collapsing flight (cache_runtime.h) as the store sees it: the
  // store keeps the flights in progress in their primary key's shard, so
  // that a miss claims one, and an insert ends one, under the shard lock
  // the lookup and the insert take anyway.
  enum class FlightRole {
    kNone,      // not asked to claim, a hit, or the key is marked uncacheable
    kLeader,    // this lookup claimed the flight: its caller fetches for all
    kInFlight,  // another request holds it: its caller may join_flight()
  };

  // What a lookup that found nothing learnt about the key.
  struct MissInfo {
    bool has_variants = false;         // other variants are stored (a Vary miss)
    bool recently_uncacheable = false;  // mark_uncacheable() and its window not over
    // key_hash(primary), which the lookup computed anyway: a caller derives
    // other keys from it (flight_hash_of) without hashing the key again.
    std::size_t key_hash = 0;
    // Set only by a lookup asked to claim the miss's flight.
    FlightRole flight = FlightRole::kNone;
    std::uint64_t flight_hash = 0;  // flight_hash_of(key_hash, key_extra), with `flight`
  };

  // An insert that also ends the flight `hash` (its key's, claimed by a
  // lookup): `ended` says whether it did (an insert refused as too large
  // ends nothing), `waited_for` whether someone joined the flight.
  struct FlightEnd {
    std::uint64_t hash = 0;
    bool ended = false;
    bool waited_for = false;
  };

  // The hash every member computes once per call for `primary`.
  static std::size_t key_hash(std::string_view primary) noexcept;

  // The newest variant of `primary` whose key_extra equals `key_extra` and
  // whose Vary values match the request (variant_matches(), vary.h); failing
  // that, the newest such variant the request selects by its language
  // (language_selects(), vary.h); null when none (then
  // `miss`, if given, says more). Variants filled by a HEAD request
  // (head_only) answer only `head_request`s. A lookup makes the key most
  // recently used. A GET's exact match may come from the calling thread's
  // kept hits (local_hits.h) without locking the shard: the same response
  // the store holds, owned through a control block of the thread's own.
  //
  // With `claim_flight` (and `miss`), a miss that finds the key unmarked
  // claims the flight of (primary, key_extra) unless one is in progress:
  // MissInfo::flight says which (see end_flight() and join_flight()).
  std::shared_ptr<const StoredResponse> lookup(std::string_view primary, std::string_view key_extra,
                                               const http::HeaderMap& request_headers, bool head_request = false,
                                               MissInfo* miss = nullptr, bool claim_flight = false);

  // Request collapsing's flights, by flight_hash_of(key_hash(primary), ...),
  // each kept in its primary key's shard (`primary_hash`). One flight per
  // hash at a time: two keys whose hashes collide share one (cache_runtime.h
  // says what that costs). claim_flight(): the caller leads a new flight,
  // false when one is in progress. end_flight(): ends it (nothing when it is
  // not in progress) and returns whether anyone joined it. join_flight():
  // when the flight is in progress, runs `join` (returning bool: whether
  // it joined) under the shard's lock, so that the flight cannot end in
  // between, and marks the flight joined if it did; its result, false when
  // no flight is in progress.
  bool claim_flight(std::size_t primary_hash, std::uint64_t flight_hash);
  bool end_flight(std::size_t primary_hash, std::uint64_t flight_hash);
  template <typename Join>
  bool join_flight(std::size_t primary_hash, std::uint64_t flight_hash, Join&& join);

  // Remembers until `until` that the last response for the primary key
  // whose key_hash() is `primary_hash` could not be stored ("hit-for-miss"),
  // so that concurrent misses for it go upstream at once instead of waiting
  // for one another. Marks live in a fixed table per shard, by hash
  // (kUncacheableMarks slots): a mark allocates nothing, is charged nothing
  // and evicts no stored response, however many distinct keys are marked;
  // a key whose slot another key's mark took over is simply no longer marked
  // (its next concurrent misses collapse once more). Neither an insert nor a
  // purge clears a mark. With `flight`, also ends that flight of the key
  // (FlightEnd).
  void mark_uncacheable(std::size_t primary_hash, std::chrono::steady_clock::time_point until,
                        FlightEnd* flight = nullptr);
  static constexpr std::size_t kUncacheableMarks = 1024;  // per shard

  // Every variant stored for `primary`, newest first (to build a
  // revalidation request, or to select responses for a 304, §4.3.4).
  std::vector<std::shared_ptr<const StoredResponse>> variants(std::string_view primary) const;

  // Stores `response` as the newest variant of `primary`, replacing a
  // variant with the same key_extra and Vary values (a head_only response
  // replaces only a head_only one: it cannot stand in for content).
  // kTooLarge (nothing changes) when its charge exceeds max_object_size or a
  // shard's budget.
  InsertResult insert(std::string_view primary, std::shared_ptr<const StoredResponse> response) {
    return insert(primary, key_hash(primary), std::move(response));
  }
  // The same with key_hash(primary) already known (a lookup's
  // MissInfo::key_hash), so a fill does not hash its key twice.
  // With `flight`, a stored response also ends that flight of the key
  // (FlightEnd): the waiters find the response when they look again.
  InsertResult insert(std::string_view primary, std::size_t primary_hash,
                      std::shared_ptr<const StoredResponse> response, FlightEnd* flight = nullptr);

  // Copy-on-write update after a 304: swaps `current` for `updated` if
  // `current` is still stored; false (nothing changes) if it was evicted,
  // invalidated or replaced meanwhile. The sizes are re-charged.
  bool replace(std::string_view primary, const std::shared_ptr<const StoredResponse>& current,
               std::shared_ptr<const StoredResponse> updated);

  // Removes every variant of `primary` (§4.4 invalidation, purge of a URL);
  // returns how many.
  std::size_t invalidate(std::string_view primary);
  // Removes every variant of every key starting with `prefix` (stored
  // before the call; one stored during it may go too). Holds a shard's lock
  // for a batch of keys at a time, never for the whole walk.
  std::size_t purge_prefix(std::string_view prefix);
  // Removes everything; a shard's lock is held only to take its contents.
  std::size_t purge_all();

  StoreStats stats() const;
  std::size_t shard_count() const noexcept { return shards_.size(); }
  // bytes, entries and evictions only (keys stays 0), without taking any
  // lock: cheap enough to call after every insert.
  StoreStats totals() const noexcept;

 private:
  struct Variant {
    std::shared_ptr<const StoredResponse> response;
    std::size_t charge = 0;  // response->charge() + the key's size, as charged when stored
  };
  // One primary key. Allocated together with the key's bytes, which follow
  // it (new_key_entry / delete_key_entry): a new key costs one allocation
  // (a recycled block, RecycledBlocks, once the store evicts), and the key
  // never moves, so the index can view it.
  struct KeyEntry : boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::normal_link>> {
    KeyEntry(std::size_t key_size, std::size_t key_hash) noexcept : size(key_size), hash(key_hash) {}
    std::string_view key() const noexcept { return {reinterpret_cast<const char*>(this) + sizeof(KeyEntry), size}; }

    std::size_t size;  // of the key
    std::size_t hash;  // key_hash(key())
    // The shard's `moves` when this key last went to the LRU's front.
    std::uint64_t moved_at = 0;
    // A GET's lookup matched one of its variants exactly, so a worker may
    // keep it (local_hits.h): only then do eviction and release look at the
    // variants' store marks, cold memory a key never hit need not touch.
    bool hit = false;
    // Not a key: where a prefix purge stopped between its batches
    // (purge_prefix_of). Never in the index.
    bool purge_cursor = false;
    // Newest first. Most keys have one variant: it lives inline.
    boost::container::small_vector<Variant, 1> variants;
    std::size_t bytes = 0;
    // Where the index's slot for this entry was when it was inserted: the
    // eviction reads it, so warm_next_victims() asks for it ahead. Only
    // ever prefetched, never dereferenced (a rehash moves slots; a stale
    // address costs one useless prefetch).
    std::uintptr_t index_slot = 0;
  };
  // Owns its entries (delete_key_entry when unlinked).
  using Lru = boost::intrusive::list<KeyEntry, boost::intrusive::constant_time_size<false>>;
  // A primary key with its hash, computed once per call.
  struct IndexKey {
    std::string_view key;
    std::size_t hash;
  };
  // The index holds the key entries themselves (8 bytes a slot: a 256 MiB
  // store's index stays small enough for the caches), found by an IndexKey
  // or by an entry; both hash to the key's hash.
  struct IndexHash {
    using is_transparent = void;
    std::size_t operator()(const IndexKey& k) const noexcept { return k.hash; }
    std::size_t operator()(const KeyEntry* e) const noexcept { return e->hash; }
  };
  struct IndexEqual {
    using is_transparent = void;
    // An entry's erase finds its own slot without reading its key (an
    // evicted one's is cold).
    bool operator()(const KeyEntry* a, const KeyEntry* b) const noexcept {
      return a == b || (a->hash == b->hash && a->key() == b->key());
    }
    bool operator()(const IndexKey& k, const KeyEntry* e) const noexcept { return k.hash == e->hash && k.key == e->key(); }
    bool operator()(const KeyEntry* e, const IndexKey& k) const noexcept { return (*this)(k, e); }
  };
  using Index = boost::unordered_flat_set<KeyEntry*, IndexHash, IndexEqual>;
  // A count that only its shard's lock holder writes and that totals()
  // reads without the lock. Writers load and store instead of a locked
  // read-modify-write: no other writer can race them, and a locked
  // instruction costs tens of cycles and first waits for every pending store,
  // such as a fill's body written into memory a full store last used long ago.
  class GuardedCount {
   public:
    void add(std::uint64_t n) noexcept { value_.store(get() + n, std::memory_order_relaxed); }
    void sub(std::uint64_t n) noexcept { value_.store(get() - n, std::memory_order_relaxed); }
    std::uint64_t get() const noexcept { return value_.load(std::memory_order_relaxed); }

   private:
    std::atomic<std::uint64_t> value_{0};
  };
  // A line of its own: workers locking neighbouring shards do not share one.
  struct alignas(64) Shard {
    Shard() = default;
    Shard(const Shard&) = delete;
    Shard& operator=(const Shard&) = delete;
    ~Shard();

    mutable std::mutex mutex;
    Lru lru;  // front: most recently used
    // Keys put at the LRU's front so far (new or touched): a key is at most
    // `moves - moved_at` places from the front.
    std::uint64_t moves = 0;
    // Open addressing: no node per key.
    Index index;
    // Written with `mutex` held; read without it by totals().
    GuardedCount bytes;
    GuardedCount entries;
    GuardedCount evictions;
    // mark_uncacheable()'s table, with `mutex` held.
    struct UncacheableMark {
      std::size_t hash = 0;
      std::chrono::steady_clock::time_point until{};
    };
    std::array<UncacheableMark, kUncacheableMarks> marks{};
    // Flights in progress (claim_flight()): hash → whether one joined it.
    // Open addressing: a flight allocates nothing once the table has grown.
    boost::unordered_flat_map<std::uint64_t, bool> flights;
  };

  // What a call takes out of a shard: freed when this goes out of scope.
  // Declared before the shard's lock, so that it is released after the
  // unlock: an evicted entry's memory is cold, and freeing its key, header
  // section and body would otherwise hold up the other workers on the shard.
  struct Released {
    Released() = default;
    Released(const Released&) = delete;
    Released& operator=(const Released&) = delete;
    // Clears the store marks of what was taken out (a worker's kept hits,
    // local_hits.h, stop answering with it), then frees it.
    ~Released();
    Lru keys;
    boost::container::small_vector<std::shared_ptr<const StoredResponse>, 2> variants;
  };

  static KeyEntry* new_key_entry(const IndexKey& key);
  // Before a key is added: grows the index so it stays at most half full.
  static void reserve_index_room(Index& index);
  static void delete_key_entry(KeyEntry* entry) noexcept;
  static IndexKey index_key(std::string_view primary) noexcept { return {primary, key_hash(primary)}; }
  Shard& shard_for(std::size_t hash) const noexcept { return shards_[hash & shard_mask_]; }
  Shard& shard_for(const IndexKey& key) const noexcept { return shard_for(key.hash); }
  std::size_t shard_budget() const noexcept;
  // Whether `shard` (the one for `hash`) holds an unexpired mark for it.
  bool marked_uncacheable(const Shard& shard, std::size_t hash) const;
  // Its slot in the shard's table (the shard took the hash's low bits).
  std::size_t mark_index(std::size_t hash) const noexcept {
    return (hash >> shard_bits_) % kUncacheableMarks;
  }
  // With the shard's mutex held: the variant of `entry` lookup() answers
  // with, null when none; `exact` says whether it matched exactly.
  static const Variant* select_variant(const KeyEntry& entry, std::string_view key_extra,
                                       const http::HeaderMap& request_headers, bool head_request, bool& exact);
  // All with the shard's mutex held; what they take out goes to `released`.
  void erase_key(Shard& shard, KeyEntry& entry, Released& released);
  // Makes `entry` the shard's most recently used key, unless it is surely
  // among the most recent eighth of the shard's keys already: then the
  // order within that eighth is left as it is. A hot key's hits thereby
  // write nothing to the LRU list, whose lines would otherwise move between
  // the cores of every worker asking for it, and eviction order is exact
  // everywhere else (a key is evicted only from the back).
  static void touch(Shard& shard, KeyEntry& entry) noexcept;
  // Puts a new `entry` at the LRU's front.
  static void push_front(Shard& shard, KeyEntry& entry) noexcept;
  // Moves a stored `entry` to the LRU's front.
  static void move_to_front(Shard& shard, KeyEntry& entry) noexcept;
  // Drops `entry`'s variant at `i`, uncharging it.
  static void drop_variant(Shard& shard, KeyEntry& entry, std::size_t i, Released& released);
  // Evicts least recently used keys, never `keep` (the key just written),
  // until the shard fits `budget`; then `keep`'s oldest variants if needed.
  void evict_to(Shard& shard, std::size_t budget, KeyEntry* keep, Released& released);
  // purge_prefix() in one shard, a batch of keys a lock hold.
  std::size_t purge_prefix_of(Shard& shard, std::string_view prefix);
  // set_limits(): evicts least recently used keys until the shard holds at
  // most `budget` bytes, taking the lock for a few MiB at a time.
  void evict_in_batches(Shard& shard, std::size_t budget);
  // Asks for the memory the shard's next evictions will touch (prefetches;
  // it reads only the LRU tail's key entry, which the insert before asked
  // for). Changes nothing.
  static void warm_next_victims(const Shard& shard) noexcept;

  // Which store a worker's kept hit (local_hits.h) came from.
  const std::uint64_t id_;
  // Sized once (a Shard never moves); mutable: shard_for() on a const store
  // locks one.
  mutable std::vector<Shard> shards_;
  // One purge at a time (purge_prefix_of()'s cursor, purge_all()'s splice).
  std::mutex purge_mutex_;
  std::size_t shard_mask_;  // shards_.size() - 1, a power of two less one
  unsigned shard_bits_;     // log2(shards_.size())
  std::atomic<std::size_t> max_size_;
  std::atomic<std::size_t> max_object_size_;
  std::atomic<std::size_t> max_variants_;
};

// The key of a collapsing flight: a 64-bit hash of the cache key's primary
// and extra parts (CacheKey), computed without building a string. Equal
// keys give equal hashes.
std::uint64_t flight_hash(std::string_view primary, std::string_view extra) noexcept;
// The same from CacheStore::key_hash(primary), as a lookup's MissInfo
// reports it: flight_hash_of(CacheStore::key_hash(p), e) == flight_hash(p, e).
std::uint64_t flight_hash_of(std::uint64_t primary_hash, std::string_view extra) noexcept;

template <typename Join>
bool CacheStore::join_flight(std::size_t primary_hash, std::uint64_t flight_hash, Join&& join) {
  Shard& shard = shard_for(primary_hash);
  std::lock_guard lock(shard.mutex);
  auto found = shard.flights.find(flight_hash);
  if (found == shard.flights.end() || !join()) return false;
  found->second = true;
  return true;
}

}  // namespace gatehouse::policies::cache
