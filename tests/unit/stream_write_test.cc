// tls::Stream::async_write on a plain TCP connection: one send() at once,
// the rest (when the socket buffer is full) asynchronously.

#include "proxy/tls/stream.h"

#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>

namespace gatehouse::tls {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

struct ConnectedPair {
  explicit ConnectedPair(asio::io_context& io) : client(io), server(io) {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    client.connect(acceptor.local_endpoint());
    server = acceptor.accept();
  }
  tcp::socket client;
  tcp::socket server;
};

std::string random_bytes(std::size_t n) {
  std::mt19937 gen(7);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(gen());
  return out;
}

TEST(StreamWriteTest, TheHandlerRunsLaterWithEveryByteCounted) {
  asio::io_context io;
  ConnectedPair pair(io);
  Stream stream(std::move(pair.server));
  const std::string head = "head;";
  const std::string body = "body";
  std::size_t written = 0;
  bool called = false;
  std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(body)};
  stream.async_write(buffers, [&](const boost::system::error_code& ec, std::size_t n) {
    EXPECT_FALSE(ec);
    called = true;
    written = n;
  });
  EXPECT_FALSE(called);  // never within the initiating call
  io.run();
  EXPECT_TRUE(called);
  EXPECT_EQ(written, head.size() + body.size());
  std::string received(head.size() + body.size(), '\0');
  asio::read(pair.client, asio::buffer(received));
  EXPECT_EQ(received, "head;body");
}

// More than the socket buffers hold: the first send() takes part of it, the
// rest goes once the reader makes room, in order, with nothing lost or sent
// twice, across the boundary between the two buffers too.
TEST(StreamWriteTest, WhatTheSocketDidNotTakeFollowsInOrder) {
  asio::io_context io;
  ConnectedPair pair(io);
  pair.server.set_option(asio::socket_base::send_buffer_size(16 * 1024));
  pair.client.set_option(asio::socket_base::receive_buffer_size(16 * 1024));
  Stream stream(std::move(pair.server));
  const std::string first = random_bytes(3000);
  const std::string second = random_bytes(4 * 1024 * 1024);
  std::array<asio::const_buffer, 2> buffers{asio::buffer(first), asio::buffer(second)};
  std::size_t written = 0;
  boost::system::error_code result = asio::error::would_block;
  stream.async_write(buffers, [&](const boost::system::error_code& ec, std::size_t n) {
    result = ec;
    written = n;
  });
  std::string received(first.size() + second.size(), '\0');
  asio::async_read(pair.client, asio::buffer(received), [](const boost::system::error_code& ec, std::size_t) {
    EXPECT_FALSE(ec);
  });
  io.run();
  EXPECT_FALSE(result);
  EXPECT_EQ(written, first.size() + second.size());
  EXPECT_TRUE(received == first + second);
}

TEST(StreamWriteTest, AClosedPeerIsAnErrorNotAHang) {
  asio::io_context io;
  ConnectedPair pair(io);
  Stream stream(std::move(pair.server));
  pair.client.set_option(asio::socket_base::linger(true, 0));  // close with RST
  pair.client.close();
  const std::string data = random_bytes(8 * 1024 * 1024);
  boost::system::error_code result;
  bool called = false;
  // The first write may still be taken by the kernel; the next ones meet
  // the reset.
  std::function<void(int)> write = [&](int left) {
    stream.async_write(asio::buffer(data), [&, left](const boost::system::error_code& ec, std::size_t) {
      if (!ec && left > 0) {
        write(left - 1);
        return;
      }
      called = true;
      result = ec;
    });
  };
  write(8);
  io.run();
  EXPECT_TRUE(called);
  EXPECT_TRUE(result);
}

}  // namespace
}  // namespace gatehouse::tls
