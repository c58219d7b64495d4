// RFC 8941 Dictionary parsing: what parses, to what, and what fails whole.

#include "proxy/http/structured_fields.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gatehouse::http::sf {
namespace {

using Type = Item::Type;

std::vector<DictionaryMember> parsed(std::string_view value) {
  std::optional<std::vector<DictionaryMember>> d = parse_dictionary(value);
  EXPECT_TRUE(d.has_value()) << value;
  return d.value_or(std::vector<DictionaryMember>{});
}

TEST(StructuredFieldsTest, MembersWithAndWithoutValues) {
  const auto d = parsed("foobar, max-age=3600, no-cache=\"set-cookie, x-a\", tok=abc/d:e, flag=?0, dec=-1.5");
  ASSERT_EQ(d.size(), 6u);
  EXPECT_EQ(d[0].key, "foobar");
  EXPECT_EQ(d[0].value.type, Type::kBoolean);
  EXPECT_EQ(d[0].value.integer, 1);
  EXPECT_EQ(d[1].key, "max-age");
  EXPECT_EQ(d[1].value.type, Type::kInteger);
  EXPECT_EQ(d[1].value.integer, 3600);
  EXPECT_EQ(d[2].value.type, Type::kString);
  EXPECT_EQ(d[2].value.text, "set-cookie, x-a");
  EXPECT_EQ(d[3].value.type, Type::kToken);
  EXPECT_EQ(d[3].value.text, "abc/d:e");
  EXPECT_EQ(d[4].value.type, Type::kBoolean);
  EXPECT_EQ(d[4].value.integer, 0);
  EXPECT_EQ(d[5].value.type, Type::kDecimal);
  EXPECT_DOUBLE_EQ(d[5].value.decimal, -1.5);
}

TEST(StructuredFieldsTest, ParametersAndInnerListsAreCheckedThenDropped) {
  const auto d = parsed("a=1;p=2;q, b=(1 \"x\" y);r=?1, c;s=:aGk=:");
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].value.integer, 1);
  EXPECT_EQ(d[1].value.type, Type::kInnerList);
  EXPECT_EQ(d[2].value.type, Type::kBoolean);
  EXPECT_FALSE(parse_dictionary("a=(1 2"));    // unclosed
  EXPECT_FALSE(parse_dictionary("a=(1,2)"));   // members are space-separated
  EXPECT_FALSE(parse_dictionary("a=1;P=2"));   // parameter keys are lowercase too
  EXPECT_FALSE(parse_dictionary("a=1;p=&"));
}

TEST(StructuredFieldsTest, ARepeatedKeyKeepsItsPlaceAndTakesTheLastValue) {
  const auto d = parsed("a=1, b, a=2");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].key, "a");
  EXPECT_EQ(d[0].value.integer, 2);
  EXPECT_EQ(d[1].key, "b");
}

TEST(StructuredFieldsTest, WhitespaceWhereTheGrammarAllowsIt) {
  EXPECT_EQ(parsed("  a=1 ,\tb=2  ").size(), 2u);
  EXPECT_TRUE(parsed("").empty());
  EXPECT_TRUE(parsed("   ").empty());
  EXPECT_FALSE(parse_dictionary("\ta=1"));     // only SP may lead
  EXPECT_FALSE(parse_dictionary("max-age =100"));
  EXPECT_FALSE(parse_dictionary("max-age= 100"));
  EXPECT_FALSE(parse_dictionary("a=1,"));      // a trailing comma
  EXPECT_FALSE(parse_dictionary("a=1 b=2"));   // no comma
}

TEST(StructuredFieldsTest, AnyErrorFailsTheWholeField) {
  EXPECT_FALSE(parse_dictionary("max-age=10000, &&&&&"));
  EXPECT_FALSE(parse_dictionary("MaX-aGe=3600"));  // keys are lowercase
  EXPECT_FALSE(parse_dictionary("1a=1"));
  EXPECT_FALSE(parse_dictionary("a=?2"));
  EXPECT_FALSE(parse_dictionary("a=:a!b:"));
  EXPECT_FALSE(parse_dictionary("a=:abc"));
  EXPECT_FALSE(parse_dictionary("a=\"x\\y\""));  // only \" and \\ escape
  EXPECT_FALSE(parse_dictionary("a=\"open"));
  EXPECT_FALSE(parse_dictionary("a=\"caf\xc3\xa9\""));
  EXPECT_FALSE(parse_dictionary("a=-"));
}

TEST(StructuredFieldsTest, NumbersWithinTheirDigitLimits) {
  EXPECT_EQ(parsed("a=999999999999999")[0].value.integer, 999'999'999'999'999);
  EXPECT_EQ(parsed("a=-999999999999999")[0].value.integer, -999'999'999'999'999);
  EXPECT_FALSE(parse_dictionary("a=1000000000000000"));  // 16 digits
  EXPECT_DOUBLE_EQ(parsed("a=123456789012.123")[0].value.decimal, 123456789012.123);
  EXPECT_FALSE(parse_dictionary("a=1234567890123.1"));   // 13 integer digits
  EXPECT_FALSE(parse_dictionary("a=1.2345"));            // 4 fraction digits
  EXPECT_FALSE(parse_dictionary("a=1."));
  EXPECT_EQ(parsed("a=99999999999")[0].value.integer, 99'999'999'999);
}

TEST(StructuredFieldsTest, StringsUnescape) {
  EXPECT_EQ(parsed("a=\"x\\\"y\\\\z\"")[0].value.text, "x\"y\\z");
  EXPECT_EQ(parsed("a=\"\"")[0].value.text, "");
}

// Whatever the bytes, parsing ends (no crash, no read past the input: the
// sanitizer build runs this too), and what parses has only valid keys.
TEST(StructuredFieldsTest, AnyInputEndsInAResultOrAFailure) {
  static constexpr char kAlphabet[] = "a-z*=;,() \t\"\\?:01.-9AZ&/+";
  std::uint32_t state = 12345;
  auto next = [&state] {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  };
  int parsed_ok = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string input(next() % 24, '\0');
    for (char& c : input) c = kAlphabet[next() % (sizeof kAlphabet - 1)];
    std::optional<std::vector<DictionaryMember>> d = parse_dictionary(input);
    if (!d) continue;
    ++parsed_ok;
    for (const DictionaryMember& m : *d) {
      ASSERT_FALSE(m.key.empty()) << input;
      EXPECT_TRUE((m.key[0] >= 'a' && m.key[0] <= 'z') || m.key[0] == '*') << input;
    }
  }
  EXPECT_GT(parsed_ok, 100);  // the alphabet makes valid dictionaries too
}

}  // namespace
}  // namespace gatehouse::http::sf
