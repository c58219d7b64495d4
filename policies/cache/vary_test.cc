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
  EXPECT_FALSE(variant_matches(*values, fields({{"Accept-Language", "EN"}})));  // case is kept
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

// Other fields are not split: commas inside them may be data.
TEST(VaryTest, OtherFieldsKeepInnerWhitespace) {
  auto values = select_vary_values(fields({{"Vary", "User-Agent"}}), fields({{"User-Agent", "a,b"}}));
  EXPECT_FALSE(variant_matches(*values, fields({{"User-Agent", "a, b"}})));
}

TEST(VaryTest, EveryNamedFieldMustMatch) {
  auto values = select_vary_values(fields({{"Vary", "A, B"}}), fields({{"A", "1"}, {"B", "2"}}));
  EXPECT_TRUE(variant_matches(*values, fields({{"B", "2"}, {"A", "1"}})));
  EXPECT_FALSE(variant_matches(*values, fields({{"A", "1"}})));
}

}  // namespace
}  // namespace gatehouse::policies::cache
