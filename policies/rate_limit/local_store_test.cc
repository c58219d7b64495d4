// The local store: all-or-nothing consumption across limits, exactness under
// concurrent workers, bounded keys, and tables found again by fingerprint.

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "policies/rate_limit/local_store.h"

namespace gatehouse::policies::rate_limit {
namespace {

using std::chrono::seconds;

const TimePoint kStoreT0 = TimePoint(std::chrono::days(10));

LimitSpec limit(Algorithm algorithm, std::uint64_t quota, Nanos window) {
  LimitSpec s;
  s.algorithm = algorithm;
  s.quota = quota;
  s.window = window;
  s.burst = quota;
  return s;
}

TEST(RateLimitStoreTest, ARequestConsumesFromEveryLimitOrFromNone) {
  // 2/s and 3 per 10s, both token buckets.
  auto counters = make_local_counters({.limits = {limit(Algorithm::kTokenBucket, 2, seconds(1)),
                                                  limit(Algorithm::kTokenBucket, 3, seconds(10))}});
  EXPECT_TRUE(counters->acquire("k", kStoreT0).allowed);
  Verdict second = counters->acquire("k", kStoreT0);
  ASSERT_TRUE(second.allowed);
  ASSERT_EQ(second.count, 2u);
  EXPECT_EQ(second.decisions[0].remaining, 0u);
  EXPECT_EQ(second.decisions[1].remaining, 1u);

  Verdict third = counters->acquire("k", kStoreT0);  // the 2/s limit says no
  EXPECT_FALSE(third.allowed);
  EXPECT_FALSE(third.decisions[0].allowed);
  EXPECT_TRUE(third.decisions[1].allowed);
  EXPECT_EQ(third.decisions[1].remaining, 1u);  // ...and the other limit kept its token

  Verdict later = counters->acquire("k", kStoreT0 + seconds(1));
  EXPECT_TRUE(later.allowed);
  EXPECT_EQ(later.decisions[1].remaining, 0u);
  Verdict blocked = counters->acquire("k", kStoreT0 + seconds(1));  // now the 3/10s limit says no
  EXPECT_FALSE(blocked.allowed);
  EXPECT_TRUE(blocked.decisions[0].allowed);
  EXPECT_FALSE(blocked.decisions[1].allowed);
}

TEST(RateLimitStoreTest, KeysAreCountedApart) {
  auto counters = make_local_counters({.limits = {limit(Algorithm::kFixedWindow, 1, seconds(60))}});
  EXPECT_TRUE(counters->acquire("a", kStoreT0).allowed);
  EXPECT_FALSE(counters->acquire("a", kStoreT0).allowed);
  EXPECT_TRUE(counters->acquire("b", kStoreT0).allowed);
}

TEST(RateLimitStoreTest, ThreadsHammeringOneKeyAdmitExactlyTheLimit) {
  for (Algorithm algorithm : {Algorithm::kTokenBucket, Algorithm::kSlidingWindow, Algorithm::kFixedWindow}) {
    auto counters = make_local_counters({.limits = {limit(algorithm, 1000, std::chrono::hours(1))}});
    std::atomic<int> admitted{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 500; ++i) {
          if (counters->acquire("hot", kStoreT0).allowed) admitted.fetch_add(1, std::memory_order_relaxed);
          // Other keys in between, so stripes see inserts and evictions too.
          counters->acquire("cold" + std::to_string(i % 50), kStoreT0);
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(admitted.load(), 1000) << static_cast<int>(algorithm);
  }
}

TEST(RateLimitStoreTest, MaxKeysEvictsTheLeastRecentlyUsedKey) {
  // One key at most: a second key pushes the first out, and it starts afresh.
  auto counters = make_local_counters({.limits = {limit(Algorithm::kFixedWindow, 1, seconds(60))}, .max_keys = 1});
  EXPECT_TRUE(counters->acquire("a", kStoreT0).allowed);
  EXPECT_FALSE(counters->acquire("a", kStoreT0).allowed);
  EXPECT_TRUE(counters->acquire("b", kStoreT0).allowed);
  EXPECT_TRUE(counters->acquire("a", kStoreT0).allowed);  // forgotten
  EXPECT_FALSE(counters->acquire("a", kStoreT0).allowed);
}

TEST(RateLimitStoreTest, TablesAreSharedByFingerprintWhileAPolicyHoldsThem) {
  LocalLimitStore store;
  const CounterTableSpec spec{.limits = {limit(Algorithm::kFixedWindow, 1, seconds(60))}};
  std::shared_ptr<LimitCounters> first = store.counters("route-a|1/60s", spec);
  EXPECT_TRUE(first->acquire("k", kStoreT0).allowed);
  // A reload rebuilding the same definition finds the same counters...
  std::shared_ptr<LimitCounters> same = store.counters("route-a|1/60s", spec);
  EXPECT_EQ(same, first);
  EXPECT_FALSE(same->acquire("k", kStoreT0).allowed);
  // ...a different definition does not.
  std::shared_ptr<LimitCounters> other = store.counters("route-a|2/60s", spec);
  EXPECT_NE(other, first);
  EXPECT_TRUE(other->acquire("k", kStoreT0).allowed);
  // Once no policy holds a table, it is gone.
  first.reset();
  same.reset();
  EXPECT_TRUE(store.counters("route-a|1/60s", spec)->acquire("k", kStoreT0).allowed);
}

}  // namespace
}  // namespace gatehouse::policies::rate_limit
