#include "proxy/common/cidr.h"

#include <gtest/gtest.h>

namespace gatehouse {
namespace {

boost::asio::ip::address addr(const char* text) { return boost::asio::ip::make_address(text); }

Cidr cidr(const char* text) {
  std::optional<Cidr> c = Cidr::parse(text);
  EXPECT_TRUE(c.has_value()) << text;
  return c.value_or(*Cidr::parse("255.255.255.255"));
}

TEST(CidrTest, ParsesNetworksAndBareAddresses) {
  EXPECT_EQ(cidr("10.0.0.0/8").to_string(), "10.0.0.0/8");
  EXPECT_EQ(cidr("192.168.1.7").to_string(), "192.168.1.7/32");
  EXPECT_EQ(cidr("0.0.0.0/0").to_string(), "0.0.0.0/0");
  EXPECT_EQ(cidr("::1").to_string(), "::1/128");
  EXPECT_EQ(cidr("2001:DB8::/32").to_string(), "2001:db8::/32");
  EXPECT_EQ(cidr("::/0").to_string(), "::/0");
  EXPECT_EQ(cidr("10.0.0.0/8").prefix_length(), 8u);
  EXPECT_EQ(cidr("10.0.0.0/8").network(), addr("10.0.0.0"));
}

TEST(CidrTest, ClearsHostBits) {
  EXPECT_EQ(cidr("10.1.2.3/8").to_string(), "10.0.0.0/8");
  EXPECT_EQ(cidr("192.168.1.255/25").to_string(), "192.168.1.128/25");
  EXPECT_EQ(cidr("2001:db8::1/64").to_string(), "2001:db8::/64");
}

TEST(CidrTest, RejectsBadInput) {
  for (const char* bad : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8",
                          "10.0.0.0/08", "10.0.0.0/8/8", "10.0.0.0/ 8", "10.0.0/8", "10.0.0.256",
                          "::1/129", "::1/1000", "fe80::1%eth0", "example.com", "10.0.0.0/8 ",
                          " 10.0.0.0/8", "10.0.0.0/a"}) {
    EXPECT_EQ(Cidr::parse(bad), std::nullopt) << bad;
  }
}

TEST(CidrTest, MatchesIpv4) {
  const Cidr net = cidr("10.0.0.0/8");
  EXPECT_TRUE(net.contains(addr("10.0.0.0")));
  EXPECT_TRUE(net.contains(addr("10.255.255.255")));
  EXPECT_FALSE(net.contains(addr("11.0.0.0")));
  EXPECT_FALSE(net.contains(addr("9.255.255.255")));
  EXPECT_TRUE(cidr("0.0.0.0/0").contains(addr("203.0.113.9")));
  EXPECT_TRUE(cidr("192.168.1.7").contains(addr("192.168.1.7")));
  EXPECT_FALSE(cidr("192.168.1.7").contains(addr("192.168.1.8")));
  EXPECT_TRUE(cidr("192.168.1.128/25").contains(addr("192.168.1.200")));
  EXPECT_FALSE(cidr("192.168.1.128/25").contains(addr("192.168.1.127")));
  EXPECT_FALSE(net.contains(addr("::1")));  // an IPv6 address is not in an IPv4 network
}

TEST(CidrTest, MatchesIpv6) {
  const Cidr net = cidr("2001:db8::/32");
  EXPECT_TRUE(net.contains(addr("2001:db8::1")));
  EXPECT_TRUE(net.contains(addr("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(net.contains(addr("2001:db9::")));
  EXPECT_TRUE(cidr("::1").contains(addr("::1")));
  EXPECT_FALSE(cidr("::1").contains(addr("::2")));
  EXPECT_TRUE(cidr("fd00::/7").contains(addr("fdff::1")));
  EXPECT_FALSE(cidr("fd00::/8").contains(addr("fe00::1")));
  EXPECT_FALSE(cidr("::/0").contains(addr("10.0.0.1")));  // an IPv4 address is not in IPv6 space
}

TEST(CidrTest, V4MappedClientsMatchIpv4Networks) {
  // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d.
  EXPECT_TRUE(cidr("10.0.0.0/8").contains(addr("::ffff:10.1.2.3")));
  EXPECT_FALSE(cidr("10.0.0.0/8").contains(addr("::ffff:11.1.2.3")));
  EXPECT_TRUE(cidr("127.0.0.1").contains(addr("::ffff:127.0.0.1")));
  // A network written v4-mapped is the IPv4 network and matches both forms.
  const Cidr mapped = cidr("::ffff:10.0.0.0/104");
  EXPECT_EQ(mapped.to_string(), "10.0.0.0/8");
  EXPECT_TRUE(mapped.contains(addr("10.2.3.4")));
  EXPECT_TRUE(mapped.contains(addr("::ffff:10.2.3.4")));
  // Shorter than /96 it covers more than IPv4 space and stays IPv6.
  EXPECT_EQ(cidr("::ffff:0.0.0.0/80").to_string(), "::/80");
}

TEST(CidrTest, AnyContains) {
  const std::vector<Cidr> nets = {cidr("10.0.0.0/8"), cidr("::1")};
  EXPECT_TRUE(any_contains(nets, addr("10.9.9.9")));
  EXPECT_TRUE(any_contains(nets, addr("::1")));
  EXPECT_TRUE(any_contains(nets, addr("::ffff:10.0.0.1")));
  EXPECT_FALSE(any_contains(nets, addr("192.0.2.1")));
  EXPECT_FALSE(any_contains({}, addr("10.0.0.1")));
}

}  // namespace
}  // namespace gatehouse
