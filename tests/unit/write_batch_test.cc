#include "proxy/server/write_batch.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

namespace gatehouse {
namespace {

std::string flatten(WriteBatch& batch) {
  std::string out;
  for (const auto& b : batch.buffers()) out.append(static_cast<const char*>(b.data()), b.size());
  return out;
}

TEST(WriteBatchTest, ChunkedBodyGetsSizeLinesAndTerminator) {
  WriteBatch batch;
  std::string head = "HEAD\r\n";
  batch.add_view(head);
  std::string big(300, 'x');  // body bytes are viewed, not copied: keep them alive
  batch.add_body("hello", true);
  batch.add_body(big, true);
  batch.add_last_chunk();
  std::string expected = "HEAD\r\n5\r\nhello\r\n12c\r\n";
  expected += big;
  expected += "\r\n0\r\n\r\n";
  EXPECT_EQ(flatten(batch), expected);
  // append_to copies the same bytes (a request kept for a resend).
  std::string copy = "kept:";
  batch.append_to(copy);
  EXPECT_EQ(copy, "kept:" + expected);
}

TEST(WriteBatchTest, PlainBodyIsPassedThroughAndEmptyPiecesSkipped) {
  WriteBatch batch;
  batch.add_body("", true);
  batch.add_body("", false);
  EXPECT_TRUE(batch.empty());
  batch.add_body("abc", false);
  batch.add_copy("def");
  EXPECT_EQ(flatten(batch), "abcdef");
  batch.clear();
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(flatten(batch), "");
}

TEST(WriteBatchTest, OwnedPiecesSurviveGrowth) {
  WriteBatch batch;
  std::string expected;
  for (int i = 0; i < 200; ++i) {
    std::string piece(static_cast<std::size_t>(i % 7 + 1), static_cast<char>('a' + i % 26));
    batch.add_copy(piece);
    expected += piece;
  }
  EXPECT_EQ(flatten(batch), expected);
}

// buffers() is a view asio takes as a gather list as it is: one write of
// every piece, in order, through a real socket.
TEST(WriteBatchTest, BuffersAreWrittenByAsioAsOneGatherList) {
  boost::asio::io_context io;
  boost::asio::local::stream_protocol::socket writer(io);
  boost::asio::local::stream_protocol::socket reader(io);
  boost::asio::local::connect_pair(writer, reader);
  WriteBatch batch;
  const std::string head = "HTTP/1.1 200 OK\r\n\r\n";
  batch.add_view(head);
  batch.add_body("abc", true);
  batch.add_copy("tail");
  const std::string expected = head + "3\r\nabc\r\ntail";
  boost::system::error_code ec;
  const std::size_t written = boost::asio::write(writer, batch.buffers(), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(written, expected.size());
  std::string got(expected.size(), '\0');
  boost::asio::read(reader, boost::asio::buffer(got), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(got, expected);
}

}  // namespace
}  // namespace gatehouse
