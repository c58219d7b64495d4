// The algorithms with time driven by hand: exact admission counts at window
// and refill boundaries, bursts, and the sliding window's weighting.

#include <chrono>

#include <gtest/gtest.h>

#include "policies/rate_limit/algorithms.h"

namespace gatehouse::policies::rate_limit {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A day boundary, hence a boundary of every window a test uses.
const TimePoint kT0 = TimePoint(std::chrono::days(10));

LimitSpec limit_spec(Algorithm algorithm, std::uint64_t quota, Nanos window, std::uint64_t burst = 0) {
  LimitSpec s;
  s.algorithm = algorithm;
  s.quota = quota;
  s.window = window;
  s.burst = burst == 0 ? quota : burst;
  return s;
}

// How many of `n` requests at `now` are admitted.
int admit(const LimitSpec& s, LimitState& state, TimePoint now, int n) {
  int admitted = 0;
  for (int i = 0; i < n; ++i) admitted += evaluate(s, state, now, true).allowed ? 1 : 0;
  return admitted;
}

TEST(RateLimitTokenBucketTest, AdmitsTheCapacityThenOneRequestPerInterval) {
  const LimitSpec s = limit_spec(Algorithm::kTokenBucket, 10, seconds(1));
  LimitState state;
  for (std::uint64_t i = 0; i < 10; ++i) {
    Decision d = evaluate(s, state, kT0, true);
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.limit, 10u);
    EXPECT_EQ(d.remaining, 9 - i);
    EXPECT_EQ(d.reset, milliseconds(100) * static_cast<int>(i + 1));  // until full again
  }
  Decision denied = evaluate(s, state, kT0, true);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.remaining, 0u);
  EXPECT_EQ(denied.retry_after, milliseconds(100));
  // One token back exactly one interval later, not a nanosecond before.
  EXPECT_FALSE(evaluate(s, state, kT0 + milliseconds(100) - Nanos(1), true).allowed);
  EXPECT_EQ(admit(s, state, kT0 + milliseconds(100), 5), 1);
  EXPECT_EQ(admit(s, state, kT0 + milliseconds(350), 5), 2);
}

TEST(RateLimitTokenBucketTest, BurstIsTheCapacityAndRefillNeverExceedsIt) {
  const LimitSpec s = limit_spec(Algorithm::kTokenBucket, 1, seconds(1), 5);  // 1/s, bursts of 5
  EXPECT_EQ(s.advertised_quota(), 5u);
  EXPECT_EQ(s.advertised_window(), seconds(5));
  LimitState state;
  EXPECT_EQ(admit(s, state, kT0, 10), 5);
  EXPECT_EQ(admit(s, state, kT0 + seconds(1), 10), 1);
  // A long idle period refills to the capacity, no more.
  EXPECT_EQ(admit(s, state, kT0 + std::chrono::hours(1), 10), 5);
}

TEST(RateLimitTokenBucketTest, ACheckWithoutCommitConsumesNothing) {
  const LimitSpec s = limit_spec(Algorithm::kTokenBucket, 2, seconds(1));
  LimitState state;
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(evaluate(s, state, kT0, false).allowed);
  EXPECT_EQ(admit(s, state, kT0, 5), 2);
}

TEST(RateLimitTokenBucketTest, ToleranceQueuesRequestsOneIntervalApart) {
  // Delay mode: 10/s without burst, up to 300ms of waiting.
  const LimitSpec s = limit_spec(Algorithm::kTokenBucket, 10, seconds(1), 1);
  LimitState state;
  const Nanos tolerance = milliseconds(300);
  for (int i = 0; i < 4; ++i) {
    Decision d = evaluate(s, state, kT0, true, tolerance);
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.delay, milliseconds(100) * i);
  }
  Decision full = evaluate(s, state, kT0, true, tolerance);
  EXPECT_FALSE(full.allowed);
  EXPECT_EQ(full.retry_after, milliseconds(400));  // until one would pass without waiting
  // The queue drains at the rate: 100ms later one more may wait 300ms.
  Decision later = evaluate(s, state, kT0 + milliseconds(100), true, tolerance);
  EXPECT_TRUE(later.allowed);
  EXPECT_EQ(later.delay, milliseconds(300));
}

TEST(RateLimitTokenBucketTest, EmissionIntervalIsRoundedToTheNanosecond) {
  EXPECT_EQ(limit_spec(Algorithm::kTokenBucket, 3, seconds(1)).emission_interval(), Nanos(333'333'333));
  EXPECT_EQ(limit_spec(Algorithm::kTokenBucket, 1000, std::chrono::hours(1)).emission_interval(), milliseconds(3600));
}

TEST(RateLimitFixedWindowTest, AdmitsTheQuotaPerWindowAndResetsAtTheBoundary) {
  const LimitSpec s = limit_spec(Algorithm::kFixedWindow, 3, seconds(1));
  LimitState state;
  Decision first = evaluate(s, state, kT0 + milliseconds(200), true);
  EXPECT_TRUE(first.allowed);
  EXPECT_EQ(first.remaining, 2u);
  EXPECT_EQ(first.reset, milliseconds(800));
  EXPECT_EQ(admit(s, state, kT0 + milliseconds(200), 5), 2);
  Decision denied = evaluate(s, state, kT0 + milliseconds(999), true);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after, milliseconds(1));
  EXPECT_EQ(admit(s, state, kT0 + seconds(1), 5), 3);   // new window: the full quota
  EXPECT_EQ(admit(s, state, kT0 + seconds(5), 5), 3);   // windows skipped: still just the quota
}

