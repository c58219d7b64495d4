#include "proxy/common/request_id.h"

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

void RequestIdGenerator::next(std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t hi = next64();
  std::uint64_t lo = next64();
  // Version 4 and RFC 4122 variant bits.
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  out.resize(36);
  int pos = 0;
  auto put = [&](std::uint64_t v, int nibbles) {
    for (int i = nibbles - 1; i >= 0; --i) out[pos++] = kHex[(v >> (i * 4)) & 0xf];
  };
  put(hi >> 32, 8);
  out[pos++] = '-';
  put((hi >> 16) & 0xffff, 4);
  out[pos++] = '-';
  put(hi & 0xffff, 4);
  out[pos++] = '-';
  put(lo >> 48, 4);
  out[pos++] = '-';
  put(lo & 0xffffffffffffULL, 12);
}

bool is_acceptable_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 200) return false;
  for (char c : id) {
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}

}  // namespace gatehouse
