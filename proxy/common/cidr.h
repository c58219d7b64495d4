#pragma once
// An IPv4 or IPv6 network in CIDR notation ("10.0.0.0/8", "::1/128"; a bare
// address means a single host).

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

 private:
  boost::asio::ip::address network_;
  unsigned prefix_ = 0;
};

bool any_contains(const std::vector<Cidr>& networks, const boost::asio::ip::address& addr) noexcept;

}  // namespace gatehouse
