// Per-thread recycling (proxy/common/thread_recycled.h): what a thread gives
// back, it takes again, within bounds; nothing else changes hands.

#include "proxy/common/thread_recycled.h"

#include <algorithm>
#include <memory>
#include <set>
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

TEST(RecycledBlocksTest, BlockSizesRoundUpToClassesAtMostASixteenthLarger) {
  std::size_t previous = 0;
  for (std::size_t size = 1; size <= 2 * RecycledBlocks::kMaxSize; ++size) {
    const std::size_t block = RecycledBlocks::block_size(size);
    ASSERT_GE(block, size);
    ASSERT_EQ(block % 16, 0u) << size;
    // Blocks too large to keep are not rounded up beyond malloc's steps.
    ASSERT_LE(block - size, size > RecycledBlocks::kMaxSize ? 15 : std::max<std::size_t>(15, size / 16)) << size;
    ASSERT_GE(block, previous) << size;  // monotonic
    ASSERT_EQ(RecycledBlocks::block_size(block), block) << size;
    previous = block;
  }
  // Entries a few bytes apart share a class.
  EXPECT_EQ(RecycledBlocks::block_size(1401), RecycledBlocks::block_size(1408));
  EXPECT_EQ(RecycledBlocks::block_size(1401), 1408u);
  EXPECT_EQ(RecycledBlocks::block_size(1409), 1472u);
}

// Empties this thread's block stock.
void drain_blocks(const std::vector<std::size_t>& sizes) {
  for (std::size_t size : sizes) {
    for (std::size_t i = 0; i < RecycledBlocks::kKeep; ++i) ::operator delete(RecycledBlocks::take(size), size);
  }
}

TEST(RecycledBlocksTest, ABlockIsTakenAgainOnlyAtItsOwnSizeAndTheStockKeepsTheNewest) {
  if (!kRecycleAllocations) GTEST_SKIP() << "not recycled under AddressSanitizer";
  std::vector<std::size_t> sizes;
  for (std::size_t i = 0; i < RecycledBlocks::kKeep + 2; ++i) sizes.push_back(RecycledBlocks::block_size(512 + 64 * i));
  drain_blocks(sizes);

  void* small = RecycledBlocks::take(sizes[0]);
  RecycledBlocks::give(small, sizes[0]);
  void* other = RecycledBlocks::take(sizes[1]);  // another size: not the kept block
  EXPECT_NE(other, small);
  EXPECT_EQ(RecycledBlocks::take(sizes[0]), small);
  RecycledBlocks::give(other, sizes[1]);
  RecycledBlocks::give(small, sizes[0]);

  // kKeep + 2 blocks of as many sizes: the newest kKeep are kept.
  drain_blocks(sizes);
  std::vector<void*> given;
  for (std::size_t size : sizes) given.push_back(RecycledBlocks::take(size));
  for (std::size_t i = 0; i < sizes.size(); ++i) RecycledBlocks::give(given[i], sizes[i]);
  for (std::size_t i = sizes.size(); i-- > 2;) {
    void* taken = RecycledBlocks::take(sizes[i]);
    EXPECT_EQ(taken, given[i]) << i;
    ::operator delete(taken, sizes[i]);
  }
}

TEST(RecycledBlocksTest, BlocksGivenOnAnotherThreadStayInItsStock) {
  if (!kRecycleAllocations) GTEST_SKIP() << "not recycled under AddressSanitizer";
  const std::size_t size = RecycledBlocks::block_size(3000);
  drain_blocks({size});
  void* here = RecycledBlocks::take(size);
  RecycledBlocks::give(here, size);
  std::thread([size] {
    void* there = RecycledBlocks::take(size);  // not this thread's block
    RecycledBlocks::give(there, size);         // freed when the thread exits
  }).join();
  EXPECT_EQ(RecycledBlocks::take(size), here);
  ::operator delete(here, size);
}

}  // namespace
}  // namespace gatehouse
