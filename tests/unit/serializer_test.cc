#include "proxy/http/serializer.h"

#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace gatehouse::http {
namespace {

TEST(SerializerTest, RequestHead) {
  HeaderMap h;
  h.add("Host", "example.com");
  h.add("X-Two", "a");
  h.add("x-two", "b");
  std::string out;
  append_request_head(out, "POST", "/submit?x=1", h);
  EXPECT_EQ(out,
            "POST /submit?x=1 HTTP/1.1\r\n"
            "Host: example.com\r\n"
            "X-Two: a\r\n"
            "x-two: b\r\n"
            "\r\n");
}

TEST(SerializerTest, RequestHeadWithoutFields) {
  std::string out;
  append_request_head(out, "GET", "/", HeaderMap());
  EXPECT_EQ(out, "GET / HTTP/1.1\r\n\r\n");
}

TEST(SerializerTest, ResponseHeadUsesCanonicalReason) {
  HeaderMap h;
  h.add("Content-Length", "0");
  std::string out;
  append_response_head(out, 404, "", h);
  EXPECT_EQ(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
}

TEST(SerializerTest, ResponseHeadKeepsGivenReason) {
  std::string out;
  append_response_head(out, 200, "Fine", HeaderMap());
  EXPECT_EQ(out, "HTTP/1.1 200 Fine\r\n\r\n");
}

TEST(SerializerTest, ResponseHeadUnknownStatus) {
  std::string out;
  append_response_head(out, 599, "", HeaderMap());
  EXPECT_EQ(out, "HTTP/1.1 599 Unknown\r\n\r\n");
}

TEST(SerializerTest, AppendsRatherThanOverwrites) {
  std::string out = "prefix|";
  append_response_head(out, 204, "", HeaderMap());
  EXPECT_EQ(out, "prefix|HTTP/1.1 204 No Content\r\n\r\n");
  append_chunk_size(out, 0);
  EXPECT_EQ(out, "prefix|HTTP/1.1 204 No Content\r\n\r\n0\r\n");
}

TEST(SerializerTest, ChunkSizesAreLowercaseHex) {
  auto chunk = [](std::size_t n) {
    std::string s;
    append_chunk_size(s, n);
    return s;
  };
  EXPECT_EQ(chunk(0), "0\r\n");
  EXPECT_EQ(chunk(1), "1\r\n");
  EXPECT_EQ(chunk(15), "f\r\n");
  EXPECT_EQ(chunk(16), "10\r\n");
  EXPECT_EQ(chunk(0x1a2), "1a2\r\n");
  EXPECT_EQ(chunk(65536), "10000\r\n");
  EXPECT_EQ(chunk(std::numeric_limits<std::size_t>::max()), "ffffffffffffffff\r\n");
}

TEST(SerializerTest, LastChunkConstant) {
  EXPECT_EQ(kLastChunk, "0\r\n\r\n");
  EXPECT_EQ(kCrlf, "\r\n");
}

TEST(SerializerTest, Decimal) {
  auto dec = [](std::uint64_t n) {
    std::string s;
    append_decimal(s, n);
    return s;
  };
  EXPECT_EQ(dec(0), "0");
  EXPECT_EQ(dec(7), "7");
  EXPECT_EQ(dec(67108864), "67108864");
  EXPECT_EQ(dec(std::numeric_limits<std::uint64_t>::max()), "18446744073709551615");
}

}  // namespace
}  // namespace gatehouse::http
