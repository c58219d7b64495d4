// The secondary key, RFC 9111 §4.1.

#include <gtest/gtest.h>

#include "policies/cache/cache_test_support.h"
#include "policies/cache/vary.h"

namespace gatehouse::policies::cache {
namespace {

using test_support::fields;

TEST(VaryTest, NamesAreLowercasedCombinedAndDeduplicated) {
  auto names = vary_names(fields({{"Vary", "Accept-Encoding, ACCEPT"}, {"vary", "accept-encoding,User-Agent"}}));
  ASSERT_TRUE(names.has_value());
  EXPECT_EQ(*names, (std::vector<std::string>{"accept-encoding", "accept", "user-agent"}));
  EXPECT_EQ(vary_names(fields({}))->size(), 0u);
}

TEST(VaryTest, StarNeverMatches) {
  EXPECT_FALSE(vary_names(fields({{"Vary", "Accept, *"}})).has_value());
  EXPECT_FALSE(select_vary_values(fields({{"Vary", "*"}}), fields({})).has_value());
  EXPECT_FALSE(vary_names(fields({{"Vary", "*, *"}})).has_value());
  EXPECT_FALSE(vary_names(fields({{"Vary", ""}, {"Vary", "*"}})).has_value());
  EXPECT_FALSE(vary_names(fields({{"Vary", ", *"}})).has_value());
  EXPECT_FALSE(vary_names(fields({{"Vary", "*, Foo"}})).has_value());
}

TEST(VaryTest, NoVaryMatchesEveryRequest) {
  auto values = select_vary_values(fields({}), fields({{"Accept", "a"}}));
  ASSERT_TRUE(values.has_value());
  EXPECT_TRUE(variant_matches(*values, fields({{"Accept", "b"}})));
}

TEST(VaryTest, SameValueMatchesDifferentDoesNot) {
  auto values = select_vary_values(fields({{"Vary", "Accept-Language"}}), fields({{"Accept-Language", "en"}}));
  ASSERT_TRUE(values.has_value());
  EXPECT_TRUE(variant_matches(*values, fields({{"accept-language", "en"}})));
  EXPECT_FALSE(variant_matches(*values, fields({{"Accept-Language", "de"}})));
  EXPECT_TRUE(variant_matches(*values, fields({{"Accept-Language", "EN"}})));  // RFC 4647: any case
}

// §4.1: absent matches only absent; empty is a value.
TEST(VaryTest, AbsentMatchesOnlyAbsent) {
  auto values = select_vary_values(fields({{"Vary", "X-Flag"}}), fields({}));
  EXPECT_TRUE(variant_matches(*values, fields({})));
  EXPECT_FALSE(variant_matches(*values, fields({{"X-Flag", ""}})));
  auto empty = select_vary_values(fields({{"Vary", "X-Flag"}}), fields({{"X-Flag", ""}}));
  EXPECT_TRUE(variant_matches(*empty, fields({{"X-Flag", ""}})));
  EXPECT_FALSE(variant_matches(*empty, fields({})));
}

// §4.1: combining field lines and whitespace changes keep a match.
TEST(VaryTest, MultipleLinesCombineLikeOne) {
  auto values = select_vary_values(fields({{"Vary", "X-List"}}), fields({{"X-List", "a"}, {"X-List", "b"}}));
  EXPECT_EQ(values->front().value, "a, b");
  EXPECT_TRUE(variant_matches(*values, fields({{"X-List", "a, b"}})));
  EXPECT_TRUE(variant_matches(*values, fields({{"X-List", " a, b\t"}})));
}

// For the negotiation lists, whitespace around commas and empty members do not matter.
TEST(VaryTest, NegotiationListsIgnoreListWhitespace) {
  auto values = select_vary_values(fields({{"Vary", "Accept-Encoding"}}), fields({{"Accept-Encoding", "gzip,br"}}));
  EXPECT_TRUE(variant_matches(*values, fields({{"Accept-Encoding", "gzip , br"}})));
  EXPECT_TRUE(variant_matches(*values, fields({{"Accept-Encoding", "gzip,,br,"}})));
  EXPECT_TRUE(variant_matches(*values, fields({{"Accept-Encoding", "gzip"}, {"Accept-Encoding", "br"}})));
  EXPECT_FALSE(variant_matches(*values, fields({{"Accept-Encoding", "br, gzip"}})));  // order kept
}

// RFC 9110 §5.6.1: a list's OWS around commas carries nothing, for any
// field (cache-tests vary-normalise-space: "1,2" and " 1, 2 ").
TEST(VaryTest, WhitespaceAroundCommasIsIgnoredForEveryField) {
  auto values = select_vary_values(fields({{"Vary", "Foo"}}), fields({{"Foo", "1,2"}}));
  EXPECT_EQ(values->front().value, "1, 2");
  EXPECT_TRUE(variant_matches(*values, fields({{"Foo", " 1, 2 "}})));
  EXPECT_TRUE(variant_matches(*values, fields({{"Foo", "1 ,\t2"}})));
  EXPECT_TRUE(variant_matches(*values, fields({{"Foo", "1"}, {"Foo", "2"}})));
  EXPECT_FALSE(variant_matches(*values, fields({{"Foo", "1 2"}})));
  EXPECT_FALSE(variant_matches(*values, fields({{"Foo", "2,1"}})));   // order kept
  EXPECT_FALSE(variant_matches(*values, fields({{"Foo", "1,,2"}})));  // empty member kept: syntax unknown
}

// §4.1 vary-normalise-combine: several field lines equal one combined line.
TEST(VaryTest, FieldLinesCombineLikeOneLineForUnknownFields) {
  auto values = select_vary_values(fields({{"Vary", "Foo"}}), fields({{"Foo", "1"}, {"Foo", "2"}}));
  EXPECT_TRUE(variant_matches(*values, fields({{"Foo", "1, 2"}})));
  EXPECT_TRUE(variant_matches(*values, fields({{"Foo", "1,2"}})));
}

// Inside a quoted-string whitespace and commas are data.
TEST(VaryTest, QuotedStringsAreLeftAlone) {
  auto values = select_vary_values(fields({{"Vary", "Foo"}}), fields({{"Foo", R"(x="a,b", y)"}}));
  EXPECT_EQ(values->front().value, R"(x="a,b", y)");
  EXPECT_TRUE(variant_matches(*values, fields({{"Foo", R"(x="a,b" ,y)"}})));
  EXPECT_FALSE(variant_matches(*values, fields({{"Foo", R"(x="a, b", y)"}})));
  EXPECT_FALSE(variant_matches(*values, fields({{"Foo", R"(x="a ,b", y)"}})));
  // An escaped quote does not end the string.
  auto escaped = select_vary_values(fields({{"Vary", "Foo"}}), fields({{"Foo", R"("a\",b")"}}));
  EXPECT_EQ(escaped->front().value, R"("a\",b")");
  EXPECT_FALSE(variant_matches(*escaped, fields({{"Foo", R"("a\", b")"}})));
}

// Single opaque values: a comma in a User-Agent comment or a cookie is data.
TEST(VaryTest, OpaqueFieldsKeepInnerWhitespace) {
  for (const char* name : {"User-Agent", "Cookie", "Authorization", "Referer"}) {
    auto values = select_vary_values(fields({{"Vary", name}}), fields({{name, "a,b"}}));
    EXPECT_FALSE(variant_matches(*values, fields({{name, "a, b"}}))) << name;
    EXPECT_TRUE(variant_matches(*values, fields({{name, " a,b\t"}}))) << name;
  }
}

// RFC 4647 §2: language ranges are case-insensitive (vary-normalise-lang-case).
TEST(VaryTest, AcceptLanguageIgnoresCase) {
  auto values = select_vary_values(fields({{"Vary", "Accept-Language"}}), fields({{"Accept-Language", "en, de"}}));
  EXPECT_TRUE(variant_matches(*values, fields({{"Accept-Language", "eN, De"}})));
  auto regional = select_vary_values(fields({{"Vary", "Accept-Language"}}), fields({{"Accept-Language", "en-US"}}));
  EXPECT_TRUE(variant_matches(*regional, fields({{"Accept-Language", "EN-us"}})));
  EXPECT_FALSE(variant_matches(*regional, fields({{"Accept-Language", "en-GB"}})));
}

// RFC 9110 §12.5.4 ranks by weight; equal weights have no order
// (vary-normalise-lang-order), q=1 is the default.
TEST(VaryTest, AcceptLanguageIsCanonical) {
  auto values = select_vary_values(fields({{"Vary", "Accept-Language"}}), fields({{"Accept-Language", "en, de"}}));
  EXPECT_EQ(values->front().value, "de, en");
  for (const char* same : {"de, en", "DE;q=1.0, en", "en;q=1, de ; Q=1.000", "en,de", "en,,de,"}) {
    EXPECT_TRUE(variant_matches(*values, fields({{"Accept-Language", same}}))) << same;
  }
  EXPECT_TRUE(variant_matches(*values, fields({{"Accept-Language", "en"}, {"Accept-Language", "de"}})));
  EXPECT_FALSE(variant_matches(*values, fields({{"Accept-Language", "en"}})));
  EXPECT_FALSE(variant_matches(*values, fields({{"Accept-Language", "en, de;q=0.9"}})));

  auto weighted = select_vary_values(fields({{"Vary", "Accept-Language"}}),
                                     fields({{"Accept-Language", "fr;q=0.50, de;q=0.8, EN, *;q=0"}}));
  EXPECT_EQ(weighted->front().value, "en, de;q=0.8, fr;q=0.5, *;q=0");
  EXPECT_TRUE(variant_matches(*weighted, fields({{"Accept-Language", "*;q=0.000,en;q=1,fr;q=0.5,de;q=0.800"}})));
  EXPECT_FALSE(variant_matches(*weighted, fields({{"Accept-Language", "en, de;q=0.8, fr;q=0.4, *;q=0"}})));
}

// A member that is not language-range [weight] stops the reordering: the
// value is compared as a plain list (spacing only).
TEST(VaryTest, MalformedAcceptLanguageIsNotReordered) {
  for (const char* bad : {"en;q=2, de", "en;q=0.5000, de", "en;level=1, de", "en_US, de", "-en, de", "en;q=, de"}) {
    auto values = select_vary_values(fields({{"Vary", "Accept-Language"}}), fields({{"Accept-Language", bad}}));
    EXPECT_TRUE(variant_matches(*values, fields({{"Accept-Language", bad}}))) << bad;
    EXPECT_EQ(values->front().value, std::string(bad)) << bad;
  }
  auto values = select_vary_values(fields({{"Vary", "Accept-Language"}}), fields({{"Accept-Language", "en_US,de"}}));
  EXPECT_FALSE(variant_matches(*values, fields({{"Accept-Language", "de, en_US"}})));
  EXPECT_TRUE(variant_matches(*values, fields({{"Accept-Language", "en_US , de"}})));
}

TEST(VaryTest, EveryNamedFieldMustMatch) {
  auto values = select_vary_values(fields({{"Vary", "A, B"}}), fields({{"A", "1"}, {"B", "2"}}));
  EXPECT_TRUE(variant_matches(*values, fields({{"B", "2"}, {"A", "1"}})));
  EXPECT_FALSE(variant_matches(*values, fields({{"A", "1"}})));
}

// Selecting a variant by its Content-Language (vary.h, language_selects()).
// The variant of cache-tests vary-normalise-lang-select: stored for
// "en, de", in German.
std::vector<VaryValue> stored_for(const char* accept_language, const char* vary = "Accept-Language") {
  return select_vary_values(fields({{"Vary", vary}}), fields({{"Accept-Language", accept_language}})).value();
}

bool selects(const http::HeaderMap& response, const http::HeaderMap& request,
             const std::vector<VaryValue>& stored = stored_for("en, de")) {
  return language_selects(stored, response, request);
}

TEST(VaryTest, LanguageSelectsAVariantInTheStrictlyPreferredLanguage) {
  const http::HeaderMap german = fields({{"Content-Language", "de"}});
  // The suite's request 2: no exact match, but German is its one first choice.
  EXPECT_FALSE(variant_matches(stored_for("en, de"), fields({{"Accept-Language", "fr;q=0.5, de;q=1.0"}})));
  EXPECT_TRUE(selects(german, fields({{"Accept-Language", "fr;q=0.5, de;q=1.0"}})));
  EXPECT_TRUE(selects(german, fields({{"Accept-Language", "de"}})));
  EXPECT_TRUE(selects(german, fields({{"Accept-Language", "en;q=0.9, *;q=0.5, de"}})));
  EXPECT_TRUE(selects(german, fields({{"Accept-Language", "fr;q=0.2"}, {"Accept-Language", "de;q=0.3"}})));
  // Tags compare ignoring case, on either side.
  EXPECT_TRUE(selects(german, fields({{"Accept-Language", "DE, fr;q=0.5"}})));
  EXPECT_TRUE(selects(fields({{"content-language", " De-cH "}}), fields({{"Accept-Language", "de-ch"}})));
  // Whatever the variant was stored for, even no Accept-Language at all.
  EXPECT_TRUE(selects(german, fields({{"Accept-Language", "de"}}), stored_for("fr")));
  auto stored_without = select_vary_values(fields({{"Vary", "Accept-Language"}}), fields({})).value();
  EXPECT_TRUE(selects(german, fields({{"Accept-Language", "de"}}), stored_without));
}

TEST(VaryTest, LanguageDoesNotSelectWithoutAUniqueTopPreference) {
  const http::HeaderMap german = fields({{"Content-Language", "de"}});
  // Ties at the top weight: the origin's pick among them is unknown.
  EXPECT_FALSE(selects(german, fields({{"Accept-Language", "en, de"}}), stored_for("fr")));
  EXPECT_FALSE(selects(german, fields({{"Accept-Language", "de, fr"}})));
  EXPECT_FALSE(selects(german, fields({{"Accept-Language", "de;q=0.5, fr;q=0.5, en;q=0.1"}})));
  EXPECT_FALSE(selects(german, fields({{"Accept-Language", "de, de"}})));
  // Another language first.
  EXPECT_FALSE(selects(german, fields({{"Accept-Language", "fr, de;q=0.5"}})));
  // "*" first: any language, so the origin chose.
  EXPECT_FALSE(selects(german, fields({{"Accept-Language", "*, de;q=0.5"}})));
  EXPECT_FALSE(selects(german, fields({{"Accept-Language", "*"}})));
  // q=0 means "not acceptable", never a preference.
  EXPECT_FALSE(selects(german, fields({{"Accept-Language", "de;q=0"}})));
  EXPECT_FALSE(selects(german, fields({{"Accept-Language", "de;q=0, fr;q=0"}})));
  // No RFC 4647 prefix matching, either way.
  EXPECT_FALSE(selects(german, fields({{"Accept-Language", "de-CH"}})));
  EXPECT_FALSE(selects(fields({{"Content-Language", "de-CH"}}), fields({{"Accept-Language", "de"}})));
  // Absent, empty or malformed Accept-Language.
  EXPECT_FALSE(selects(german, fields({})));
  EXPECT_FALSE(selects(german, fields({{"Accept-Language", ""}})));
  EXPECT_FALSE(selects(german, fields({{"Accept-Language", "de;x=1"}})));
  EXPECT_FALSE(selects(german, fields({{"Accept-Language", "de_DE"}})));
}

TEST(VaryTest, LanguageSelectsOnlyAVariantInOneNamedLanguage) {
  const http::HeaderMap request = fields({{"Accept-Language", "de"}});
  EXPECT_FALSE(selects(fields({}), request));
  EXPECT_FALSE(selects(fields({{"Content-Language", ""}}), request));
  EXPECT_FALSE(selects(fields({{"Content-Language", "de, en"}}), request));
  EXPECT_FALSE(selects(fields({{"Content-Language", "de"}, {"Content-Language", "en"}}), request));
  EXPECT_FALSE(selects(fields({{"Content-Language", "de"}, {"Content-Language", "de"}}), request));
  EXPECT_FALSE(selects(fields({{"Content-Language", "*"}}), fields({{"Accept-Language", "*"}})));
  EXPECT_FALSE(selects(fields({{"Content-Language", "de;q=1"}}), request));
  // A list with empty members still names one language (RFC 9110 §5.6.1).
  EXPECT_TRUE(selects(fields({{"Content-Language", "de,"}}), request));
}

TEST(VaryTest, LanguageSelectsOnlyWhenEveryOtherFieldMatches) {
  const http::HeaderMap german = fields({{"Content-Language", "de"}});
  auto stored = select_vary_values(fields({{"Vary", "Accept-Language, Accept-Encoding"}}),
                                   fields({{"Accept-Language", "en, de"}, {"Accept-Encoding", "gzip"}}))
                    .value();
  EXPECT_TRUE(selects(german, fields({{"Accept-Language", "de"}, {"Accept-Encoding", "gzip"}}), stored));
  EXPECT_FALSE(selects(german, fields({{"Accept-Language", "de"}, {"Accept-Encoding", "br"}}), stored));
  EXPECT_FALSE(selects(german, fields({{"Accept-Language", "de"}}), stored));
  // A Vary without Accept-Language leaves nothing to choose by language.
  auto by_encoding =
      select_vary_values(fields({{"Vary", "Accept-Encoding"}}), fields({{"Accept-Encoding", "gzip"}})).value();
  EXPECT_FALSE(selects(german, fields({{"Accept-Language", "de"}, {"Accept-Encoding", "br"}}), by_encoding));
}

}  // namespace
}  // namespace gatehouse::policies::cache
