#pragma once
// Per-thread recycling of what a worker makes and drops once per request:
// blocks of one class's size (ThreadRecycled) and blocks of varying sizes
// (RecycledBlocks). The worker's next request takes them back instead of
// paying a malloc and a free each (with glibc ~150 instructions a pair, far
// more for blocks past its small-size caches; a recycled one costs 20-90).
//
// Contract: any thread may take or give; what a thread gives joins that
// thread's stock, which is bounded (kKeep) and freed when the thread exits
// (what is given while it exits, after that, is freed at once).
// Under AddressSanitizer nothing is recycled, so that a use after free is
// still reported.

#include <array>
#include <bit>
#include <cstddef>
#include <new>
#include <utility>

#include "proxy/common/prefetch.h"

namespace gatehouse {
namespace thread_recycled_detail {

// Calls `reap` when the thread that armed it exits; arming again on that
// thread does nothing more.
template <void (*reap)() noexcept>
struct ThreadExitCall {
  ThreadExitCall() = default;
  ThreadExitCall(const ThreadExitCall&) = delete;
  ThreadExitCall& operator=(const ThreadExitCall&) = delete;
  ~ThreadExitCall() { reap(); }
};
template <void (*reap)() noexcept>
void call_at_thread_exit() noexcept {
  thread_local ThreadExitCall<reap> call;
}

}  // namespace thread_recycled_detail

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kRecycleAllocations = false;
#else
inline constexpr bool kRecycleAllocations = true;
#endif

// Derive `T` from ThreadRecycled<T> (public, any position): `new T` and
// `delete` of a T, also through a base with a virtual destructor, take and
// give blocks of sizeof(T) from the calling thread's stock. Blocks of other
// sizes (a class derived from T) go to the global operators.
template <typename T, std::size_t kKeep = 64>
class ThreadRecycled {
 public:
  static void* operator new(std::size_t size) {
    // A stocked block holds the link to the next; an over-aligned T would
    // need the aligned forms, which this does not provide.
    static_assert(sizeof(T) >= sizeof(Block) && alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
    if (kRecycleAllocations && size == sizeof(T)) {
      Stock& stock = stock_of_this_thread();
      if (stock.head != nullptr) {
        Block* block = stock.head;
        stock.head = block->next;
        --stock.count;
        return block;
      }
    }
    return ::operator new(size);
  }
  static void operator delete(void* p, std::size_t size) noexcept {
    if (kRecycleAllocations && size == sizeof(T)) {
      Stock& stock = stock_of_this_thread();
      if (!stock.closed && stock.count < kKeep) {
        if (!stock.reaper_armed) {
          stock.reaper_armed = true;
          arm_reaper();
        }
        stock.head = ::new (p) Block{stock.head};
        ++stock.count;
        return;
      }
    }
    ::operator delete(p, size);
  }

 private:
  struct Block {
    Block* next;
  };
  // Trivially destructible, so that it stays usable while its thread exits,
  // whatever is destroyed in which order then.
  struct Stock {
    Block* head = nullptr;
    std::size_t count = 0;
    bool reaper_armed = false;
    bool closed = false;  // the reaper ran: blocks go to the global operators
  };
  static Stock& stock_of_this_thread() noexcept {
    thread_local Stock stock;
    return stock;
  }
  // Frees the stock when its thread exits.
  static void reap() noexcept {
    Stock& stock = stock_of_this_thread();
    stock.closed = true;
    while (stock.head != nullptr) ::operator delete(std::exchange(stock.head, stock.head->next), sizeof(T));
    stock.count = 0;
  }
  static void arm_reaper() noexcept { thread_recycled_detail::call_at_thread_exit<&ThreadRecycled::reap>(); }
};

// Blocks of varying sizes that a thread frees and soon allocates again at
// about the same size: a full cache's evicted entry, freed by the worker
// whose insert evicted it, and the next response that worker stores.
// block_size() rounds a size up to its class (16-byte steps up to 256, then
// sixteenths of the power of two at or below it: at most 1/16 more; past
// kMaxSize, which is never kept, 16-byte steps again), so blocks asked for a
// few bytes apart are of one size; take() and give() deal in such sizes only.
//
// Contract: take(size) returns a block of `size` bytes for ::operator delete
// or give(), from this thread's stock when it holds one of exactly that
// size, else from ::operator new. give(p, size) keeps `p` (a block of `size`
// bytes) in this thread's stock, which holds kKeep blocks of at most
// kMaxSize bytes (a new one replaces the one given longest ago, which is
// freed), and prefetches p's first kPrefetchBytes for writing. Blocks given
// while the thread exits are freed at once.
class RecycledBlocks {
 public:
  static constexpr std::size_t kKeep = 8;
  static constexpr std::size_t kMaxSize = 64 * 1024;
  // How many of a kept block's first bytes give() prefetches for writing.
  static constexpr std::size_t kPrefetchBytes = 4096;

  static constexpr std::size_t block_size(std::size_t size) noexcept {
    if (size <= 256 || size > kMaxSize) return (size + 15) & ~std::size_t{15};
    const std::size_t step = std::size_t{1} << (std::bit_width(size) - 5);
    return (size + step - 1) & ~(step - 1);
  }
  static void* take(std::size_t size) {
    if (kRecycleAllocations && size <= kMaxSize) {
      // Newest first: what was freed last is most often what is asked for next.
      Stock& stock = stock_of_this_thread();
      std::size_t at = stock.next;
      for (std::size_t i = 0; i < kKeep; ++i) {
        at = (at + kKeep - 1) % kKeep;
        Kept& kept = stock.blocks[at];
        if (kept.size == size) {
          kept.size = 0;
          return kept.block;
        }
      }
    }
    return ::operator new(size);
  }
  static void give(void* p, std::size_t size) noexcept {
    if (kRecycleAllocations && size <= kMaxSize && size > 0) {
      Stock& stock = stock_of_this_thread();
      if (!stock.closed) {
        if (!stock.reaper_armed) {
          stock.reaper_armed = true;
          arm_reaper();
        }
        Kept& slot = stock.blocks[stock.next];
        stock.next = (stock.next + 1) % kKeep;
        if (slot.size != 0) ::operator delete(slot.block, slot.size);
        slot = {p, size};
        // The next take() most likely overwrites it, and a block given back
        // is often cold (an evicted entry, last written a full store ago):
        // asked for now, its lines arrive while the thread does whatever it
        // does until then (the store bench, 256 MiB: ~600 → ~465 ns per
        // stored miss).
        prefetch_for_write(p, size < kPrefetchBytes ? size : kPrefetchBytes);
        return;
      }
    }
    ::operator delete(p, size);
  }

 private:
  struct Kept {
    void* block = nullptr;
    std::size_t size = 0;  // 0: the slot is empty
  };
  // Trivially destructible, so that it stays usable while its thread exits.
  struct Stock {
    std::array<Kept, kKeep> blocks{};
    std::size_t next = 0;
    bool reaper_armed = false;
    bool closed = false;
  };
  static Stock& stock_of_this_thread() noexcept {
    thread_local Stock stock;
    return stock;
  }
  // Frees the stock when its thread exits.
  static void reap() noexcept {
    Stock& stock = stock_of_this_thread();
    stock.closed = true;
    for (Kept& kept : stock.blocks) {
      if (kept.size != 0) ::operator delete(kept.block, kept.size);
      kept = {};
    }
  }
  static void arm_reaper() noexcept { thread_recycled_detail::call_at_thread_exit<&RecycledBlocks::reap>(); }
};

}  // namespace gatehouse
