#pragma once
// An IPv4 or IPv6 network in CIDR notation ("10.0.0.0/8", "::1/128"; a bare
// address means a single host). Host bits below the prefix are cleared by
// parse() ("10.1.2.3/8" is 10.0.0.0/8); the config loader rejects such input
// so that a typo does not silently widen a network. An IPv4-mapped IPv6
// network ("::ffff:10.0.0.0/104") is stored as its IPv4 equivalent.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace gatehouse {

class Cidr {
 public:
  // nullopt when `text` is not a valid address or prefix length.
  static std::optional<Cidr> parse(std::string_view text);

  // IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) match IPv4 networks.
  bool contains(const boost::asio::ip::address& addr) const noexcept;
  std::string to_string() const;

  // The network address (host bits cleared; IPv4 for a v4-mapped network).
  const boost::asio::ip::address& network() const noexcept { return network_; }
  unsigned prefix_length() const noexcept { return prefix_; }

 private:
  boost::asio::ip::address network_;
  unsigned prefix_ = 0;
};

bool any_contains(const std::vector<Cidr>& networks, const boost::asio::ip::address& addr) noexcept;

}  // namespace gatehouse
