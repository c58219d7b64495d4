// Freshness lifetime, age and the reuse decision: RFC 9111 §4.2, §4.2.4,
// §5.2.1, RFC 5861.

#include <gtest/gtest.h>

#include "policies/cache/cache_test_support.h"
#include "policies/cache/freshness.h"

namespace gatehouse::policies::cache {
namespace {

using test_support::fields;
using test_support::t0;

const char* const kDate = "Sun, 06 Nov 1994 08:49:37 GMT";  // t0()

Lifetime lifetime_of(const http::HeaderMap& h, int status = 200, FreshnessOptions options = {}) {
  return freshness_lifetime(status, h, response_cache_control(h), t0(), options);
}

// §4.2.1: s-maxage wins for a shared cache, over max-age and Expires.
TEST(FreshnessLifetimeTest, SMaxageWinsForASharedCache) {
  http::HeaderMap h = fields({{"Cache-Control", "max-age=100, s-maxage=10"}, {"Date", kDate},
                              {"Expires", "Sun, 06 Nov 1994 09:49:37 GMT"}});
  Lifetime l = lifetime_of(h);
  EXPECT_EQ(l.value.count(), 10);
  EXPECT_EQ(l.source, LifetimeSource::kSMaxage);
  EXPECT_EQ(lifetime_of(h, 200, {.shared = false}).value.count(), 100);
}

TEST(FreshnessLifetimeTest, MaxAgeWinsOverExpires) {
  http::HeaderMap h = fields({{"Cache-Control", "max-age=100"}, {"Date", kDate}, {"Expires", "0"}});
  EXPECT_EQ(lifetime_of(h).value.count(), 100);
  EXPECT_EQ(lifetime_of(h).source, LifetimeSource::kMaxAge);
}

// §4.2.1: invalid freshness information → stale (lifetime 0).
TEST(FreshnessLifetimeTest, InvalidMaxAgeMeansStale) {
  http::HeaderMap h = fields({{"Cache-Control", "max-age=abc"}, {"Date", kDate},
                              {"Expires", "Sun, 06 Nov 1994 09:49:37 GMT"}});
  EXPECT_EQ(lifetime_of(h).value.count(), 0);
  EXPECT_EQ(lifetime_of(h).source, LifetimeSource::kMaxAge);
}

TEST(FreshnessLifetimeTest, InvalidSMaxageMeansStale) {
  http::HeaderMap h = fields({{"Cache-Control", "s-maxage=-5, max-age=100"}});
  EXPECT_EQ(lifetime_of(h).value.count(), 0);
}

TEST(FreshnessLifetimeTest, ExpiresMinusDate) {
  http::HeaderMap h = fields({{"Date", kDate}, {"Expires", "Sun, 06 Nov 1994 09:49:37 GMT"}});
  EXPECT_EQ(lifetime_of(h).value.count(), 3600);
  EXPECT_EQ(lifetime_of(h).source, LifetimeSource::kExpires);
}

// No Date: the time the response was received stands in (RFC 9110 §6.6.1).
TEST(FreshnessLifetimeTest, ExpiresWithoutDateUsesResponseTime) {
  http::HeaderMap h = fields({{"Expires", "Sun, 06 Nov 1994 08:50:37 GMT"}});
  EXPECT_EQ(freshness_lifetime(200, h, {}, t0(), {}).value.count(), 60);
}

// §5.3: Expires "0" or any invalid date: already expired.
TEST(FreshnessLifetimeTest, InvalidExpiresMeansExpired) {
  EXPECT_EQ(lifetime_of(fields({{"Date", kDate}, {"Expires", "0"}})).value.count(), 0);
  // ... and no heuristic either: an explicit expiration is present (§4.2.2).
  EXPECT_EQ(lifetime_of(fields({{"Date", kDate}, {"Expires", "0"}, {"Last-Modified", "Sat, 06 Nov 1993 08:49:37 GMT"}}))
                .value.count(),
            0);
}

TEST(FreshnessLifetimeTest, ExpiresBeforeDateIsZero) {
  EXPECT_EQ(lifetime_of(fields({{"Date", kDate}, {"Expires", "Sat, 05 Nov 1994 08:49:37 GMT"}})).value.count(), 0);
}

// §4.2.2: 10% of Date − Last-Modified for heuristically cacheable statuses.
TEST(FreshnessLifetimeTest, HeuristicIsAFractionOfTheAge) {
  http::HeaderMap h = fields({{"Date", kDate}, {"Last-Modified", "Wed, 27 Oct 1994 08:49:37 GMT"}});  // 10 days
  Lifetime l = lifetime_of(h);
  EXPECT_EQ(l.value.count(), 86400);
  EXPECT_EQ(l.source, LifetimeSource::kHeuristic);
  EXPECT_EQ(lifetime_of(h, 200, {.heuristic_fraction = 0.5}).value.count(), 5 * 86400);
  EXPECT_EQ(lifetime_of(h, 200, {.heuristic_max = Seconds{60}}).value.count(), 60);
  EXPECT_EQ(lifetime_of(h, 200, {.heuristic_fraction = 0}).value.count(), 0);
}

TEST(FreshnessLifetimeTest, HeuristicOnlyForHeuristicallyCacheableStatusOrPublic) {
  http::HeaderMap h = fields({{"Date", kDate}, {"Last-Modified", "Wed, 27 Oct 1994 08:49:37 GMT"}});
  EXPECT_EQ(lifetime_of(h, 302).value.count(), 0);
  EXPECT_EQ(lifetime_of(h, 404).value.count(), 86400);
  http::HeaderMap pub = fields({{"Date", kDate}, {"Last-Modified", "Wed, 27 Oct 1994 08:49:37 GMT"},
                                {"Cache-Control", "public"}});
  EXPECT_EQ(lifetime_of(pub, 302).value.count(), 86400);
}

TEST(FreshnessLifetimeTest, NoHeuristicWithoutValidLastModified) {
  EXPECT_EQ(lifetime_of(fields({{"Date", kDate}})).source, LifetimeSource::kNone);
  EXPECT_EQ(lifetime_of(fields({{"Date", kDate}, {"Last-Modified", "garbage"}})).value.count(), 0);
  // Last-Modified in the future of Date: no heuristic.
  EXPECT_EQ(lifetime_of(fields({{"Date", kDate}, {"Last-Modified", "Mon, 07 Nov 1994 08:49:37 GMT"}})).value.count(), 0);
}

TEST(FreshnessLifetimeTest, HeuristicallyCacheableStatuses) {
  for (int s : {200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501}) EXPECT_TRUE(is_heuristically_cacheable(s)) << s;
  for (int s : {201, 302, 303, 307, 400, 403, 500, 502, 503}) EXPECT_FALSE(is_heuristically_cacheable(s)) << s;
}

// §5.1: Age is delta-seconds; a list uses its first member; invalid is ignored.
TEST(AgeTest, AgeValueParsing) {
  EXPECT_EQ(age_value(fields({{"Age", "30"}})).count(), 30);
  EXPECT_EQ(age_value(fields({{"Age", "30, 40"}})).count(), 30);
  EXPECT_EQ(age_value(fields({{"Age", "-3"}})).count(), 0);
  EXPECT_EQ(age_value(fields({{"Age", "abc"}})).count(), 0);
  EXPECT_EQ(age_value(fields({})).count(), 0);
  EXPECT_EQ(age_value(fields({{"Age", "99999999999999"}})).count(), 2147483648);
}

// §4.2.3 worked through: corrected_initial_age = max(apparent, age + delay).
TEST(AgeTest, CurrentAgeFollowsTheFormula) {
  ResponseTiming timing{.request_time = t0(-2), .response_time = t0()};
  // Date 10s before the response arrived, Age 3: apparent 10 > 3 + 2.
  http::HeaderMap h = fields({{"Date", "Sun, 06 Nov 1994 08:49:27 GMT"}, {"Age", "3"}});
  EXPECT_EQ(current_age(h, timing, t0()).count(), 10);
  EXPECT_EQ(current_age(h, timing, t0(5)).count(), 15);
  // Age 30 dominates: 30 + 2 delay.
  h = fields({{"Date", kDate}, {"Age", "30"}});
  EXPECT_EQ(current_age(h, timing, t0(1)).count(), 33);
}

// A Date after the response time gives no negative apparent age.
TEST(AgeTest, DateInTheFutureCountsAsZero) {
  ResponseTiming timing{.request_time = t0(), .response_time = t0()};
  EXPECT_EQ(current_age(fields({{"Date", "Sun, 06 Nov 1994 09:49:37 GMT"}}), timing, t0(4)).count(), 4);
}

// No Date (or invalid): date_value is the response time.
TEST(AgeTest, MissingDateUsesResponseTime) {
  ResponseTiming timing{.request_time = t0(-1), .response_time = t0()};
  EXPECT_EQ(current_age(fields({}), timing, t0(10)).count(), 11);
  EXPECT_EQ(current_age(fields({{"Date", "bad"}}), timing, t0(10)).count(), 11);
}

// A clock that steps back gives no negative resident time.
TEST(AgeTest, NowBeforeResponseTimeIsZeroResident) {
  ResponseTiming timing{.request_time = t0(), .response_time = t0()};
  EXPECT_EQ(current_age(fields({{"Date", kDate}}), timing, t0(-100)).count(), 0);
}

TEST(AgeTest, OverflowClampsTo2Pow31) {
  ResponseTiming timing{.request_time = t0(-1000), .response_time = t0()};
  EXPECT_EQ(current_age(fields({{"Age", "2147483648"}}), timing, t0(1000)).count(), 2147483648);
}

// What a lookup reads of a stored entry, computed once: the same lifetime,
// age and validator as the functions on the fields give; the first line of a
// repeated Date or Age counts, as HeaderMap::find's would.
TEST(AgeTest, StoredFreshnessIsWhatTheFieldsGive) {
  const ResponseTiming timing{.request_time = t0(-2), .response_time = t0()};
  const http::HeaderMap h = fields({{"Content-Type", "text/plain"},
                                    {"Date", "Sun, 06 Nov 1994 08:49:27 GMT"},
                                    {"age", "3"},
                                    {"Expires", "Sun, 06 Nov 1994 08:50:27 GMT"},
                                    {"DATE", "Sun, 06 Nov 1994 08:00:00 GMT"},
                                    {"Age", "900"},
                                    {"Last-Modified", "Sun, 06 Nov 1994 08:00:00 GMT"}});
  const StoredFreshness stored = stored_freshness(200, h, response_cache_control(h), timing, FreshnessOptions{});
  EXPECT_EQ(stored.lifetime.source, LifetimeSource::kExpires);
  EXPECT_EQ(stored.lifetime.value.count(), 60);
  EXPECT_EQ(stored.initial_age.count(), 10);
  EXPECT_EQ(current_age(stored.initial_age, timing, t0(5)).count(), current_age(h, timing, t0(5)).count());
  EXPECT_TRUE(stored.has_validator);
  EXPECT_FALSE(stored_freshness(200, fields({{"Date", kDate}}), {}, timing, FreshnessOptions{}).has_validator);
  EXPECT_TRUE(stored_freshness(200, fields({{"ETag", "\"x\""}}), {}, timing, FreshnessOptions{}).has_validator);
}

// Decision helpers.
struct Case {
  std::string response_cc;
  long lifetime;
  long age;
  std::string request_cc;
  bool has_validator = true;
};

ReuseDecision decide(const Case& c, FreshnessOptions options = {}) {
  CacheControl res = parse_cache_control(c.response_cc);
  CacheControl req = parse_cache_control(c.request_cc);
  return decide_reuse({.response_cc = res,
                       .lifetime = {Seconds{c.lifetime}, LifetimeSource::kMaxAge},
                       .age = Seconds{c.age},
                       .request_cc = req,
                       .has_validator = c.has_validator},
                      options);
}

ReuseAction action(const Case& c, FreshnessOptions options = {}) { return decide(c, options).action; }

TEST(ReuseDecisionTest, FreshIsServedWithTtl) {
  ReuseDecision d = decide({"max-age=60", 60, 18, ""});
  EXPECT_EQ(d.action, ReuseAction::kServeFresh);
  EXPECT_EQ(d.age.count(), 18);
  EXPECT_EQ(d.ttl.count(), 42);
}

// Fresh means lifetime > age: equal is stale (§4.2).
TEST(ReuseDecisionTest, AgeEqualToLifetimeIsStale) {
  EXPECT_EQ(action({"", 60, 60, ""}), ReuseAction::kRevalidate);
  EXPECT_EQ(decide({"", 60, 70, ""}).ttl.count(), -10);
}

TEST(ReuseDecisionTest, StaleWithoutValidatorIsForwarded) {
  EXPECT_EQ(action({"", 60, 61, "", false}), ReuseAction::kForward);
}

// §5.2.1.4 and §5.4.
TEST(ReuseDecisionTest, RequestNoCacheRevalidatesFresh) {
  EXPECT_EQ(action({"max-age=60", 60, 1, "no-cache"}), ReuseAction::kRevalidate);
}

// §5.2.2.4: unqualified response no-cache: always revalidate.
TEST(ReuseDecisionTest, ResponseNoCacheRevalidatesFresh) {
  EXPECT_EQ(action({"no-cache, max-age=60", 60, 1, ""}), ReuseAction::kRevalidate);
  // The qualified form is honoured at storage (fields dropped): reusable.
  EXPECT_EQ(action({"no-cache=\"x-a\", max-age=60", 60, 1, ""}), ReuseAction::kServeFresh);
}

// §5.2.1.1.
TEST(ReuseDecisionTest, RequestMaxAge) {
  EXPECT_EQ(action({"", 600, 30, "max-age=60"}), ReuseAction::kServeFresh);
  EXPECT_EQ(action({"", 600, 60, "max-age=60"}), ReuseAction::kServeFresh);
  EXPECT_EQ(action({"", 600, 61, "max-age=60"}), ReuseAction::kRevalidate);
  EXPECT_EQ(action({"", 600, 1, "max-age=0"}), ReuseAction::kRevalidate);
  // An invalid value: conservatively, the stored response is not acceptable.
  EXPECT_EQ(action({"", 600, 1, "max-age=x"}), ReuseAction::kRevalidate);
}

// §5.2.1.3.
TEST(ReuseDecisionTest, RequestMinFresh) {
  EXPECT_EQ(action({"", 100, 50, "min-fresh=50"}), ReuseAction::kServeFresh);
  EXPECT_EQ(action({"", 100, 50, "min-fresh=51"}), ReuseAction::kRevalidate);
  EXPECT_EQ(action({"", 100, 50, "min-fresh"}), ReuseAction::kRevalidate);
}

// §5.2.1.2.
TEST(ReuseDecisionTest, RequestMaxStale) {
  EXPECT_EQ(action({"", 60, 1000, "max-stale"}), ReuseAction::kServeStale);
  EXPECT_EQ(action({"", 60, 90, "max-stale=30"}), ReuseAction::kServeStale);
  EXPECT_EQ(action({"", 60, 91, "max-stale=30"}), ReuseAction::kRevalidate);
  EXPECT_EQ(action({"", 60, 61, "max-stale=x"}), ReuseAction::kRevalidate);
}

// §4.2.4 and §5.2.2.2: must-revalidate forbids stale use, max-stale included.
TEST(ReuseDecisionTest, MustRevalidateBeatsMaxStale) {
  EXPECT_EQ(action({"must-revalidate", 60, 61, "max-stale"}), ReuseAction::kRevalidate);
  EXPECT_EQ(action({"must-revalidate", 60, 59, ""}), ReuseAction::kServeFresh);
}

// §5.2.2.8 and §5.2.2.10: proxy-revalidate and s-maxage bind shared caches only.
TEST(ReuseDecisionTest, ProxyRevalidateAndSMaxageBindSharedCaches) {
  EXPECT_EQ(action({"proxy-revalidate", 60, 61, "max-stale"}), ReuseAction::kRevalidate);
  EXPECT_EQ(action({"s-maxage=60", 60, 61, "max-stale"}), ReuseAction::kRevalidate);
  EXPECT_EQ(action({"proxy-revalidate", 60, 61, "max-stale"}, {.shared = false}), ReuseAction::kServeStale);
}

// RFC 5861 §3.
TEST(ReuseDecisionTest, StaleWhileRevalidateWindow) {
  EXPECT_EQ(action({"max-age=60, stale-while-revalidate=30", 60, 90, ""}), ReuseAction::kServeStaleWhileRevalidate);
  EXPECT_EQ(action({"max-age=60, stale-while-revalidate=30", 60, 91, ""}), ReuseAction::kRevalidate);
  EXPECT_EQ(action({"max-age=60, stale-while-revalidate=30, must-revalidate", 60, 70, ""}), ReuseAction::kRevalidate);
  EXPECT_EQ(action({"max-age=60, stale-while-revalidate=30", 60, 70, "no-cache"}), ReuseAction::kRevalidate);
}

// RFC 5861 §4: stale-if-error in the response or the request.
TEST(ReuseDecisionTest, StaleIfErrorWindow) {
  EXPECT_TRUE(decide({"max-age=60, stale-if-error=100", 60, 160, ""}).stale_if_error);
  EXPECT_FALSE(decide({"max-age=60, stale-if-error=100", 60, 161, ""}).stale_if_error);
  EXPECT_TRUE(decide({"max-age=60", 60, 100, "stale-if-error=50"}).stale_if_error);
  EXPECT_FALSE(decide({"max-age=60", 60, 100, ""}).stale_if_error);
  // Forbidden by directives that forbid stale use (§4.2.4).
  EXPECT_FALSE(decide({"max-age=60, stale-if-error=100, must-revalidate", 60, 100, ""}).stale_if_error);
  EXPECT_FALSE(decide({"s-maxage=60, stale-if-error=100", 60, 100, ""}).stale_if_error);
  EXPECT_FALSE(decide({"no-cache, stale-if-error=100", 60, 100, ""}).stale_if_error);
  EXPECT_FALSE(decide({"max-age=60, stale-if-error=100", 60, 100, "no-cache"}).stale_if_error);
}

// §5.2.1.7: only-if-cached never goes upstream.
TEST(ReuseDecisionTest, OnlyIfCachedAnswers504WhenNotUsable) {
  EXPECT_EQ(action({"", 60, 1, "only-if-cached"}), ReuseAction::kServeFresh);
  EXPECT_EQ(action({"", 60, 61, "only-if-cached"}), ReuseAction::kGatewayTimeout);
  EXPECT_EQ(action({"", 60, 61, "only-if-cached", false}), ReuseAction::kGatewayTimeout);
  EXPECT_EQ(action({"", 60, 61, "only-if-cached, max-stale"}), ReuseAction::kServeStale);
}

}  // namespace
}  // namespace gatehouse::policies::cache
