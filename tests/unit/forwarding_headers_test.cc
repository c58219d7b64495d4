#include "proxy/server/forwarding_headers.h"

#include <gtest/gtest.h>

namespace gatehouse {
namespace {

using boost::asio::ip::make_address;

std::vector<Cidr> cidrs(std::initializer_list<const char*> texts) {
  std::vector<Cidr> out;
  for (const char* t : texts) out.push_back(*Cidr::parse(t));
  return out;
}

TEST(ForwardingHeadersTest, RemovesHopByHopFieldsAndThoseNamedByConnection) {
  http::HeaderMap h;
  h.add("Host", "a");
  h.add("Connection", "close, X-Hop, keep-alive");
  h.add("X-Hop", "1");
  h.add("Keep-Alive", "timeout=5");
  h.add("TE", "trailers");
  h.add("Trailer", "X");
  h.add("Transfer-Encoding", "chunked");
  h.add("Upgrade", "websocket");
  h.add("Proxy-Authorization", "secret");
  h.add("Content-Length", "3");
  h.add("X-Keep", "yes");
  remove_hop_by_hop(h);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].name, "Host");
  EXPECT_EQ(h[1].name, "Content-Length");
  EXPECT_EQ(h[2].name, "X-Keep");
}

TEST(ForwardingHeadersTest, UntrustedPeerReplacesForwardedHeaders) {
  http::HeaderMap h;
  h.add("Host", "shop.example");
  h.add("X-Forwarded-For", "6.6.6.6");
  h.add("X-Forwarded-Proto", "https");
  h.add("X-Forwarded-Host", "evil.example");
  auto peer = make_address("10.1.2.3");
  add_forwarded_headers(h, {.peer = peer, .peer_text = "10.1.2.3", .peer_trusted = false, .proto = "http"});
  EXPECT_EQ(*h.find("x-forwarded-for"), "10.1.2.3");
  EXPECT_EQ(*h.find("x-forwarded-proto"), "http");
  EXPECT_EQ(*h.find("x-forwarded-host"), "shop.example");
  EXPECT_EQ(*h.find("via"), "1.1 gatehouse");
}

TEST(ForwardingHeadersTest, TrustedPeerExtendsTheChain) {
  http::HeaderMap h;
  h.add("Host", "shop.example");
  h.add("X-Forwarded-For", "1.1.1.1");
  h.add("X-Forwarded-For", "2.2.2.2");
  h.add("X-Forwarded-Proto", "https");
  h.add("Via", "1.1 edge");
  auto peer = make_address("10.0.0.1");
  add_forwarded_headers(h, {.peer = peer, .peer_text = "10.0.0.1", .peer_trusted = true, .proto = "http"});
  EXPECT_EQ(*h.find("x-forwarded-for"), "1.1.1.1, 2.2.2.2, 10.0.0.1");
  EXPECT_EQ(h.count("x-forwarded-for"), 1u);
  EXPECT_EQ(*h.find("x-forwarded-proto"), "https");
  EXPECT_EQ(*h.find("x-forwarded-host"), "shop.example");
  EXPECT_EQ(*h.find("via"), "1.1 edge, 1.1 gatehouse");
}

TEST(ForwardingHeadersTest, TrustedPeerCopiesHostEvenWhenTheMapGrows) {
  http::HeaderMap h;  // one field: adding X-Forwarded-For reallocates the slots
  h.add("Host", "a-rather-long-host-name.example");
  auto peer = make_address("10.0.0.1");
  add_forwarded_headers(h, {.peer = peer, .peer_text = "10.0.0.1", .peer_trusted = true, .proto = "http"});
  EXPECT_EQ(*h.find("x-forwarded-host"), "a-rather-long-host-name.example");
  EXPECT_EQ(*h.find("x-forwarded-for"), "10.0.0.1");
}

TEST(ForwardingHeadersTest, ClientAddressSkipsTrustedHopsFromTheRight) {
  http::HeaderMap h;
  h.add("X-Forwarded-For", "203.0.113.9, 198.51.100.7, 10.0.0.5");
  auto trusted = cidrs({"10.0.0.0/8"});
  std::string out;
  client_address(h, make_address("10.0.0.1"), "10.0.0.1", trusted, out);
  EXPECT_EQ(out, "198.51.100.7");
}

TEST(ForwardingHeadersTest, ClientAddressIgnoresHeadersFromUntrustedPeers) {
  http::HeaderMap h;
  h.add("X-Forwarded-For", "203.0.113.9");
  auto trusted = cidrs({"10.0.0.0/8"});
  std::string out;
  client_address(h, make_address("192.0.2.1"), "192.0.2.1", trusted, out);
  EXPECT_EQ(out, "192.0.2.1");
}

TEST(ForwardingHeadersTest, ClientAddressFallsBackToPeerOnGarbage) {
  http::HeaderMap h;
  h.add("X-Forwarded-For", "not-an-ip");
  auto trusted = cidrs({"127.0.0.1/32"});
  std::string out;
  client_address(h, make_address("127.0.0.1"), "127.0.0.1", trusted, out);
  EXPECT_EQ(out, "127.0.0.1");
}

}  // namespace
}  // namespace gatehouse
