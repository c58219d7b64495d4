// The shared field-value syntax: RFC 9110 §5.6 lists, tokens, quoted
// strings; RFC 9111 §1.2.2 delta-seconds.

#include <gtest/gtest.h>

#include "policies/cache/cache_test_support.h"
#include "policies/cache/field_syntax.h"

namespace gatehouse::policies::cache {
namespace {

using Members = std::vector<std::string_view>;

TEST(FieldSyntaxTest, SplitListTrimsAndDropsEmptyMembers) {
  EXPECT_EQ(split_list(" a ,b,, ,\tc "), (Members{"a", "b", "c"}));
  EXPECT_EQ(split_list(""), Members{});
  EXPECT_EQ(split_list(" , "), Members{});
}

TEST(FieldSyntaxTest, SplitListKeepsCommasInsideQuotedStrings) {
  EXPECT_EQ(split_list("a=\"x, y\", b"), (Members{"a=\"x, y\"", "b"}));
  EXPECT_EQ(split_list("a=\"x\\\", y\", b"), (Members{"a=\"x\\\", y\"", "b"}));  // escaped quote
  EXPECT_EQ(split_list("a=\"open, b"), (Members{"a=\"open, b"}));                // unterminated: to the end
}

TEST(FieldSyntaxTest, Unquote) {
  EXPECT_EQ(unquote("\"abc\""), "abc");
  EXPECT_EQ(unquote("\"\""), "");
  EXPECT_EQ(unquote("\"a\\\"b\\\\\""), "a\"b\\");
  EXPECT_FALSE(unquote("abc"));
  EXPECT_FALSE(unquote("\"abc"));
  EXPECT_FALSE(unquote("\"a\"b\""));
  EXPECT_FALSE(unquote("\"abc\\\""));
  EXPECT_FALSE(unquote("\""));
}

TEST(FieldSyntaxTest, Tokens) {
  EXPECT_TRUE(is_token("max-age"));
  EXPECT_TRUE(is_token("!#$%&'*+-.^_`|~09azAZ"));
  EXPECT_FALSE(is_token(""));
  EXPECT_FALSE(is_token("a b"));
  EXPECT_FALSE(is_token("a=b"));
  EXPECT_FALSE(is_token("\"a\""));
  EXPECT_FALSE(is_token("a,b"));
}

TEST(FieldSyntaxTest, DeltaSeconds) {
  EXPECT_EQ(parse_delta_seconds("0"), 0);
  EXPECT_EQ(parse_delta_seconds("0042"), 42);
  EXPECT_EQ(parse_delta_seconds("2147483648"), kDeltaSecondsMax);
  EXPECT_EQ(parse_delta_seconds("2147483649"), kDeltaSecondsMax);
  EXPECT_EQ(parse_delta_seconds(std::string(400, '9')), kDeltaSecondsMax);
  for (const char* bad : {"", " 1", "1 ", "-1", "+1", "1.0", "1e3", "0x1", "one"}) {
    EXPECT_FALSE(parse_delta_seconds(bad)) << bad;
  }
}

TEST(FieldSyntaxTest, CombinedFieldJoinsLinesInOrder) {
  http::HeaderMap h = test_support::fields({{"A", "1"}, {"B", "x"}, {"a", "2, 3"}});
  bool present = false;
  EXPECT_EQ(combined_field(h, "a", &present), "1, 2, 3");
  EXPECT_TRUE(present);
  EXPECT_EQ(combined_field(h, "missing", &present), "");
  EXPECT_FALSE(present);
  http::HeaderMap empty = test_support::fields({{"A", ""}});
  EXPECT_EQ(combined_field(empty, "a", &present), "");
  EXPECT_TRUE(present);
}

// Eight bytes at a time, the same as one at a time: every byte value, at
// every position of a word and in the tail, unchanged unless 'A'..'Z'.
TEST(FieldSyntaxTest, CopyLowercaseChangesOnlyAsciiCapitals) {
  std::string all;
  for (int round = 0; round < 3; ++round) {
    for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  }
  for (std::size_t offset = 0; offset < 9; ++offset) {
    const std::string_view in = std::string_view(all).substr(offset, all.size() - 2 * offset);
    std::string out(in.size(), '?');
    EXPECT_EQ(copy_lowercase(out.data(), in), out.data() + out.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(in[i]);
      const char expected = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : static_cast<char>(c);
      ASSERT_EQ(out[i], expected) << "byte " << static_cast<int>(c) << " at " << i << ", offset " << offset;
    }
  }
  EXPECT_EQ(to_lower("Content-TYPE: X"), "content-type: x");
}

TEST(FieldSyntaxTest, ClampedAdd) {
  EXPECT_EQ(clamped_add(1, 2), 3);
  EXPECT_EQ(clamped_add(kDeltaSecondsMax, kDeltaSecondsMax), kDeltaSecondsMax);
}

}  // namespace
}  // namespace gatehouse::policies::cache
