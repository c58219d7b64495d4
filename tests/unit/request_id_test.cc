#include "proxy/common/request_id.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

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
