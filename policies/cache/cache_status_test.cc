// Cache-Status, RFC 9211, as an RFC 8941 list member.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "policies/cache/cache_status.h"
#include "policies/cache/cache_test_support.h"

namespace gatehouse::policies::cache {
namespace {

TEST(CacheStatusTest, Hit) {
  EXPECT_EQ(format_cache_status({.hit = true, .ttl = 42}), "gatehouse; hit; ttl=42");
}

TEST(CacheStatusTest, MissStored) {
  EXPECT_EQ(format_cache_status({.fwd = ForwardReason::kMiss, .stored = true}), "gatehouse; fwd=miss; stored");
}

TEST(CacheStatusTest, StaleRevalidatedWithForwardStatus) {
  EXPECT_EQ(format_cache_status({.fwd = ForwardReason::kStale, .fwd_status = 304, .ttl = 60, .stored = true}),
            "gatehouse; fwd=stale; fwd-status=304; ttl=60; stored");
}

TEST(CacheStatusTest, NegativeTtlWhenServedStale) {
  EXPECT_EQ(format_cache_status({.hit = true, .ttl = -5}), "gatehouse; hit; ttl=-5");
}

TEST(CacheStatusTest, CollapsedKeyAndDetail) {
  EXPECT_EQ(format_cache_status({.fwd = ForwardReason::kMiss, .collapsed = true, .key = "http://a/\"x\"",
                                 .detail = "stale-if-error"}),
            "gatehouse; fwd=miss; collapsed; key=\"http://a/\\\"x\\\"\"; detail=stale-if-error");
}

TEST(CacheStatusTest, EveryForwardReasonToken) {
  EXPECT_EQ(forward_reason_token(ForwardReason::kBypass), "bypass");
  EXPECT_EQ(forward_reason_token(ForwardReason::kMethod), "method");
  EXPECT_EQ(forward_reason_token(ForwardReason::kUriMiss), "uri-miss");
  EXPECT_EQ(forward_reason_token(ForwardReason::kVaryMiss), "vary-miss");
  EXPECT_EQ(forward_reason_token(ForwardReason::kRequest), "request");
  EXPECT_EQ(forward_reason_token(ForwardReason::kPartial), "partial");
}

// A name or detail that is not an sf-token becomes an sf-string; bytes an
// sf-string cannot carry are dropped.
TEST(CacheStatusTest, NonTokenNamesAndDetailsAreStrings) {
  EXPECT_EQ(format_cache_status({.cache_name = "edge 1", .hit = true}), "\"edge 1\"; hit");
  EXPECT_EQ(format_cache_status({.cache_name = "1edge", .hit = true}), "\"1edge\"; hit");
  EXPECT_EQ(format_cache_status({.cache_name = "cdn.example:443/x", .hit = true}), "cdn.example:443/x; hit");
  EXPECT_EQ(format_cache_status({.hit = true, .detail = "a\x01\xff b\\"}), "gatehouse; hit; detail=\"a b\\\\\"");
}

TEST(CacheStatusTest, IntegersClampToFifteenDigits) {
  EXPECT_EQ(format_cache_status({.hit = true, .ttl = 9'999'999'999'999'999}), "gatehouse; hit; ttl=999999999999999");
}

TEST(CacheStatusTest, EveryParameterAtItsLongest) {
  EXPECT_EQ(format_cache_status({.hit = true,
                                 .fwd = ForwardReason::kVaryMiss,
                                 .fwd_status = std::numeric_limits<int>::min(),
                                 .ttl = std::numeric_limits<std::int64_t>::min(),
                                 .stored = true,
                                 .collapsed = true,
                                 .detail = "x"}),
            "gatehouse; hit; fwd=vary-miss; fwd-status=-2147483648; ttl=-999999999999999; stored; collapsed; "
            "detail=x");
}

TEST(CacheStatusTest, SfToken) {
  EXPECT_TRUE(is_sf_token("gatehouse"));
  EXPECT_TRUE(is_sf_token("*x"));
  EXPECT_FALSE(is_sf_token(""));
  EXPECT_FALSE(is_sf_token("-x"));
  EXPECT_FALSE(is_sf_token("a b"));
}

// RFC 9211 §2: our member goes last; upstream caches' members stay in front.
TEST(CacheStatusTest, AppendedAfterUpstreamMembers) {
  http::HeaderMap h = test_support::fields({{"Cache-Status", "origin-cache; hit"}});
  append_cache_status(h, {.hit = true, .ttl = 1});
  ASSERT_EQ(h.count("cache-status"), 2u);
  EXPECT_EQ(h[1].value, "gatehouse; hit; ttl=1");
}


// A forwarded response's member is copied whole from a table built once; it
// reads as the composed one for every reason, stored or not, and a status
// with anything more (another name, a collapsed request) is composed.
TEST(CacheStatusTest, AppendedForwardMembersMatchTheComposedOnes) {
  const ForwardReason reasons[] = {ForwardReason::kBypass,   ForwardReason::kMethod, ForwardReason::kUriMiss,
                                   ForwardReason::kVaryMiss, ForwardReason::kMiss,   ForwardReason::kRequest,
                                   ForwardReason::kStale,    ForwardReason::kPartial};
  for (ForwardReason reason : reasons) {
    for (bool stored : {false, true}) {
      const CacheStatus status{.fwd = reason, .stored = stored};
      http::HeaderMap h;
      append_cache_status(h, status);
      ASSERT_EQ(h.size(), 1u);
      EXPECT_EQ(h[0].name, "Cache-Status");
      EXPECT_EQ(h[0].value, std::string("gatehouse; fwd=") + std::string(forward_reason_token(reason)) +
                                (stored ? "; stored" : ""));
    }
  }
  http::HeaderMap h;
  append_cache_status(h, {.cache_name = "edge", .fwd = ForwardReason::kUriMiss, .stored = true});
  append_cache_status(h, {.fwd = ForwardReason::kUriMiss, .collapsed = true});
  append_cache_status(h, {.fwd = ForwardReason::kStale, .fwd_status = 503, .detail = "x"});
  EXPECT_EQ(h[0].value, "edge; fwd=uri-miss; stored");
  EXPECT_EQ(h[1].value, "gatehouse; fwd=uri-miss; collapsed");
  EXPECT_EQ(h[2].value, "gatehouse; fwd=stale; fwd-status=503; detail=x");
}
}  // namespace
}  // namespace gatehouse::policies::cache
