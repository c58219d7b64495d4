#pragma once
// Asking ahead, for writing, for memory a thread will soon write or release
// and that is likely cold: a full cache's next victims and the recycled
// blocks a fill is about to overwrite. Each cold line written would
// otherwise first be read from memory while the writer waits; asked for
// early, those reads overlap the work in between.
//
// Contract: a hint only. It reads and writes nothing and never faults, so
// the range may be stale (memory since freed or moved) or reach past an
// object's start or end: addresses are taken as integers for that reason.

#include <cstddef>
#include <cstdint>

namespace gatehouse {

inline constexpr std::uintptr_t kCacheLineBytes = 64;

// Every cache line that holds a byte of [begin, end), four lines a step
// (the loop's own instructions were most of its cost one line a step).
inline void prefetch_for_write(std::uintptr_t begin, std::uintptr_t end) noexcept {
  std::uintptr_t at = begin & ~(kCacheLineBytes - 1);
  for (; at + 3 * kCacheLineBytes < end; at += 4 * kCacheLineBytes) {
    __builtin_prefetch(reinterpret_cast<const void*>(at), 1, 3);
    __builtin_prefetch(reinterpret_cast<const void*>(at + kCacheLineBytes), 1, 3);
    __builtin_prefetch(reinterpret_cast<const void*>(at + 2 * kCacheLineBytes), 1, 3);
    __builtin_prefetch(reinterpret_cast<const void*>(at + 3 * kCacheLineBytes), 1, 3);
  }
  for (; at < end; at += kCacheLineBytes) __builtin_prefetch(reinterpret_cast<const void*>(at), 1, 3);
}

// The lines of the `bytes` bytes at `p`.
inline void prefetch_for_write(const void* p, std::size_t bytes) noexcept {
  const auto begin = reinterpret_cast<std::uintptr_t>(p);
  prefetch_for_write(begin, begin + bytes);
}

}  // namespace gatehouse
