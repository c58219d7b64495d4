// Cache-Control parsing, RFC 9111 §5.2 and §5.4, rule by rule.

#include <gtest/gtest.h>

#include "policies/cache/cache_control.h"
#include "policies/cache/cache_test_support.h"

namespace gatehouse::policies::cache {
namespace {

using test_support::fields;

TEST(CacheControlTest, ParsesEveryResponseDirective) {
  CacheControl cc = parse_cache_control(
      "public, max-age=60, s-maxage=30, must-revalidate, proxy-revalidate, no-transform, must-understand, "
      "immutable, stale-while-revalidate=5, stale-if-error=7");
  EXPECT_TRUE(cc.is_public);
  EXPECT_TRUE(cc.max_age.valid);
  EXPECT_EQ(cc.max_age.seconds, 60);
  EXPECT_EQ(cc.s_maxage.seconds, 30);
  EXPECT_TRUE(cc.must_revalidate);
  EXPECT_TRUE(cc.proxy_revalidate);
  EXPECT_TRUE(cc.no_transform);
  EXPECT_TRUE(cc.must_understand);
  EXPECT_TRUE(cc.immutable);
  EXPECT_EQ(cc.stale_while_revalidate.seconds, 5);
  EXPECT_EQ(cc.stale_if_error.seconds, 7);
  EXPECT_FALSE(cc.no_store);
  EXPECT_FALSE(cc.no_cache);
  EXPECT_FALSE(cc.is_private);
}

TEST(CacheControlTest, ParsesEveryRequestDirective) {
  CacheControl cc = parse_cache_control("max-age=0, max-stale=10, min-fresh=3, no-cache, no-store, only-if-cached");
  EXPECT_TRUE(cc.max_age.valid);
  EXPECT_EQ(cc.max_age.seconds, 0);
  EXPECT_TRUE(cc.max_stale.valid);
  EXPECT_TRUE(cc.max_stale.has_argument);
  EXPECT_EQ(cc.max_stale.seconds, 10);
  EXPECT_EQ(cc.min_fresh.seconds, 3);
  EXPECT_TRUE(cc.no_cache);
  EXPECT_TRUE(cc.no_store);
  EXPECT_TRUE(cc.only_if_cached);
}

// §5.2: directive names are case-insensitive.
TEST(CacheControlTest, DirectiveNamesAreCaseInsensitive) {
  CacheControl cc = parse_cache_control("MAX-AGE=5, No-Store, PRIVATE");
  EXPECT_EQ(cc.max_age.seconds, 5);
  EXPECT_TRUE(cc.no_store);
  EXPECT_TRUE(cc.is_private);
}

// §5.2: arguments may be a quoted-string; recipients accept it for max-age.
TEST(CacheControlTest, QuotedDeltaSecondsAreAccepted) {
  CacheControl cc = parse_cache_control("max-age=\"5\", s-maxage=\"10\"");
  EXPECT_TRUE(cc.max_age.valid);
  EXPECT_EQ(cc.max_age.seconds, 5);
  EXPECT_EQ(cc.s_maxage.seconds, 10);
}

// §1.2.2: delta-seconds is 1*DIGIT; anything else makes the directive invalid.
TEST(CacheControlTest, MalformedDeltaSecondsAreInvalid) {
  for (const char* value : {"max-age=-1", "max-age=1.5", "max-age=abc", "max-age=", "max-age", "max-age=\"\"",
                            "max-age=\"5", "max-age=5s", "max-age=+5", "max-age=0x10"}) {
    CacheControl cc = parse_cache_control(value);
    EXPECT_TRUE(cc.max_age.present) << value;
    EXPECT_FALSE(cc.max_age.valid) << value;
    EXPECT_TRUE(cc.max_age.invalid()) << value;
  }
}

// §1.2.2: values too large to represent clamp to 2^31.
TEST(CacheControlTest, OverflowingDeltaSecondsClampTo2Pow31) {
  CacheControl cc = parse_cache_control("max-age=99999999999999999999999999, s-maxage=2147483649");
  EXPECT_TRUE(cc.max_age.valid);
  EXPECT_EQ(cc.max_age.seconds, 2147483648);
  EXPECT_EQ(cc.s_maxage.seconds, 2147483648);
  EXPECT_EQ(parse_cache_control("max-age=2147483647").max_age.seconds, 2147483647);
}

// Leading zeros are still 1*DIGIT.
TEST(CacheControlTest, LeadingZerosAreDigits) {
  EXPECT_EQ(parse_cache_control("max-age=0007").max_age.seconds, 7);
}

// §4.2.1: conflicting repeats make the value untrustworthy (we treat the
// response as stale); an identical repeat is harmless.
TEST(CacheControlTest, ConflictingDuplicateIsInvalidIdenticalIsNot) {
  EXPECT_TRUE(parse_cache_control("max-age=10, max-age=20").max_age.invalid());
  EXPECT_TRUE(parse_cache_control("max-age=10, max-age=x").max_age.invalid());
  CacheControl same = parse_cache_control("max-age=10, max-age=10");
  EXPECT_TRUE(same.max_age.valid);
  EXPECT_EQ(same.max_age.seconds, 10);
}

// RFC 9110 §5.3: all field lines form one list.
TEST(CacheControlTest, AllFieldLinesAreCombined) {
  CacheControl cc = response_cache_control(fields({{"Cache-Control", "max-age=5"}, {"X", "y"},
                                                   {"cache-control", "no-cache, private"}}));
  EXPECT_EQ(cc.max_age.seconds, 5);
  EXPECT_TRUE(cc.no_cache);
  EXPECT_TRUE(cc.is_private);
  EXPECT_TRUE(response_cache_control(fields({{"Cache-Control", "max-age=5"}, {"Cache-Control", "max-age=6"}}))
                  .max_age.invalid());
}

// A request's lines too, and a directive list's state (an unqualified
// no-cache, a conflicting repeat) carries from one line to the next.
TEST(CacheControlTest, RequestLinesAreCombinedToo) {
  CacheControl cc = request_cache_control(
      fields({{"Cache-Control", "max-stale"}, {"Pragma", "no-cache"}, {"cache-control", "min-fresh=3, max-age=1"},
              {"Cache-Control", "max-age=2"}}));
  EXPECT_TRUE(cc.max_stale.valid);
  EXPECT_EQ(cc.min_fresh.seconds, 3);
  EXPECT_TRUE(cc.max_age.invalid());
  EXPECT_FALSE(cc.no_cache);
  cc = response_cache_control(fields({{"Cache-Control", "no-cache"}, {"Cache-Control", "no-cache=\"set-cookie\""}}));
  EXPECT_TRUE(cc.no_cache);
  EXPECT_FALSE(cc.qualified_no_cache());
}

// §5.2.3: unknown extensions are ignored, with or without arguments.
TEST(CacheControlTest, UnknownExtensionsAreIgnored) {
  CacheControl cc = parse_cache_control("community=\"UCI\", foo, bar=baz, max-age=3");
  EXPECT_EQ(cc.max_age.seconds, 3);
  EXPECT_FALSE(cc.no_cache);
  EXPECT_FALSE(cc.is_public);
}

// A comma inside a quoted argument does not split the list.
TEST(CacheControlTest, CommasInsideQuotedStringsDoNotSplit) {
  CacheControl cc = parse_cache_control("ext=\"a, max-age=9\", max-age=3");
  EXPECT_EQ(cc.max_age.seconds, 3);
}

// Empty members and whitespace around members are tolerated (RFC 9110 §5.6.1).
TEST(CacheControlTest, EmptyMembersAndWhitespaceAreTolerated) {
  CacheControl cc = parse_cache_control(" , ,max-age=4 ,\tno-store,, ");
  EXPECT_EQ(cc.max_age.seconds, 4);
  EXPECT_TRUE(cc.no_store);
}

// ... but not around "=": the grammar has none there.
TEST(CacheControlTest, WhitespaceAroundEqualsIsMalformed) {
  EXPECT_FALSE(parse_cache_control("max-age =100").max_age.present);
  EXPECT_TRUE(parse_cache_control("max-age= 100").max_age.invalid());
  EXPECT_TRUE(parse_cache_control("max-age='100'").max_age.invalid());  // single quotes are token characters
}

// §5.2.2.4: no-cache with field names keeps them (lowercased).
TEST(CacheControlTest, QualifiedNoCacheKeepsFieldNames) {
  CacheControl cc = parse_cache_control("no-cache=\"Set-Cookie, X-Foo\"");
  EXPECT_TRUE(cc.no_cache);
  EXPECT_TRUE(cc.qualified_no_cache());
  EXPECT_EQ(cc.no_cache_fields, (std::vector<std::string>{"set-cookie", "x-foo"}));
}

// Recipients tolerate the token form of a one-field list.
TEST(CacheControlTest, QualifiedPrivateTokenForm) {
  CacheControl cc = parse_cache_control("private=Set-Cookie");
  EXPECT_TRUE(cc.qualified_private());
  EXPECT_EQ(cc.private_fields, (std::vector<std::string>{"set-cookie"}));
}

// An unqualified occurrence anywhere wins over qualified ones (most restrictive).
TEST(CacheControlTest, UnqualifiedNoCacheWinsOverQualified) {
  EXPECT_FALSE(parse_cache_control("no-cache=\"a\", no-cache").qualified_no_cache());
  EXPECT_FALSE(parse_cache_control("private, private=\"a\"").qualified_private());
  EXPECT_TRUE(parse_cache_control("private, private=\"a\"").is_private);
}

// A malformed or empty field list cannot narrow the directive.
TEST(CacheControlTest, MalformedFieldListActsUnqualified) {
  for (const char* value : {"no-cache=\"\"", "no-cache=\"a b\"", "no-cache=\"unterminated", "no-cache=\"a\"x"}) {
    CacheControl cc = parse_cache_control(value);
    EXPECT_TRUE(cc.no_cache) << value;
    EXPECT_FALSE(cc.qualified_no_cache()) << value;
  }
}

// §5.2.1.2: max-stale without a value accepts any staleness.
TEST(CacheControlTest, MaxStaleWithoutArgument) {
  CacheControl cc = parse_cache_control("max-stale");
  EXPECT_TRUE(cc.max_stale.valid);
  EXPECT_FALSE(cc.max_stale.has_argument);
  EXPECT_TRUE(parse_cache_control("max-stale=x").max_stale.invalid());
}

// min-fresh needs an argument.
TEST(CacheControlTest, MinFreshWithoutArgumentIsInvalid) {
  EXPECT_TRUE(parse_cache_control("min-fresh").min_fresh.invalid());
}

// §5.4: Pragma: no-cache counts only when the request has no Cache-Control.
TEST(CacheControlTest, PragmaNoCacheWithoutCacheControl) {
  EXPECT_TRUE(request_cache_control(fields({{"Pragma", "no-cache"}})).no_cache);
  EXPECT_TRUE(request_cache_control(fields({{"Pragma", "foo, No-Cache"}})).no_cache);
  EXPECT_FALSE(request_cache_control(fields({{"Pragma", "no-cache"}, {"Cache-Control", "max-age=5"}})).no_cache);
  EXPECT_FALSE(request_cache_control(fields({{"Pragma", "foo"}})).no_cache);
  EXPECT_FALSE(request_cache_control(fields({})).no_cache);
}

// Names that are not tokens are skipped, not misread.
TEST(CacheControlTest, NonTokenNamesAreSkipped) {
  CacheControl cc = parse_cache_control("\"max-age\"=5, max age=6, =7");
  EXPECT_FALSE(cc.max_age.present);
}

}  // namespace
}  // namespace gatehouse::policies::cache
