#include "proxy/server/write_batch.h"

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
  EXPECT_EQ(flatten(batch), "HEAD\r\n5\r\nhello\r\n12c\r\n" + std::string(300, 'x') + "\r\n0\r\n\r\n");
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

}  // namespace
}  // namespace gatehouse
