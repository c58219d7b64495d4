// Per-thread recycling (proxy/common/thread_recycled.h): what a thread gives
// back, it takes again, within bounds; nothing else changes hands.

#include "proxy/common/thread_recycled.h"

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace gatehouse {
namespace {

struct Recycled : ThreadRecycled<Recycled, 4> {
  virtual ~Recycled() = default;
  char bytes[40] = {};
};
struct Bigger final : Recycled {
  char more[64] = {};
};

TEST(ThreadRecycledTest, AThreadTakesBackTheBlocksItGaveUpToItsBound) {
  if (!kRecycleAllocations) GTEST_SKIP() << "not recycled under AddressSanitizer";
  std::vector<std::unique_ptr<Recycled>> made;
  std::set<const void*> given;
  for (int i = 0; i < 6; ++i) made.push_back(std::make_unique<Recycled>());
  for (std::size_t i = 0; i < made.size(); ++i) {
    if (i < 4) given.insert(made[i].get());  // the bound is 4: the last two are freed
    made[i].reset();
  }
  std::set<const void*> taken;
  for (int i = 0; i < 4; ++i) {
    made[static_cast<std::size_t>(i)] = std::make_unique<Recycled>();
    taken.insert(made[static_cast<std::size_t>(i)].get());
  }
  EXPECT_EQ(taken, given);
  // Through the base's virtual destructor, a derived class's block is of
  // another size: it is not stocked, and not handed out as a Recycled.
  std::unique_ptr<Recycled> derived = std::make_unique<Bigger>();
  const void* derived_block = derived.get();
  made.clear();     // 4 blocks back in stock
  derived.reset();  // to the global allocator
  for (int i = 0; i < 4; ++i) {
    made.push_back(std::make_unique<Recycled>());
    EXPECT_TRUE(given.count(made.back().get())) << i;
    EXPECT_NE(made.back().get(), derived_block);
  }
}

TEST(ThreadRecycledTest, BlocksGivenOnAnotherThreadStayInItsStock) {
  if (!kRecycleAllocations) GTEST_SKIP() << "not recycled under AddressSanitizer";
  auto here = std::make_unique<Recycled>();
  const void* block = here.get();
  here.reset();  // in this thread's stock
  std::thread([] {
    auto there = std::make_unique<Recycled>();  // not this thread's block
    there.reset();
  }).join();
  auto again = std::make_unique<Recycled>();
  EXPECT_EQ(again.get(), block);
}

// Empties this thread's stock (other tests on the thread may have given).
void drain_strings() {
  while (RecycledStrings::take().capacity() > std::string().capacity()) {
  }
}

TEST(RecycledStringsTest, ABufferGivenBackIsTakenAgainEmpty) {
  if (!kRecycleAllocations) GTEST_SKIP() << "not recycled under AddressSanitizer";
  drain_strings();
  std::string key(100, 'k');
  const char* buffer = key.data();
  const std::size_t capacity = key.capacity();
  RecycledStrings::give(std::move(key));
  std::string taken = RecycledStrings::take();
  EXPECT_TRUE(taken.empty());
  EXPECT_EQ(taken.capacity(), capacity);
  EXPECT_EQ(taken.data(), buffer);
  // Nothing more in stock: a new empty string.
  EXPECT_EQ(RecycledStrings::take().capacity(), std::string().capacity());
}

TEST(RecycledStringsTest, ShortAndHugeStringsAreNotKeptAndTheStockIsBounded) {
  if (!kRecycleAllocations) GTEST_SKIP() << "not recycled under AddressSanitizer";
  drain_strings();
  RecycledStrings::give(std::string("short"));  // its bytes are inline: nothing to keep
  RecycledStrings::give(std::string(RecycledStrings::kMaxCapacity + 1, 'x'));
  EXPECT_EQ(RecycledStrings::take().capacity(), std::string().capacity());

  for (std::size_t i = 0; i < RecycledStrings::kKeep + 5; ++i) RecycledStrings::give(std::string(64, 'x'));
  std::size_t kept = 0;
  while (RecycledStrings::take().capacity() >= 64) ++kept;
  EXPECT_EQ(kept, RecycledStrings::kKeep);
}

}  // namespace
}  // namespace gatehouse