TEST(RateLimitSlidingWindowTest, WeighsThePreviousWindowByItsRemainingOverlap) {
  const LimitSpec s = limit_spec(Algorithm::kSlidingWindow, 10, seconds(1));
  LimitState state;
  EXPECT_EQ(admit(s, state, kT0 + milliseconds(500), 20), 10);
  // 250ms into the next window the previous one still weighs 10 x 0.75 =
  // 7.5, so 2 requests fit (7.5 + 2 <= 10) and a third does not.
  Decision first = evaluate(s, state, kT0 + milliseconds(1250), true);
  EXPECT_TRUE(first.allowed);
  EXPECT_EQ(first.remaining, 1u);  // floor(10 - 7.5 - 1)
  EXPECT_TRUE(evaluate(s, state, kT0 + milliseconds(1250), true).allowed);
  Decision denied = evaluate(s, state, kT0 + milliseconds(1250), true);
  EXPECT_FALSE(denied.allowed);
  // The third fits once the previous window weighs 7: at 300ms.
  EXPECT_EQ(denied.retry_after, milliseconds(50));
  EXPECT_FALSE(evaluate(s, state, kT0 + milliseconds(1300) - Nanos(1), true).allowed);
  EXPECT_TRUE(evaluate(s, state, kT0 + milliseconds(1300), true).allowed);
}

TEST(RateLimitSlidingWindowTest, AFullCurrentWindowWaitsForItToFade) {
  const LimitSpec s = limit_spec(Algorithm::kSlidingWindow, 4, seconds(1));
  LimitState state;
  EXPECT_EQ(admit(s, state, kT0, 4), 4);
  Decision denied = evaluate(s, state, kT0 + milliseconds(100), true);
  EXPECT_FALSE(denied.allowed);
  // Next window: 4 x (1 - e) + 1 <= 4 from e = 250ms, i.e. 900ms + 250ms.
  EXPECT_EQ(denied.retry_after, milliseconds(1150));
  EXPECT_FALSE(evaluate(s, state, kT0 + milliseconds(1250) - Nanos(1), true).allowed);
  EXPECT_TRUE(evaluate(s, state, kT0 + milliseconds(1250), true).allowed);
}

TEST(RateLimitSlidingWindowTest, AWindowSkippedEntirelyForgetsThePast) {
  const LimitSpec s = limit_spec(Algorithm::kSlidingWindow, 5, seconds(1));
  LimitState state;
  EXPECT_EQ(admit(s, state, kT0 + milliseconds(900), 5), 5);
  EXPECT_EQ(admit(s, state, kT0 + milliseconds(2100), 10), 5);
}

TEST(RateLimitAlgorithmTest, ALateArrivalWithAnOlderTimeCountsInTheNewerWindow) {
  // Workers read the clock before taking the lock: a request may reach the
  // state with a time just before the last update's. It must not roll the
  // window back and forget the count.
  for (Algorithm algorithm : {Algorithm::kFixedWindow, Algorithm::kSlidingWindow}) {
    const LimitSpec s = limit_spec(algorithm, 2, seconds(1));
    LimitState state;
    EXPECT_EQ(admit(s, state, kT0 + seconds(1), 2), 2);
    EXPECT_FALSE(evaluate(s, state, kT0 + milliseconds(999), true).allowed) << static_cast<int>(algorithm);
  }
  const LimitSpec bucket = limit_spec(Algorithm::kTokenBucket, 2, seconds(1));
  LimitState state;
  EXPECT_EQ(admit(bucket, state, kT0 + seconds(1), 2), 2);
  EXPECT_FALSE(evaluate(bucket, state, kT0 + milliseconds(999), true).allowed);
}

TEST(RateLimitAlgorithmTest, IdleStatesAreThoseEquivalentToFresh) {
  const LimitSpec bucket = limit_spec(Algorithm::kTokenBucket, 10, seconds(1));
  LimitState b;
  EXPECT_EQ(admit(bucket, b, kT0, 3), 3);
  EXPECT_FALSE(is_idle(bucket, b, kT0 + milliseconds(299)));
  EXPECT_TRUE(is_idle(bucket, b, kT0 + milliseconds(300)));

  const LimitSpec fixed = limit_spec(Algorithm::kFixedWindow, 10, seconds(1));
  LimitState f;
  EXPECT_EQ(admit(fixed, f, kT0, 1), 1);
  EXPECT_FALSE(is_idle(fixed, f, kT0 + milliseconds(999)));
  EXPECT_TRUE(is_idle(fixed, f, kT0 + seconds(1)));

  const LimitSpec sliding = limit_spec(Algorithm::kSlidingWindow, 10, seconds(1));
  LimitState w;
  EXPECT_EQ(admit(sliding, w, kT0, 1), 1);
  EXPECT_FALSE(is_idle(sliding, w, kT0 + milliseconds(1999)));  // still weighs in the next window
  EXPECT_TRUE(is_idle(sliding, w, kT0 + seconds(2)));
}

}  // namespace
}  // namespace gatehouse::policies::rate_limit
