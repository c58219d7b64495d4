#include "proxy/common/cidr.h"

#include <array>
#include <charconv>

namespace gatehouse {
namespace {

namespace ip = boost::asio::ip;

template <std::size_t N>
void clear_host_bits(std::array<unsigned char, N>& bytes, unsigned prefix) {
  for (std::size_t i = 0; i < N; ++i) {
    const unsigned bit = static_cast<unsigned>(i) * 8;
    if (bit >= prefix) bytes[i] = 0;
    else if (prefix - bit < 8) bytes[i] &= static_cast<unsigned char>(0xff << (8 - (prefix - bit)));
  }
}

template <std::size_t N>
bool prefix_equal(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b,
                  unsigned prefix) {
  std::array<unsigned char, N> x = a, y = b;
  clear_host_bits(x, prefix);
  clear_host_bits(y, prefix);
  return x == y;
}

}  // namespace

std::optional<Cidr> Cidr::parse(std::string_view text) {
  std::string_view addr_text = text;
  std::optional<unsigned> prefix;
  if (const std::size_t slash = text.find('/'); slash != std::string_view::npos) {
    addr_text = text.substr(0, slash);
    const std::string_view digits = text.substr(slash + 1);
    // Plain decimal only: no sign, no spaces, no leading zeros.
    if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits[0] == '0'))
      return std::nullopt;
    unsigned value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    prefix = value;
  }
  // Scope ids ("fe80::1%eth0") name an interface, not a network.
  if (addr_text.empty() || addr_text.find('%') != std::string_view::npos) return std::nullopt;

  boost::system::error_code ec;
  ip::address addr = ip::make_address(std::string(addr_text), ec);
  if (ec) return std::nullopt;

  Cidr out;
  if (addr.is_v4()) {
    const unsigned p = prefix.value_or(32);
    if (p > 32) return std::nullopt;
    auto bytes = addr.to_v4().to_bytes();
    clear_host_bits(bytes, p);
    out.network_ = ip::address_v4(bytes);
    out.prefix_ = p;
    return out;
  }
  const ip::address_v6 v6 = addr.to_v6();
  const unsigned p = prefix.value_or(128);
  if (p > 128) return std::nullopt;
  if (v6.is_v4_mapped() && p >= 96) {
    auto bytes = ip::make_address_v4(ip::v4_mapped, v6).to_bytes();
    clear_host_bits(bytes, p - 96);
    out.network_ = ip::address_v4(bytes);
    out.prefix_ = p - 96;
    return out;
  }
  auto bytes = v6.to_bytes();
  clear_host_bits(bytes, p);
  out.network_ = ip::address_v6(bytes);
  out.prefix_ = p;
  return out;
}

bool Cidr::contains(const ip::address& addr) const noexcept {
  if (network_.is_v4()) {
    ip::address_v4 v4;
    if (addr.is_v4()) {
      v4 = addr.to_v4();
    } else if (addr.to_v6().is_v4_mapped()) {
      v4 = ip::make_address_v4(ip::v4_mapped, addr.to_v6());
    } else {
      return false;
    }
    return prefix_equal(v4.to_bytes(), network_.to_v4().to_bytes(), prefix_);
  }
  if (!addr.is_v6()) return false;
  return prefix_equal(addr.to_v6().to_bytes(), network_.to_v6().to_bytes(), prefix_);
}

std::string Cidr::to_string() const {
  return network_.to_string() + "/" + std::to_string(prefix_);
}

bool any_contains(const std::vector<Cidr>& networks, const ip::address& addr) noexcept {
  for (const Cidr& network : networks)
    if (network.contains(addr)) return true;
  return false;
}

}  // namespace gatehouse
