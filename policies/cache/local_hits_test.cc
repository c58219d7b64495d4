// A worker's kept hits (local_hits.h), seen through CacheStore::lookup: a
// GET's repeated exact hit is answered from the thread's own slot, and
// never with anything the store would not answer with at that moment.

#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "policies/cache/cache_store.h"
#include "policies/cache/cache_test_support.h"
#include "policies/cache/local_hits.h"
#include "policies/cache/stored_response.h"

namespace gatehouse::policies::cache {
namespace {

using test_support::fields;
using test_support::one_shard;
using test_support::response;

// Whether `a` is owned through `b`'s control block: a kept hit is owned
// through its thread's slot, not through the store's reference.
bool same_owner(const std::shared_ptr<const StoredResponse>& a, const std::shared_ptr<const StoredResponse>& b) {
  return !a.owner_before(b) && !b.owner_before(a);
}

// Two lookups in a row keep the key; from the second on, the thread is
// answered through its own owner, with the very response the store holds.
TEST(LocalHitsTest, ASecondHitInARowIsKeptAndAnsweredThroughTheThreadsOwnOwner) {
  CacheStore store;
  auto r = response("hello");
  store.insert("k", r);
  auto first = store.lookup("k", "", {});
  EXPECT_TRUE(same_owner(first, r));
  auto second = store.lookup("k", "", {});
  auto third = store.lookup("k", "", {});
  EXPECT_EQ(second, r);
  EXPECT_EQ(third, r);
  EXPECT_FALSE(same_owner(third, r));
  EXPECT_TRUE(same_owner(second, third));
  EXPECT_EQ(third->body(), "hello");
}

std::shared_ptr<const StoredResponse> keep(CacheStore& store, std::string_view key, const http::HeaderMap& request = {}) {
  store.lookup(key, "", request);
  return store.lookup(key, "", request);
}

// Whatever takes the response out of the store ends its kept hits at once.
TEST(LocalHitsTest, AKeptHitEndsWhenTheResponseLeavesTheStore) {
  CacheStore store;
  store.insert("k", response("a"));
  ASSERT_NE(keep(store, "k"), nullptr);
  store.invalidate("k");
  EXPECT_EQ(store.lookup("k", "", {}), nullptr);

  store.insert("k", response("b"));
  ASSERT_NE(keep(store, "k"), nullptr);
  store.purge_prefix("k");
  EXPECT_EQ(store.lookup("k", "", {}), nullptr);

  store.insert("k", response("c"));
  ASSERT_NE(keep(store, "k"), nullptr);
  store.purge_all();
  EXPECT_EQ(store.lookup("k", "", {}), nullptr);

  auto small = one_shard(response(std::string(1'000, 'x'))->charge() + 2);
  small->insert("k1", response(std::string(1'000, 'x')));
  ASSERT_NE(keep(*small, "k1"), nullptr);
  small->set_limits({.max_size = 10});
  EXPECT_EQ(small->lookup("k1", "", {}), nullptr);
}

// A refill, a 304's refreshed copy or a newer variant of the key: the next
// lookup answers as the store does.
TEST(LocalHitsTest, AKeptHitGivesWayToWhatReplacesOrOutranksIt) {
  CacheStore store;
  auto old_one = response("old");
  store.insert("k", old_one);
  ASSERT_EQ(keep(store, "k"), old_one);
  auto refill = response("refill");
  store.insert("k", refill);
  EXPECT_EQ(store.lookup("k", "", {}), refill);

  ASSERT_EQ(keep(store, "k"), refill);
  auto refreshed_copy = std::make_shared<StoredResponse>(*refill);
  ASSERT_TRUE(store.replace("k", refill, refreshed_copy));
  EXPECT_EQ(store.lookup("k", "", {}), refreshed_copy);

  // Both match a request with A: 1; the newer (another Vary) wins.
  ASSERT_EQ(keep(store, "k", fields({{"A", "1"}})), refreshed_copy);
  auto varied = response("varied", fields({{"A", "1"}}), fields({{"Vary", "A"}}));
  store.insert("k", varied);
  EXPECT_EQ(store.lookup("k", "", fields({{"A", "1"}})), varied);
}

// A kept hit answers only requests the store would answer with it.
TEST(LocalHitsTest, AKeptHitAnswersOnlyMatchingGetRequests) {
  CacheStore store;
  http::HeaderMap vary = fields({{"Vary", "Accept-Language"}});
  auto en = response("en", fields({{"Accept-Language", "en"}}), vary);
  store.insert("k", en);
  ASSERT_EQ(keep(store, "k", fields({{"Accept-Language", "en"}})), en);
  EXPECT_EQ(store.lookup("k", "", fields({{"Accept-Language", "de"}})), nullptr);
  EXPECT_EQ(store.lookup("k", "x-tenant: b\n", fields({{"Accept-Language", "en"}})), nullptr);
  EXPECT_EQ(store.lookup("k", "", fields({{"Accept-Language", "en"}})), en);

  // A HEAD request asks the store: a newer HEAD-filled variant answers it.
  auto head = std::make_shared<StoredResponse>(*response("", fields({{"Accept-Language", "en"}}), vary));
  head->head_only = true;
  store.insert("k", head);
  EXPECT_EQ(store.lookup("k", "", fields({{"Accept-Language", "en"}}), /*head_request=*/true), head);
  EXPECT_EQ(store.lookup("k", "", fields({{"Accept-Language", "en"}})), en);
}

// Another store (a test's, or after the last policy using one went) never
// answers with this one's kept hits, even for the same key.
TEST(LocalHitsTest, KeptHitsBelongToTheirStore) {
  auto first = std::make_unique<CacheStore>();
  first->insert("k", response("first"));
  ASSERT_NE(keep(*first, "k"), nullptr);
  CacheStore second;
  EXPECT_EQ(second.lookup("k", "", {}), nullptr);
  first.reset();
  CacheStore third;
  EXPECT_EQ(third.lookup("k", "", {}), nullptr);
}

// A response that left the store is released by the thread's next lookups
// (one slot swept every kFindsPerSweep), however long its slot is not asked
// for again.
TEST(LocalHitsTest, AKeptHitOfAnEvictedResponseIsReleasedByLaterLookups) {
  CacheStore store;
  std::weak_ptr<const StoredResponse> watch;
  {
    auto r = response("soon gone");
    watch = r;
    store.insert("k", r);
  }
  ASSERT_NE(keep(store, "k"), nullptr);
  store.invalidate("k");
  EXPECT_FALSE(watch.expired());  // the slot still holds it
  for (std::size_t i = 0; i < LocalHits::kSlots * LocalHits::kFindsPerSweep; ++i) {
    store.lookup("other" + std::to_string(i), "", {});
  }
  EXPECT_TRUE(watch.expired());
}

// Large responses are not kept: their hits cost what sending them costs.
TEST(LocalHitsTest, LargeResponsesAreNotKept) {
  CacheStore store;
  auto big = response(std::string(LocalHits::kMaxCharge, 'x'));
  store.insert("k", big);
  keep(store, "k");
  EXPECT_TRUE(same_owner(store.lookup("k", "", {}), big));
}

// Kept hits are the thread's own: another thread's first lookups go to the
// store, and an invalidation by another thread ends this one's kept hit.
TEST(LocalHitsTest, EachThreadKeepsItsOwnAndSeesAnotherThreadsInvalidation) {
  CacheStore store;
  auto r = response("shared");
  store.insert("k", r);
  ASSERT_FALSE(same_owner(keep(store, "k"), r));
  std::shared_ptr<const StoredResponse> other_first;
  std::thread([&] {
    other_first = store.lookup("k", "", {});
    store.invalidate("k");
  }).join();
  EXPECT_TRUE(same_owner(other_first, r));
  EXPECT_EQ(store.lookup("k", "", {}), nullptr);
}

}  // namespace
}  // namespace gatehouse::policies::cache
