#include "proxy/http/header_map_pool.h"

#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace gatehouse::http {
namespace {

// Empties this thread's pool (whatever earlier tests left in it).
void drain_pool() {
  for (int i = 0; i < 16; ++i) (void)take_header_map();
}

TEST(HeaderMapPoolTest, ARecycledMapComesBackEmptyWithItsSlots) {
  drain_pool();
  HeaderMap map;
  map.add("X-Upstream-Connection", std::string(100, 'v'));
  map.add("Content-Type", "application/octet-stream");
  const char* slot_name = map[0].name.data();
  recycle_header_map(std::move(map));
  HeaderMap again = take_header_map();
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(again.slot_count(), 2u);
  // Filling it reuses the slot's string: no allocation for the field.
  again.add("X-Upstream-Connection", "1");
  EXPECT_EQ(again[0].name.data(), slot_name);
  EXPECT_EQ(again.size(), 1u);
  EXPECT_EQ(*again.find("x-upstream-connection"), "1");
}

TEST(HeaderMapPoolTest, TakeFromAnEmptyPoolGivesANewMap) {
  drain_pool();
  HeaderMap map = take_header_map();
  EXPECT_TRUE(map.empty());
  EXPECT_EQ(map.slot_count(), 0u);
}

TEST(HeaderMapPoolTest, KeepsAFewOrdinaryMapsOnly) {
  drain_pool();
  for (int i = 0; i < 10; ++i) {
    HeaderMap map;
    map.add("A", "1");
    recycle_header_map(std::move(map));
  }
  HeaderMap huge;
  for (int i = 0; i < 200; ++i) huge.add(std::string("F").append(std::to_string(i)), "v");
  recycle_header_map(std::move(huge));  // too many slots to keep
  recycle_header_map(HeaderMap{});      // nothing to keep
  int pooled = 0;
  while (take_header_map().slot_count() == 1) ++pooled;
  EXPECT_GT(pooled, 0);
  EXPECT_LE(pooled, 8);
}

TEST(HeaderMapPoolTest, EachThreadHasItsOwnPool) {
  drain_pool();
  HeaderMap map;
  map.add("A", "1");
  recycle_header_map(std::move(map));
  std::size_t other_slots = 99;
  std::thread([&] { other_slots = take_header_map().slot_count(); }).join();
  EXPECT_EQ(other_slots, 0u);
  EXPECT_EQ(take_header_map().slot_count(), 1u);
}

}  // namespace
}  // namespace gatehouse::http
