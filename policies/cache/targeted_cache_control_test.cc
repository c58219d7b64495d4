// Targeted cache control (RFC 9213): CDN-Cache-Control and its kin decide
// instead of Cache-Control and Expires when valid and non-empty.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "policies/cache/cache_control.h"
#include "policies/cache/cache_test_support.h"
#include "policies/cache/freshness.h"
#include "policies/cache/storability.h"

namespace gatehouse::policies::cache {
namespace {

using test_support::fields;

const std::vector<std::string> kCdn{"cdn-cache-control"};

TEST(TargetedCacheControlTest, DirectivesMapFromTheirDictionaryTypes) {
  std::optional<CacheControl> cc = targeted_cache_control(
      "max-age=600, s-maxage=60, stale-while-revalidate=5, stale-if-error=7, must-revalidate, public, "
      "no-cache=\"Set-Cookie, X-A\", private, no-store, immutable, foobar=?1");
  ASSERT_TRUE(cc.has_value());
  EXPECT_TRUE(cc->targeted);
  EXPECT_TRUE(cc->max_age.valid);
  EXPECT_EQ(cc->max_age.seconds, 600);
  EXPECT_EQ(cc->s_maxage.seconds, 60);
  EXPECT_EQ(cc->stale_while_revalidate.seconds, 5);
  EXPECT_EQ(cc->stale_if_error.seconds, 7);
  EXPECT_TRUE(cc->must_revalidate);
  EXPECT_TRUE(cc->is_public);
  EXPECT_TRUE(cc->no_cache);
  EXPECT_EQ(cc->no_cache_fields, (std::vector<std::string>{"set-cookie", "x-a"}));
  EXPECT_TRUE(cc->is_private);
  EXPECT_TRUE(cc->private_fields.empty());
  EXPECT_TRUE(cc->no_store);
  EXPECT_TRUE(cc->immutable);
}

TEST(TargetedCacheControlTest, ValuesOfTheWrongTypeAreNotConsumed) {
  // A string or decimal max-age, a no-store with a value, ?0: the field is
  // valid, those directives are not there.
  std::optional<CacheControl> cc =
      targeted_cache_control("max-age=\"10000\", s-maxage=1.5, no-store=1, public=?0, must-revalidate=tok");
  ASSERT_TRUE(cc.has_value());
  EXPECT_FALSE(cc->max_age.present);
  EXPECT_FALSE(cc->s_maxage.present);
  EXPECT_FALSE(cc->no_store);
  EXPECT_FALSE(cc->is_public);
  EXPECT_FALSE(cc->must_revalidate);
  EXPECT_FALSE(targeted_cache_control("max-age=-1")->max_age.present);
  // Above 2^31 clamps, as in Cache-Control.
  EXPECT_EQ(targeted_cache_control("max-age=99999999999")->max_age.seconds, 2147483648);
}

TEST(TargetedCacheControlTest, AnInvalidOrEmptyFieldIsIgnored) {
  EXPECT_FALSE(targeted_cache_control("max-age=10000, &&&&&"));
  EXPECT_FALSE(targeted_cache_control("MaX-aGe=3600"));
  EXPECT_FALSE(targeted_cache_control("max-age =100"));
  EXPECT_FALSE(targeted_cache_control(""));
  EXPECT_FALSE(targeted_cache_control("  "));
  // Not a registered directive, but a valid member: it still overrides.
  EXPECT_TRUE(targeted_cache_control("none"));
}

TEST(TargetedCacheControlTest, TheFirstValidTargetDecidesAndCacheControlIsIgnored) {
  const http::HeaderMap response = fields({{"Cache-Control", "no-store"},
                                           {"CDN-Cache-Control", "max-age=600"},
                                           {"Gatehouse-Cache-Control", "max-age=60"}});
  CacheControl cc = response_cache_control(response, kCdn);
  EXPECT_TRUE(cc.targeted);
  EXPECT_FALSE(cc.no_store);
  EXPECT_EQ(cc.max_age.seconds, 600);
  const std::vector<std::string> both{"gatehouse-cache-control", "cdn-cache-control"};
  EXPECT_EQ(response_cache_control(response, both).max_age.seconds, 60);
  // Not on the target list: no effect.
  CacheControl plain = response_cache_control(response, std::span<const std::string>());
  EXPECT_FALSE(plain.targeted);
  EXPECT_TRUE(plain.no_store);
}

TEST(TargetedCacheControlTest, InvalidTargetsFallThroughToTheNextAndThenToCacheControl) {
  const std::vector<std::string> both{"gatehouse-cache-control", "cdn-cache-control"};
  const http::HeaderMap next = fields({{"Cache-Control", "no-store"},
                                       {"Gatehouse-Cache-Control", "max-age=1, &"},
                                       {"CDN-Cache-Control", "max-age=600"}});
  EXPECT_EQ(response_cache_control(next, both).max_age.seconds, 600);
  const http::HeaderMap fallback = fields({{"Cache-Control", "no-store"}, {"CDN-Cache-Control", "max-age=\"1"}});
  CacheControl cc = response_cache_control(fallback, kCdn);
  EXPECT_FALSE(cc.targeted);
  EXPECT_TRUE(cc.no_store);
}

TEST(TargetedCacheControlTest, LinesCombineIntoOneDictionary) {
  const http::HeaderMap response =
      fields({{"CDN-Cache-Control", "max-age=600"}, {"cdn-cache-control", "must-revalidate"}});
  CacheControl cc = response_cache_control(response, kCdn);
  EXPECT_EQ(cc.max_age.seconds, 600);
  EXPECT_TRUE(cc.must_revalidate);
}

TEST(TargetedCacheControlTest, ExpiresIsIgnoredWhenATargetDecides) {
  const http::HeaderMap response = fields({{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"},
                                           {"Expires", "Sun, 06 Nov 1994 09:49:37 GMT"},
                                           {"CDN-Cache-Control", "must-revalidate"}});
  const HttpTime now = std::chrono::time_point_cast<Seconds>(std::chrono::system_clock::from_time_t(784111777));
  const FreshnessOptions options{};
  // Cache-Control alone: Expires gives an hour.
  EXPECT_EQ(freshness_lifetime(200, response, response_cache_control(response), now, options).value.count(), 3600);
  // Targeted: no lifetime at all (no Last-Modified for a heuristic).
  const Lifetime targeted = freshness_lifetime(200, response, response_cache_control(response, kCdn), now, options);
  EXPECT_EQ(targeted.source, LifetimeSource::kNone);
}

TEST(TargetedCacheControlTest, StorabilityFollowsTheTarget) {
  auto verdict = [](const http::HeaderMap& response) {
    const http::HeaderMap request;
    return storability(http::Method::kGet, request, request_cache_control(request), 299, response,
                       response_cache_control(response, kCdn), StorabilityOptions{});
  };
  // 299 is not heuristically cacheable: only explicit freshness allows it.
  EXPECT_EQ(verdict(fields({{"Cache-Control", "no-store"}, {"CDN-Cache-Control", "max-age=60"}})),
            StoreVerdict::kStorable);
  EXPECT_EQ(verdict(fields({{"Cache-Control", "max-age=60"}, {"CDN-Cache-Control", "no-store"}})),
            StoreVerdict::kNoStore);
  EXPECT_EQ(verdict(fields({{"Cache-Control", "max-age=60"}, {"CDN-Cache-Control", "private"}})),
            StoreVerdict::kPrivate);
  // Expires no longer allows storing once a target decides.
  EXPECT_EQ(verdict(fields({{"Expires", "Sun, 06 Nov 2094 08:49:37 GMT"}, {"CDN-Cache-Control", "none"}})),
            StoreVerdict::kNoExplicitFreshness);
  EXPECT_EQ(verdict(fields({{"Expires", "Sun, 06 Nov 2094 08:49:37 GMT"}})), StoreVerdict::kStorable);
}

TEST(TargetedCacheControlTest, FreshnessOptionsCompareTheirTargetsByContent) {
  FreshnessOptions a;
  a.targeted_fields = std::make_shared<const std::vector<std::string>>(kCdn);
  FreshnessOptions b = a;
  EXPECT_TRUE(a == b);
  b.targeted_fields = std::make_shared<const std::vector<std::string>>(kCdn);  // a reload that kept the list
  EXPECT_TRUE(a == b);
  b.targeted_fields = std::make_shared<const std::vector<std::string>>();
  EXPECT_FALSE(a == b);
  b.targeted_fields = nullptr;
  EXPECT_FALSE(a == b);
  a.targeted_fields = std::make_shared<const std::vector<std::string>>();
  EXPECT_TRUE(a == b);  // empty and none are the same
}

}  // namespace
}  // namespace gatehouse::policies::cache
