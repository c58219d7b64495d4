#include "proxy/common/request_id.h"

#include <bit>
#include <cstring>
#include <random>

namespace gatehouse {

RequestIdGenerator::RequestIdGenerator() {
  std::random_device seed;
  state_[0] = (static_cast<std::uint64_t>(seed()) << 32) | seed();
  state_[1] = (static_cast<std::uint64_t>(seed()) << 32) | seed() | 1;
}

// xorshift128+: fast, and good enough for unique identifiers.
std::uint64_t RequestIdGenerator::next64() noexcept {
  std::uint64_t s1 = state_[0];
  const std::uint64_t s0 = state_[1];
  state_[0] = s0;
  s1 ^= s1 << 23;
  state_[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
  return state_[1] + s0;
}

namespace {

// Writes the 8 hex digits of `v` at `out`, all at once: each nibble is
// spread into a byte of its own (most significant first, as the text reads),
// then turned into '0'..'9' or 'a'..'f' in every byte together. This runs for
// every request; a digit at a time costs ~4 times the instructions.
void put_hex8(char* out, std::uint32_t v) noexcept {
  std::uint64_t x = v;
  x = (x | (x << 16)) & 0x0000ffff0000ffffULL;
  x = (x | (x << 8)) & 0x00ff00ff00ff00ffULL;
  x = (x | (x << 4)) & 0x0f0f0f0f0f0f0f0fULL;
  // 1 in each byte whose nibble is 10 or more: those get 'a' - '0' - 10
  // more. No byte carries into the next (every sum stays below 256).
  const std::uint64_t letters = ((x + 0x0606060606060606ULL) >> 4) & 0x0101010101010101ULL;
  x += 0x3030303030303030ULL + letters * ('a' - '0' - 10);
  if constexpr (std::endian::native == std::endian::little) x = __builtin_bswap64(x);
  std::memcpy(out, &x, sizeof x);
}

}  // namespace

void RequestIdGenerator::next(std::string& out) {
  std::uint64_t hi = next64();
  std::uint64_t lo = next64();
  // Version 4 and RFC 4122 variant bits.
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  // 32 digits, then placed 8-4-4-4-12 (a string of the same size is not
  // reallocated, and memcpy into a local pointer needs no reloads).
  char digits[32];
  put_hex8(digits, static_cast<std::uint32_t>(hi >> 32));
  put_hex8(digits + 8, static_cast<std::uint32_t>(hi));
  put_hex8(digits + 16, static_cast<std::uint32_t>(lo >> 32));
  put_hex8(digits + 24, static_cast<std::uint32_t>(lo));
  out.resize(36);
  char* const text = out.data();
  std::memcpy(text, digits, 8);
  text[8] = '-';
  std::memcpy(text + 9, digits + 8, 4);
  text[13] = '-';
  std::memcpy(text + 14, digits + 12, 4);
  text[18] = '-';
  std::memcpy(text + 19, digits + 16, 4);
  text[23] = '-';
  std::memcpy(text + 24, digits + 20, 12);
}

bool is_acceptable_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 200) return false;
  for (char c : id) {
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}

}  // namespace gatehouse
