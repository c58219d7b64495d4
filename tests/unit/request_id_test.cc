#include "proxy/common/request_id.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace gatehouse {
namespace {

TEST(RequestIdTest, GeneratesDistinctUuidV4Text) {
  RequestIdGenerator gen;
  std::set<std::string> seen;
  std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::string id;
  for (int i = 0; i < 1000; ++i) {
    gen.next(id);
    ASSERT_TRUE(std::regex_match(id, uuid)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

// Every digit position but the version's is random: each takes many values
// over a thousand ids (a digit written from the wrong bits, or not at all,
// would not).
TEST(RequestIdTest, EveryRandomDigitVaries) {
  RequestIdGenerator gen;
  std::string id;
  std::vector<std::set<char>> digits(36);
  for (int i = 0; i < 1000; ++i) {
    gen.next(id);
    ASSERT_EQ(id.size(), 36u);
    for (std::size_t p = 0; p < id.size(); ++p) digits[p].insert(id[p]);
  }
  for (std::size_t p = 0; p < digits.size(); ++p) {
    if (p == 8 || p == 13 || p == 18 || p == 23) {
      EXPECT_EQ(digits[p], std::set<char>{'-'}) << p;
    } else if (p == 14) {
      EXPECT_EQ(digits[p], std::set<char>{'4'});  // the version
    } else if (p == 19) {
      EXPECT_EQ(digits[p], (std::set<char>{'8', '9', 'a', 'b'}));  // the variant's two bits
    } else {
      EXPECT_EQ(digits[p].size(), 16u) << "position " << p;
    }
  }
}

// Every digit is lowercase hex, zero-padded: read back and printed with
// printf's %x, the id comes out the same.
TEST(RequestIdTest, DigitsReadAsPrintfWritesThem) {
  RequestIdGenerator gen;
  std::string id;
  for (int i = 0; i < 100; ++i) {
    gen.next(id);
    std::string hex;
    for (char c : id) {
      if (c != '-') hex.push_back(c);
    }
    ASSERT_EQ(hex.size(), 32u);
    const std::uint64_t hi = std::stoull(hex.substr(0, 16), nullptr, 16);
    const std::uint64_t lo = std::stoull(hex.substr(16), nullptr, 16);
    char expected[40];
    std::snprintf(expected, sizeof expected, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                  static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                  static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xffffffffffffULL));
    EXPECT_EQ(id, expected);
  }
}

TEST(RequestIdTest, AcceptsOnlySafeClientIds) {
  EXPECT_TRUE(is_acceptable_request_id("abc-123_XYZ.7"));
  EXPECT_FALSE(is_acceptable_request_id(""));
  EXPECT_FALSE(is_acceptable_request_id("has space"));
  EXPECT_FALSE(is_acceptable_request_id("quote\"d"));
  EXPECT_FALSE(is_acceptable_request_id(std::string(201, 'a')));
  EXPECT_TRUE(is_acceptable_request_id(std::string(200, 'a')));
  EXPECT_FALSE(is_acceptable_request_id("tab\there"));
}

}  // namespace
}  // namespace gatehouse
