#pragma once
// Copying and comparing the short byte runs of header names, values and
// cache-key parts, inline: for a few bytes, a call to the library's memcpy
// or memcmp costs more than the work. Overlapping loads and stores of 4 or
// 8 bytes cover each length up to 32 (copy) or 16 (compare) without a loop;
// longer runs go to the library.
//
// Contract: as memcpy(to, from, n) (no overlap) and memcmp(a, b, n) == 0;
// nothing outside the n bytes is read or written.

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace gatehouse {
namespace short_bytes_detail {

template <typename Word>
inline Word load(const char* p) noexcept {
  Word w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

template <typename Word>
inline void store(char* p, Word w) noexcept {
  std::memcpy(p, &w, sizeof w);
}

}  // namespace short_bytes_detail

inline void copy_short_bytes(char* to, const char* from, std::size_t n) noexcept {
  using short_bytes_detail::load;
  using short_bytes_detail::store;
  if (n > 32) {
    std::memcpy(to, from, n);
  } else if (n > 16) {
    // All four loaded before any store.
    const auto a = load<std::uint64_t>(from);
    const auto b = load<std::uint64_t>(from + 8);
    const auto c = load<std::uint64_t>(from + n - 16);
    const auto d = load<std::uint64_t>(from + n - 8);
    store(to, a);
    store(to + 8, b);
    store(to + n - 16, c);
    store(to + n - 8, d);
  } else if (n >= 8) {
    const auto head = load<std::uint64_t>(from);
    const auto tail = load<std::uint64_t>(from + n - 8);
    store(to, head);
    store(to + n - 8, tail);
  } else if (n >= 4) {
    const auto head = load<std::uint32_t>(from);
    const auto tail = load<std::uint32_t>(from + n - 4);
    store(to, head);
    store(to + n - 4, tail);
  } else {
    for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
  }
}

inline bool equal_short_bytes(const char* a, const char* b, std::size_t n) noexcept {
  using short_bytes_detail::load;
  if (n > 16) return std::memcmp(a, b, n) == 0;
  if (n >= 8) {
    return load<std::uint64_t>(a) == load<std::uint64_t>(b) &&
           load<std::uint64_t>(a + n - 8) == load<std::uint64_t>(b + n - 8);
  }
  if (n >= 4) {
    return load<std::uint32_t>(a) == load<std::uint32_t>(b) &&
           load<std::uint32_t>(a + n - 4) == load<std::uint32_t>(b + n - 4);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace gatehouse
