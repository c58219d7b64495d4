// The shared store: variants, LRU by bytes, copy-on-write updates,
// invalidation, purges, and concurrent use (the collapsing flights it keeps
// are in cache_flight_test.cc).

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "policies/cache/cache_fill.h"
#include "policies/cache/cache_runtime.h"
#include "policies/cache/cache_store.h"
#include "policies/cache/cache_test_support.h"
#include "policies/cache/storability.h"
#include "proxy/policy/services.h"
#include "tests/unit/fake_request_context.h"

namespace gatehouse::policies::cache {
namespace {

using test_support::fields;
using test_support::one_shard;
using test_support::response;
using test_support::t0;

// "k<i>". Built by append: GCC 12 warns falsely (-Wstringop-overflow, its
// bug 105329) on `"k" + std::to_string(i)`, as it does at every such
// `const char* + std::string&&` in a Release build.
std::string numbered_key(int i) { return std::string("k").append(std::to_string(i)); }

// One store per process, shared by every policy built with the services,
// so entries outlive a reload's new policies.
TEST(CacheStoreTest, IsOneProcessWideService) {
  policy::PolicyServices services;
  CacheStore& a = services.shared<CacheStore>();
  a.insert("k", response("x"));
  CacheStore& b = services.shared<CacheStore>();
  EXPECT_EQ(&a, &b);
  EXPECT_NE(b.lookup("k", "", {}), nullptr);
}

// Hit-for-miss marks: a miss reports its key's unexpired mark, whether or
// not the key has variants; a mark is charged nothing and evicts nothing,
// however many keys are marked.
TEST(CacheStoreTest, UncacheableMarksAreReportedUntilTheyExpireAndCostTheStoreNothing) {
  auto store = one_shard(4096);
  const auto now = std::chrono::steady_clock::now();
  auto recently_uncacheable = [&](std::string_view key, const http::HeaderMap& request = {}) {
    CacheStore::MissInfo miss;
    EXPECT_EQ(store->lookup(key, "", request, false, &miss), nullptr);
    return miss.recently_uncacheable;
  };
  EXPECT_FALSE(recently_uncacheable("http://a/x"));
  store->mark_uncacheable(CacheStore::key_hash("http://a/x"), now + std::chrono::seconds(10));
  EXPECT_TRUE(recently_uncacheable("http://a/x"));
  EXPECT_FALSE(recently_uncacheable("http://a/y"));
  store->mark_uncacheable(CacheStore::key_hash("http://a/y"), now - std::chrono::seconds(1));
  EXPECT_FALSE(recently_uncacheable("http://a/y"));  // its window is over
  EXPECT_EQ(store->stats().keys, 0u);
  EXPECT_EQ(store->stats().bytes, 0u);

  // A Vary miss on a marked key reports both.
  auto stored = response("v", fields({{"A", "1"}}), fields({{"Vary", "A"}}));
  ASSERT_EQ(store->insert("http://a/x", stored), InsertResult::kStored);
  CacheStore::MissInfo miss;
  EXPECT_EQ(store->lookup("http://a/x", "", fields({{"A", "2"}}), false, &miss), nullptr);
  EXPECT_TRUE(miss.has_variants);
  EXPECT_TRUE(miss.recently_uncacheable);

  // Marking ten thousand keys leaves the stored entry and its charge alone.
  const StoreStats before = store->stats();
  for (int i = 0; i < 10000; ++i) {
    store->mark_uncacheable(CacheStore::key_hash("http://a/n" + std::to_string(i)), now + std::chrono::seconds(10));
  }
  EXPECT_EQ(store->lookup("http://a/x", "", fields({{"A", "1"}})), stored);
  EXPECT_EQ(store->stats().bytes, before.bytes);
  EXPECT_EQ(store->stats().keys, 1u);
  EXPECT_EQ(store->stats().evictions, 0u);
}

TEST(CacheStoreTest, InsertAndLookup) {
  CacheStore store;
  EXPECT_EQ(store.lookup("k", "", {}), nullptr);
  auto r = response("hello");
  EXPECT_EQ(store.insert("k", r), InsertResult::kStored);
  EXPECT_EQ(store.lookup("k", "", {}), r);
  EXPECT_EQ(store.lookup("other", "", {}), nullptr);
  StoreStats s = store.stats();
  EXPECT_EQ(s.entries, 1u);
  EXPECT_EQ(s.keys, 1u);
  EXPECT_EQ(s.bytes, r->charge() + 1);
}

TEST(CacheStoreTest, VariantsAreSelectedByVaryAndExtra) {
  CacheStore store;
  http::HeaderMap vary = fields({{"Vary", "Accept-Language"}});
  auto en = response("en", fields({{"Accept-Language", "en"}}), vary);
  auto de = response("de", fields({{"Accept-Language", "de"}}), vary);
  auto tenant = response("t", fields({{"Accept-Language", "en"}}), vary, "x-tenant: b\n");
  store.insert("k", en);
  store.insert("k", de);
  store.insert("k", tenant);
  EXPECT_EQ(store.lookup("k", "", fields({{"Accept-Language", "en"}})), en);
  EXPECT_EQ(store.lookup("k", "", fields({{"Accept-Language", "de"}})), de);
  EXPECT_EQ(store.lookup("k", "", fields({{"Accept-Language", "fr"}})), nullptr);
  EXPECT_EQ(store.lookup("k", "x-tenant: b\n", fields({{"Accept-Language", "en"}})), tenant);
  EXPECT_EQ(store.variants("k").size(), 3u);
  EXPECT_EQ(store.variants("k").front(), tenant);  // newest first
}

TEST(CacheStoreTest, SameVariantIsReplaced) {
  CacheStore store;
  http::HeaderMap vary = fields({{"Vary", "Accept-Language"}});
  store.insert("k", response("old", fields({{"Accept-Language", "en"}}), vary));
  auto fresh = response("new", fields({{"Accept-Language", "en"}}), vary);
  store.insert("k", fresh);
  EXPECT_EQ(store.variants("k").size(), 1u);
  EXPECT_EQ(store.lookup("k", "", fields({{"Accept-Language", "en"}})), fresh);
  EXPECT_EQ(store.stats().bytes, fresh->charge() + 1);
}

TEST(CacheStoreTest, NewestMatchingVariantWins) {
  CacheStore store;
  store.insert("k", response("no-vary"));
  auto varied = response("varied", fields({{"A", "1"}}), fields({{"Vary", "A"}}));
  store.insert("k", varied);
  EXPECT_EQ(store.lookup("k", "", fields({{"A", "1"}})), varied);
  EXPECT_EQ(store.lookup("k", "", fields({{"A", "2"}}))->body(), "no-vary");
}

// cache-tests vary-normalise-lang-select: the German variant stored for
// "en, de" serves a request whose one first choice is German; an exact
// match still wins over it, and the selection keeps key_extra and HEAD rules.
TEST(CacheStoreTest, VariantIsSelectedByItsContentLanguage) {
  CacheStore store;
  http::HeaderMap vary = fields({{"Vary", "Accept-Language"}, {"Content-Language", "de"}});
  auto de = response("de", fields({{"Accept-Language", "en, de"}}), vary);
  store.insert("k", de);
  const http::HeaderMap second = fields({{"Accept-Language", "fr;q=0.5, de;q=1.0"}});
  EXPECT_EQ(store.lookup("k", "", second), de);
  EXPECT_EQ(store.lookup("k", "", fields({{"Accept-Language", "fr, de;q=0.5"}})), nullptr);
  EXPECT_EQ(store.lookup("k", "x-tenant: b\n", second), nullptr);

  // Newer, but only selected by language: the exact match is served.
  auto exact = response("exact", fields({{"Accept-Language", "de, fr;q=0.5"}}),
                        fields({{"Vary", "Accept-Language"}, {"Content-Language", "de"}}));
  auto other = response("other", fields({{"Accept-Language", "de"}}), vary);
  store.insert("k", exact);
  store.insert("k", other);
  EXPECT_EQ(store.lookup("k", "", second), exact);
  EXPECT_EQ(store.lookup("k", "", fields({{"Accept-Language", "de, en;q=0.1"}})), other);  // newest

  auto head = std::make_shared<StoredResponse>(*response("", fields({{"Accept-Language", "en, de"}}), vary));
  head->head_only = true;
  store.insert("h", head);
  EXPECT_EQ(store.lookup("h", "", second), nullptr);
  EXPECT_EQ(store.lookup("h", "", second, /*head_request=*/true), head);
}

// A response filled by HEAD has no content: it answers HEAD only, and a
// full response replaces it, never the other way round.
TEST(CacheStoreTest, HeadOnlyVariantsAnswerHeadRequestsOnly) {
  CacheStore store;
  auto head = std::make_shared<StoredResponse>(*response(""));
  head->head_only = true;
  store.insert("k", head);
  EXPECT_EQ(store.lookup("k", "", {}), nullptr);
  EXPECT_EQ(store.lookup("k", "", {}, true), head);
  auto full = response("content");
  store.insert("k", full);
  EXPECT_EQ(store.variants("k").size(), 1u);
  EXPECT_EQ(store.lookup("k", "", {}), full);
  EXPECT_EQ(store.lookup("k", "", {}, true), full);
  auto head2 = std::make_shared<StoredResponse>(*response(""));
  head2->head_only = true;
  store.insert("k", head2);
  EXPECT_EQ(store.variants("k").size(), 2u);
  EXPECT_EQ(store.lookup("k", "", {}), full);
}

TEST(CacheStoreTest, ObjectsOverTheLimitsAreRefused) {
  auto store = one_shard(10'000, 1'000);
  EXPECT_EQ(store->insert("k", response(std::string(2'000, 'x'))), InsertResult::kTooLarge);
  EXPECT_EQ(store->stats().entries, 0u);
  auto small_total = one_shard(1'000, 1'000'000);
  EXPECT_EQ(small_total->insert("k", response(std::string(2'000, 'x'))), InsertResult::kTooLarge);
}

TEST(CacheStoreTest, LeastRecentlyUsedKeysAreEvictedByBytes) {
  auto sample = response(std::string(1'000, 'x'));
  std::size_t each = sample->charge() + 2;
  auto store = one_shard(each * 3);
  store->insert("k1", response(std::string(1'000, 'x')));
  store->insert("k2", response(std::string(1'000, 'x')));
  store->insert("k3", response(std::string(1'000, 'x')));
  ASSERT_NE(store->lookup("k1", "", {}), nullptr);  // k1 is now the most recent
  store->insert("k4", response(std::string(1'000, 'x')));
  EXPECT_NE(store->lookup("k1", "", {}), nullptr);
  EXPECT_EQ(store->lookup("k2", "", {}), nullptr);
  EXPECT_NE(store->lookup("k3", "", {}), nullptr);
  EXPECT_NE(store->lookup("k4", "", {}), nullptr);
  StoreStats s = store->stats();
  EXPECT_EQ(s.evictions, 1u);
  EXPECT_LE(s.bytes, each * 3);
}

// A store asked for 3 shards has 4 (a shard is picked with a mask): each
// shard's budget is a quarter of max_size, and every key finds its shard.
TEST(CacheStoreTest, TheShardCountIsRoundedUpToAPowerOfTwo) {
  auto sample = response(std::string(1'000, 'x'));
  const std::size_t each = sample->charge() + 2;
  CacheStore store(3);
  store.set_limits({.max_size = each * 7 / 2});  // a third of it holds one entry, a quarter does not
  EXPECT_EQ(store.insert("k1", sample), InsertResult::kTooLarge);
  store.set_limits({.max_size = std::size_t{64} << 20});
  for (int i = 0; i < 1'000; ++i) ASSERT_EQ(store.insert(numbered_key(i), response("b")), InsertResult::kStored) << i;
  for (int i = 0; i < 1'000; ++i) ASSERT_NE(store.lookup(numbered_key(i), "", {}), nullptr) << i;
  EXPECT_EQ(store.stats().keys, 1'000u);
}

// A lookup leaves a key where it is while it is surely among the shard's
// most recent eighth (a hot key's hits then write nothing to the LRU list),
// yet a key used between every two inserts is never evicted, however often
// the shard turns over: it goes to the front again before it can reach the
// back.
TEST(CacheStoreTest, AKeyUsedBetweenEveryInsertIsNeverEvicted) {
  std::size_t each = response(std::string(1'000, 'x'))->charge() + 6;
  auto store = one_shard(each * 64);
  ASSERT_EQ(store->insert("hot", response(std::string(1'000, 'x'))), InsertResult::kStored);
  for (int i = 0; i < 2'000; ++i) {
    ASSERT_EQ(store->insert(numbered_key(10'000 + i), response(std::string(1'000, 'x'))),
              InsertResult::kStored);
    ASSERT_NE(store->lookup("hot", "", {}), nullptr) << "evicted after " << i << " inserts";
  }
  EXPECT_GE(store->stats().evictions, 2'000u - 64u);
}

// Outside the most recent eighth the order is exact: the least recently
// used key of 80, once looked up, outlives the 79 others, and is the next
// to go after them. (variants() is not a use: it checks without moving.)
TEST(CacheStoreTest, ALookedUpKeyFromTheBackOutlivesAllOthers) {
  std::size_t each = response(std::string(1'000, 'x'))->charge() + 4;  // keys "k100".."k279"
  auto store = one_shard(each * 80);
  for (int i = 100; i < 180; ++i) store->insert(numbered_key(i), response(std::string(1'000, 'x')));
  ASSERT_EQ(store->stats().keys, 80u);
  ASSERT_NE(store->lookup("k100", "", {}), nullptr);
  for (int i = 200; i < 279; ++i) store->insert(numbered_key(i), response(std::string(1'000, 'x')));
  EXPECT_EQ(store->variants("k100").size(), 1u);
  for (int i = 101; i < 180; ++i) EXPECT_TRUE(store->variants(numbered_key(i)).empty()) << i;
  store->insert("k279", response(std::string(1'000, 'x')));
  EXPECT_TRUE(store->variants("k100").empty());
}

// An evicted entry is freed after its shard is unlocked: when the last
// reference goes (here the entry's deleter runs), another thread can use the
// shard. Were the lock still held, its lookup would wait for the insert to
// return, past the deadline.
TEST(CacheStoreTest, EvictedEntriesAreReleasedOutsideTheShardLock) {
  auto sample = response(std::string(1'000, 'x'));
  auto store = one_shard(sample->charge() + 2);
  bool deleter_ran = false;
  bool shard_was_free = false;
  // Outlives the deleter: had the lock been held, the lookup finishes once
  // insert() returns instead of deadlocking the test.
  std::future<std::shared_ptr<const StoredResponse>> other;
  auto* first = new StoredResponse(*sample);
  store->insert("k1", std::shared_ptr<const StoredResponse>(first, [&](const StoredResponse* r) {
    deleter_ran = true;
    other = std::async(std::launch::async, [&] { return store->lookup("k2", "", {}); });
    shard_was_free = other.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
    delete r;
  }));
  EXPECT_FALSE(deleter_ran);
  EXPECT_EQ(store->insert("k2", response(std::string(1'000, 'x'))), InsertResult::kStored);
  EXPECT_TRUE(deleter_ran);
  EXPECT_TRUE(shard_was_free);
  EXPECT_NE(other.get(), nullptr);  // it ran after k2 was in place
  EXPECT_EQ(store->lookup("k1", "", {}), nullptr);
  EXPECT_EQ(store->stats().evictions, 1u);
}

// Many variants of one key cannot outgrow the budget either.
TEST(CacheStoreTest, VariantsOfOneKeyAreEvictedOldestFirst) {
  auto sample = response(std::string(1'000, 'x'), fields({{"A", "1"}}), fields({{"Vary", "A"}}));
  auto store = one_shard((sample->charge() + 1) * 2);
  for (const char* v : {"1", "2", "3"}) {
    store->insert("k", response(std::string(1'000, 'x'), fields({{"A", v}}), fields({{"Vary", "A"}})));
  }
  EXPECT_EQ(store->variants("k").size(), 2u);
  EXPECT_EQ(store->lookup("k", "", fields({{"A", "1"}})), nullptr);
  EXPECT_NE(store->lookup("k", "", fields({{"A", "3"}})), nullptr);
  EXPECT_LE(store->stats().bytes, (sample->charge() + 1) * 2);
}

TEST(CacheStoreTest, ShrinkingTheLimitEvicts) {
  auto store = one_shard(1 << 20);
  for (int i = 0; i < 10; ++i) store->insert(numbered_key(i), response(std::string(1'000, 'x')));
  store->set_limits({.max_size = 3'000});
  EXPECT_LE(store->stats().bytes, 3'000u);
  EXPECT_GE(store->stats().evictions, 7u);
}

TEST(CacheStoreTest, VariantsPerKeyAreBounded) {
  CacheStore store;
  store.set_limits({.max_variants = 2});
  http::HeaderMap vary = fields({{"Vary", "A"}});
  for (const char* v : {"1", "2", "3"}) store.insert("k", response(v, fields({{"A", v}}), vary));
  EXPECT_EQ(store.variants("k").size(), 2u);
  EXPECT_EQ(store.lookup("k", "", fields({{"A", "1"}})), nullptr);
  EXPECT_EQ(store.stats().evictions, 1u);
}

// §4.3.4 copy-on-write: readers keep the old object; the store swaps in the new.
TEST(CacheStoreTest, ReplaceAfterNotModifiedIsCopyOnWrite) {
  CacheStore store;
  auto old = response("body", {}, fields({{"Cache-Control", "max-age=1"}, {"ETag", "\"a\""}}));
  store.insert("k", old);
  auto held = store.lookup("k", "", {});
  auto updated = refreshed(old, fields({{"Cache-Control", "max-age=60"}}), {t0(100), t0(101)}, true);
  EXPECT_TRUE(store.replace("k", old, updated));
  EXPECT_EQ(*held->headers.find("cache-control"), "max-age=1");  // unchanged for its holder
  auto now = store.lookup("k", "", {});
  EXPECT_EQ(*now->headers.find("cache-control"), "max-age=60");
  EXPECT_EQ(*now->headers.find("etag"), "\"a\"");
  EXPECT_EQ(now->body().data(), old->body().data());  // shared, not copied
  EXPECT_EQ(shared_body(now).bytes().data(), shared_body(old).bytes().data());
  // A copy of a copy still shares the original bytes.
  auto again = refreshed(now, fields({{"Cache-Control", "max-age=61"}}), {t0(102), t0(103)}, true);
  EXPECT_EQ(again->body().data(), old->body().data());
  EXPECT_EQ(again->content.owner(), old);
  EXPECT_EQ(now->timing.response_time, t0(101));
  EXPECT_FALSE(store.replace("k", old, updated));  // `old` is gone now
  store.invalidate("k");
  EXPECT_FALSE(store.replace("k", updated, updated));
}

TEST(CacheStoreTest, InvalidatePurgePrefixAndPurgeAll) {
  CacheStore store;
  store.insert("http://h/a", response("1"));
  store.insert("http://h/a", response("2", fields({{"A", "x"}}), fields({{"Vary", "A"}})));
  store.insert("http://h/b/1", response("3"));
  store.insert("http://h/b/2", response("4"));
  store.insert("http://other/b", response("5"));
  EXPECT_EQ(store.invalidate("http://h/a"), 2u);
  EXPECT_EQ(store.invalidate("http://h/a"), 0u);
  EXPECT_EQ(store.purge_prefix("http://h/b/"), 2u);
  EXPECT_EQ(store.stats().entries, 1u);
  EXPECT_EQ(store.purge_all(), 1u);
  StoreStats s = store.stats();
  EXPECT_EQ(s.entries, 0u);
  EXPECT_EQ(s.bytes, 0u);
  EXPECT_EQ(s.keys, 0u);
  EXPECT_EQ(store.lookup("http://other/b", "", {}), nullptr);
  // The emptied store stores and finds again.
  const auto again = response("6");
  store.insert("http://other/b", again);
  EXPECT_EQ(store.lookup("http://other/b", "", {}), again);
  EXPECT_EQ(store.stats().entries, 1u);
  EXPECT_EQ(store.purge_all(), 1u);
  EXPECT_EQ(store.purge_all(), 0u);
}

// The refreshed copy's age counts from the validating exchange.
// max_size bounds memory: an entry is charged the heap it occupies, not
// only its content; a refreshed copy also the original it keeps alive.
TEST(StoredResponseTest, ChargeCountsTheHeapAnEntryOccupies) {
  auto small = response("");
  auto big = response(std::string(10'000, 'b'));
  EXPECT_GE(small->charge(), sizeof(StoredResponse));
  EXPECT_GE(big->charge() - small->charge(), 10'000u);
  auto wide = std::make_shared<StoredResponse>(*small);
  wide->headers = StoredFields(fields({{"X-Long", std::string(500, 'h')}, {"Y", "1"}}));
  EXPECT_GE(wide->charge() - small->charge(), 500u);
  auto copy = refreshed(big, fields({{"Cache-Control", "max-age=5"}}), {t0(1), t0(2)}, true);
  EXPECT_GE(copy->charge(), big->charge());  // its own object, plus the original that holds the body
}

// A body that grew as it streamed in (no Content-Length to reserve for)
// is trimmed when stored: the entry is charged, and holds, what it needs.
TEST(StoredResponseTest, AGrownBodyIsTrimmedWhenStored) {
  policy::PolicyServices services;
  CacheRuntime& runtime = services.shared<CacheRuntime>();
  auto entry = std::make_shared<StoredResponse>();
  entry->timing = {t0(), t0()};
  std::string body;
  body.reserve(8192);
  body.assign(1000, 'x');
  entry->content.assign(std::move(body));
  EXPECT_GT(entry->content.heap_size(), 8192u);
  ASSERT_TRUE(store_entry(runtime, "http://h/grown", CacheStore::key_hash("http://h/grown"), entry, FillOptions{}));
  auto stored = runtime.store().lookup("http://h/grown", "", {});
  ASSERT_NE(stored, nullptr);
  EXPECT_EQ(stored->body(), std::string(1000, 'x'));
  EXPECT_LT(stored->content.heap_size(), 1300u);
  EXPECT_LT(stored->charge(), 2000u);
}

TEST(StoredResponseTest, RefreshedDropsTheOldAgeAndDate) {
  auto old = response("b", {}, fields({{"Age", "500"}, {"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}, {"ETag", "\"a\""}}));
  auto fresh = refreshed(old, fields({{"ETag", "\"a\""}}), {t0(1000), t0(1001)}, true);
  EXPECT_FALSE(fresh->headers.contains("age"));
  EXPECT_EQ(*fresh->headers.find("date"), "Sun, 06 Nov 1994 09:06:18 GMT");
  EXPECT_EQ(current_age(fresh->headers.to_map(), fresh->timing, t0(1001)).count(), 1);
  auto with_age = refreshed(old, fields({{"Age", "7"}, {"Date", "Sun, 06 Nov 1994 09:06:18 GMT"}}), {t0(1000), t0(1001)}, true);
  EXPECT_EQ(*with_age->headers.find("age"), "7");
  EXPECT_EQ(current_age(with_age->headers.to_map(), with_age->timing, t0(1001)).count(), 8);
}

// Workers insert, look up, replace and purge at once; the counters must add
// up afterwards and every looked-up object must be intact.
TEST(CacheStoreTest, ConcurrentUseKeepsCountersConsistent) {
  CacheStore store(4);
  store.set_limits({.max_size = 200'000, .max_object_size = 10'000});
  std::atomic<int> corrupt{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3'000; ++i) {
        std::string key = "http://h/" + std::to_string((i * 7 + t) % 97);
        std::string body(100 + (i % 50), static_cast<char>('a' + t));
        if (i % 3 == 0) store.insert(key, response(body));
        if (auto r = store.lookup(key, "", {})) {
          const std::string_view b = r->body();
          if (b.empty() || b.find_first_not_of(b.front()) != std::string::npos) ++corrupt;
          if (i % 5 == 0) store.replace(key, r, refreshed(r, fields({{"X", "y"}}), {t0(), t0()}, true));
        }
        if (i % 101 == 0) store.invalidate(key);
        if (t == 0 && i % 997 == 0) store.purge_prefix("http://h/1");
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(corrupt.load(), 0);
  StoreStats s = store.stats();
  EXPECT_LE(s.bytes, 200'000u);
  std::size_t variants = 0, bytes = 0;
  for (int k = 0; k < 97; ++k) {
    for (const auto& v : store.variants("http://h/" + std::to_string(k))) {
      ++variants;
      bytes += v->charge() + ("http://h/" + std::to_string(k)).size();
    }
  }
  EXPECT_EQ(s.entries, variants);
  EXPECT_EQ(s.bytes, bytes);
}

// Each variant keeps the charge it was stored with: replacing one variant,
// refreshing another and dropping the oldest re-sum the key's bytes
// exactly, and removing the key returns them all.
TEST(CacheStoreTest, VariantChargesAreResummedOnEveryChange) {
  auto store = one_shard(1 << 20);
  store->set_limits({.max_size = 1 << 20, .max_object_size = 1 << 20, .max_variants = 2});
  http::HeaderMap vary = fields({{"Vary", "A"}});
  const std::string key = "http://example.test/a/key/longer/than/sso";
  auto a = response(std::string(100, 'a'), fields({{"A", "1"}}), vary);
  auto b = response(std::string(300, 'b'), fields({{"A", "2"}}), vary);
  store->insert(key, a);
  store->insert(key, b);
  EXPECT_EQ(store->stats().bytes, a->charge() + b->charge() + 2 * key.size());
  // Same Vary values as `a`: replaces it in place of adding a third.
  auto a2 = response(std::string(700, 'A'), fields({{"A", "1"}}), vary);
  store->insert(key, a2);
  ASSERT_EQ(store->variants(key), (std::vector<std::shared_ptr<const StoredResponse>>{a2, b}));
  EXPECT_EQ(store->stats().bytes, a2->charge() + b->charge() + 2 * key.size());
  EXPECT_EQ(store->stats().evictions, 0u);
  // A 304 refresh of the older variant: its new charge replaces its old one.
  auto b2 = refreshed(b, fields({{"Cache-Control", "max-age=600"}, {"X-Long", std::string(200, 'x')}}),
                      {t0(1), t0(2)}, true);
  ASSERT_TRUE(store->replace(key, b, b2));
  EXPECT_EQ(store->stats().bytes, a2->charge() + b2->charge() + 2 * key.size());
  // A third variant over max_variants drops the oldest (b2) and its charge.
  auto c = response(std::string(50, 'c'), fields({{"A", "3"}}), vary);
  store->insert(key, c);
  ASSERT_EQ(store->variants(key), (std::vector<std::shared_ptr<const StoredResponse>>{c, a2}));
  StoreStats s = store->stats();
  EXPECT_EQ(s.bytes, c->charge() + a2->charge() + 2 * key.size());
  EXPECT_EQ(s.entries, 2u);
  EXPECT_EQ(s.evictions, 1u);
  EXPECT_EQ(store->invalidate(key), 2u);
  EXPECT_EQ(store->stats().bytes, 0u);
  EXPECT_EQ(store->stats().entries, 0u);
}

// A key whose variants outgrow the shard loses its oldest ones, one at a
// time, until the rest fit; the newest stays.
TEST(CacheStoreTest, TheOldestVariantsOfAKeyGoFirstByBytes) {
  http::HeaderMap vary = fields({{"Vary", "A"}});
  auto small = response(std::string(100, 's'), fields({{"A", "1"}}), vary);
  auto small2 = response(std::string(100, 't'), fields({{"A", "3"}}), vary);
  auto big = response(std::string(2'000, 'b'), fields({{"A", "2"}}), vary);
  auto newest = response(std::string(1'000, 'n'), fields({{"A", "4"}}), vary);
  // Charges as stored (each plus the key's size, 1): all but `newest` fit,
  // and `newest` with `big` fit, but not with a small one as well.
  const std::size_t s = small->charge() + 1, t = small2->charge() + 1, b = big->charge() + 1,
                    n = newest->charge() + 1;
  auto store = one_shard(std::max(s + t + b, n + b));
  ASSERT_GT(n + b + std::min(s, t), std::max(s + t + b, n + b));
  store->insert("k", small);
  store->insert("k", small2);
  store->insert("k", big);
  EXPECT_EQ(store->variants("k").size(), 3u);
  store->insert("k", newest);  // the two small ones must go, oldest first
  EXPECT_EQ(store->variants("k"), (std::vector<std::shared_ptr<const StoredResponse>>{newest, big}));
  EXPECT_EQ(store->stats().evictions, 2u);
  EXPECT_EQ(store->stats().bytes, n + b);
}

// Thousands of keys in one shard (the index grows and rehashes many times)
// are all found again, by their own key only, and each eviction or
// invalidation removes exactly its key from the index.
TEST(CacheStoreTest, ManyKeysInOneShardStayFindable) {
  auto store = one_shard(std::size_t{64} << 20);
  auto key_of = [](int i) { return "http://example.test/items/" + std::to_string(i) + "?page=long-enough-to-allocate"; };
  std::vector<std::shared_ptr<const StoredResponse>> stored;
  for (int i = 0; i < 5'000; ++i) {
    stored.push_back(response(std::to_string(i)));
    ASSERT_EQ(store->insert(key_of(i), stored.back()), InsertResult::kStored);
  }
  EXPECT_EQ(store->stats().keys, 5'000u);
  for (int i = 0; i < 5'000; ++i) ASSERT_EQ(store->lookup(key_of(i), "", {}), stored[static_cast<std::size_t>(i)]) << i;
  EXPECT_EQ(store->lookup("http://example.test/items/5000?page=long-enough-to-allocate", "", {}), nullptr);
  for (int i = 0; i < 5'000; i += 2) ASSERT_EQ(store->invalidate(key_of(i)), 1u);
  EXPECT_EQ(store->stats().keys, 2'500u);
  for (int i = 0; i < 5'000; ++i) {
    ASSERT_EQ(store->lookup(key_of(i), "", {}) != nullptr, i % 2 == 1) << i;
  }
  // Shrinking to about 100 entries evicts the least recently used keys.
  store->set_limits({.max_size = (stored[0]->charge() + key_of(0).size() + 1) * 100});
  EXPECT_LE(store->stats().keys, 100u);
  EXPECT_GE(store->stats().keys, 90u);
  EXPECT_NE(store->lookup(key_of(4'999), "", {}), nullptr);  // looked up last
  EXPECT_EQ(store->lookup(key_of(1), "", {}), nullptr);
}

// A max_size lowered by many MiB (a reload) is reached in batches: the
// store ends within the new size, with its most recently used keys, and
// the evictions counted; a shard holds only the new budget's worth after.
TEST(CacheStoreTest, AMuchSmallerMaxSizeEvictsTheLeastRecentlyUsedDownToIt) {
  auto store = one_shard(std::size_t{64} << 20);
  const std::string body(2'000, 'x');
  auto key_of = [](int i) { return "http://example.test/shrink/" + std::to_string(i); };
  for (int i = 0; i < 10'000; ++i) ASSERT_EQ(store->insert(key_of(i), response(body)), InsertResult::kStored);
  const StoreStats full = store->stats();
  ASSERT_EQ(full.keys, 10'000u);
  ASSERT_GT(full.bytes, std::size_t{16} << 20);  // several batches' worth
  StoreLimits limits = store->limits();
  limits.max_size = std::size_t{1} << 20;
  store->set_limits(limits);
  const StoreStats after = store->stats();
  EXPECT_LE(after.bytes, limits.max_size);
  EXPECT_GT(after.bytes, limits.max_size - 2 * (full.bytes / full.keys));  // no more than needed went
  EXPECT_EQ(after.evictions, full.keys - after.keys);
  EXPECT_EQ(store->limits().max_size, limits.max_size);
  EXPECT_NE(store->lookup(key_of(9'999), "", {}), nullptr);
  EXPECT_EQ(store->lookup(key_of(0), "", {}), nullptr);
  // The new budget holds for inserts too.
  for (int i = 10'000; i < 11'000; ++i) store->insert(key_of(i), response(body));
  EXPECT_LE(store->stats().bytes, limits.max_size);
}

// A prefix purge walks a shard a batch at a time (a cursor in the LRU list
// keeps its place): every matching key goes, every other key stays, and
// the store evicts and purges as before afterwards.
TEST(CacheStoreTest, APrefixPurgeOfManyKeysRemovesExactlyTheMatchingOnes) {
  auto store = one_shard(std::size_t{64} << 20);
  const auto body = response("x");
  auto key_of = [](int i) { return std::string(i % 3 == 0 ? "http://h/a/" : "http://h/b/") + std::to_string(i); };
  for (int i = 0; i < 10'000; ++i) ASSERT_EQ(store->insert(key_of(i), body), InsertResult::kStored);
  EXPECT_EQ(store->purge_prefix("http://h/a/"), 3'334u);
  EXPECT_EQ(store->stats().keys, 6'666u);
  for (int i = 0; i < 10'000; ++i) ASSERT_EQ(store->lookup(key_of(i), "", {}) != nullptr, i % 3 != 0) << i;
  EXPECT_EQ(store->purge_prefix("http://h/a/"), 0u);
  // Eviction reaches every key that is left (no cursor stays behind).
  store->set_limits({.max_size = 1});
  EXPECT_EQ(store->stats().keys, 0u);
  EXPECT_EQ(store->stats().bytes, 0u);
}

// Workers insert (evicting, so the cursor is often the LRU's tail), look
// up and invalidate while a prefix purge walks the shard: every matching
// key stored before the purge is gone when it returns.
TEST(CacheStoreTest, APrefixPurgeRemovesWhatWasStoredBeforeItWhileWorkersChurn) {
  const auto body = response(std::string(200, 'x'));
  auto store = one_shard((body->charge() + 32) * 4'000);
  for (int i = 0; i < 3'000; ++i) store->insert("http://h/old/" + std::to_string(i), body);
  std::atomic<bool> stop{false};
  std::thread worker([&] {
    for (int i = 0; !stop.load(); ++i) {
      const std::string key = std::string(i % 2 == 0 ? "http://h/old/new-" : "http://h/other/") + std::to_string(i);
      store->insert(key, body);
      (void)store->lookup("http://h/old/" + std::to_string(i % 3'000), "", {});
      if (i % 7 == 0) store->invalidate("http://h/other/" + std::to_string(i - 1));
    }
  });
  const std::size_t purged = store->purge_prefix("http://h/old/");
  stop = true;
  worker.join();
  EXPECT_GT(purged, 0u);
  for (int i = 0; i < 3'000; ++i) ASSERT_EQ(store->lookup("http://h/old/" + std::to_string(i), "", {}), nullptr) << i;
  EXPECT_LE(store->stats().bytes, store->limits().max_size);
}

// A full store's churn (each new key evicts an old one) keeps its index
// between a quarter and a half full: Boost's table, filled to its own
// maximum load, rebuilt itself whole every few hundred thousand such fills
// (its anti-drift rule), a pause proportional to the store.
TEST(CacheStoreTest, AFullStoresChurnKeepsItsIndexAtMostHalfFull) {
  auto store = one_shard(std::size_t{1} << 20);
  const auto body = response("x");
  std::size_t grew = 0;
  std::size_t slots = 0;
  for (int i = 0; i < 40'000; ++i) {
    ASSERT_EQ(store->insert("http://example.test/churn/" + std::to_string(i), body), InsertResult::kStored);
    const StoreStats stats = store->stats();
    ASSERT_LE(2 * stats.keys, stats.index_slots) << i;
    if (stats.keys > 64) ASSERT_GE(4 * stats.keys, stats.index_slots) << i;
    if (stats.index_slots != slots) ++grew;
    slots = stats.index_slots;
  }
  const StoreStats stats = store->stats();
  EXPECT_GT(stats.evictions, 30'000u);  // it was full, and churned
  EXPECT_LT(grew, 16u);                 // it doubled while it filled, not since
}

// make_entry() allocates the header section with the entry, one block, and
// charges it as much as a separately allocated one; a copy owns its own.
TEST(CacheFillTest, AnEntryHoldsItsHeaderSectionInItsOwnBlock) {
  const http::HeaderMap response = fields(
      {{"Content-Type", "text/plain"}, {"Connection", "close"}, {"ETag", "\"a\""}, {"X-Request-Id", "r-1"}});
  const CacheControl cc = response_cache_control(response);
  std::shared_ptr<StoredResponse> entry = make_entry(200, "OK", response, cc, {}, "", {t0(), t0()}, true);
  ASSERT_NE(entry, nullptr);
  EXPECT_FALSE(entry->headers.owns_storage());
  ASSERT_EQ(entry->headers.size(), 2u);  // Connection and the proxy's X-Request-Id are not stored
  EXPECT_EQ(entry->headers[0].name, "Content-Type");
  EXPECT_EQ(*entry->headers.find("etag"), "\"a\"");

  auto separate = std::make_shared<StoredResponse>();
  separate->reason = "OK";
  separate->headers = stored_headers(response, cc, true, "x-request-id");
  EXPECT_TRUE(separate->headers.owns_storage());
  // The same bytes, give or take malloc's rounding and the allocator kept
  // in the block.
  EXPECT_NEAR(static_cast<double>(entry->charge()), static_cast<double>(separate->charge()), 48.0);

  // A copy is charged for its own section only, like a copy of the other.
  const StoredResponse copy = *entry;
  EXPECT_TRUE(copy.headers.owns_storage());
  EXPECT_EQ(copy.headers[1].value, "\"a\"");
  EXPECT_EQ(copy.charge(), StoredResponse(*separate).charge());
}

}  // namespace
}  // namespace gatehouse::policies::cache
