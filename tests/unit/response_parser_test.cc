#include "proxy/http/parser.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace gatehouse::http {
namespace response_parser_tests {  // named: request_parser_test.cc shares helper names, and unity batches may join them

struct Message {
  ResponseHead head;
  std::string body;
  bool saw_head = false;  // kHeadComplete was returned before completion
};

struct Outcome {
  std::vector<Message> messages;
  bool error = false;
  Message partial;  // the message in progress when input ran out
};

// Feeds each piece the way the upstream side of a connection does, re-feeding
// the remainder after every pause.
Outcome feed(ResponseParser& parser, const std::vector<std::string_view>& pieces) {
  Outcome out;
  Message& current = out.partial;
  for (std::string_view piece : pieces) {
    std::string_view rest = piece;
    for (int guard = 0; guard < 10000; ++guard) {
      BodySpans spans;
      ParseStep step = parser.parse(rest, spans);
      EXPECT_LE(step.consumed, rest.size());
      for (std::string_view s : spans) {
        EXPECT_GE(s.data(), rest.data());
        EXPECT_LE(s.data() + s.size(), rest.data() + step.consumed);
        current.body.append(s);
      }
      rest.remove_prefix(step.consumed);
      if (step.status == ParseStatus::kError) {
        out.error = true;
        return out;
      }
      if (step.status == ParseStatus::kHeadComplete) {
        EXPECT_TRUE(parser.head_complete());
        current.head = parser.head();
        current.saw_head = true;
        continue;
      }
      if (step.status == ParseStatus::kMessageComplete) {
        if (!current.saw_head) current.head = parser.head();
        out.messages.push_back(std::move(current));
        current = Message();
        if (rest.empty()) break;
        continue;
      }
      EXPECT_TRUE(rest.empty());
      break;
    }
  }
  return out;
}

Outcome feed_all(std::string_view bytes, Method method = Method::kGet) {
  ResponseParser parser;
  parser.expect_response_to(method);
  return feed(parser, {bytes});
}

TEST(ResponseParserTest, ContentLength) {
  ResponseParser parser;
  parser.expect_response_to(Method::kGet);
  BodySpans body;
  std::string bytes = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  1 \r\n\r\nhello";
  ParseStep step = parser.parse(bytes, body);
  EXPECT_EQ(step.status, ParseStatus::kHeadComplete);
  EXPECT_EQ(step.consumed, bytes.size() - 5);
  EXPECT_TRUE(parser.head_complete());
  EXPECT_TRUE(parser.in_message());
  EXPECT_EQ(parser.head().status, 200);
  EXPECT_EQ(parser.head().reason, "OK");
  EXPECT_EQ(parser.head().version_minor, 1u);
  EXPECT_EQ(parser.head().framing, BodyFraming::kContentLength);
  EXPECT_EQ(parser.head().content_length, 5u);
  EXPECT_TRUE(parser.head().keep_alive);
  ASSERT_NE(parser.head().headers.find("x-a"), nullptr);
  EXPECT_EQ(*parser.head().headers.find("x-a"), "1");
  step = parser.parse(std::string_view(bytes).substr(step.consumed), body);
  EXPECT_EQ(step.status, ParseStatus::kMessageComplete);
  EXPECT_EQ(step.consumed, 5u);
  ASSERT_EQ(body.size(), 1u);
  EXPECT_EQ(body[0], "hello");
  EXPECT_FALSE(parser.in_message());
  EXPECT_EQ(parser.finish(), ParseStatus::kNeedMore);  // clean close between messages
}

TEST(ResponseParserTest, Chunked) {
  ResponseParser parser;
  Outcome o = feed(parser, {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc",
                            "\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n"});
  ASSERT_FALSE(o.error);
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.messages[0].head.framing, BodyFraming::kChunked);
  EXPECT_EQ(o.messages[0].body, "abcde");
  EXPECT_TRUE(o.messages[0].head.keep_alive);
  EXPECT_EQ(parser.head().headers.size(), 1u);  // the trailer is not merged
}

TEST(ResponseParserTest, CloseDelimitedBodyCompletedByFinish) {
  ResponseParser parser;
  Outcome o = feed(parser, {"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nsome ", "bytes"});
  ASSERT_FALSE(o.error);
  EXPECT_TRUE(o.messages.empty());
  EXPECT_EQ(o.partial.head.framing, BodyFraming::kUntilClose);
  EXPECT_FALSE(o.partial.head.keep_alive);
  EXPECT_EQ(o.partial.body, "some bytes");
  EXPECT_TRUE(parser.in_message());
  EXPECT_EQ(parser.finish(), ParseStatus::kMessageComplete);
  EXPECT_FALSE(parser.in_message());
}

TEST(ResponseParserTest, NoEmptyBodySpans) {
  ResponseParser parser;
  BodySpans body;
  ASSERT_EQ(parser.parse("HTTP/1.1 200 OK\r\n\r\n", body).status, ParseStatus::kHeadComplete);
  for (std::string_view piece : {"", "abc", "", ""}) {
    body.clear();
    EXPECT_EQ(parser.parse(piece, body).status, ParseStatus::kNeedMore);
    EXPECT_EQ(body.size(), piece.empty() ? 0u : 1u);
  }
}

TEST(ResponseParserTest, CloseDelimitedEmptyBody) {
  ResponseParser parser;
  Outcome o = feed(parser, {"HTTP/1.0 200 OK\r\n\r\n"});
  EXPECT_EQ(o.partial.head.framing, BodyFraming::kUntilClose);
  EXPECT_EQ(parser.finish(), ParseStatus::kMessageComplete);
}

TEST(ResponseParserTest, TruncatedBodyIsAnError) {
  {
    ResponseParser parser;
    Outcome o = feed(parser, {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"});
    EXPECT_EQ(o.partial.body, "hello");
    EXPECT_EQ(parser.finish(), ParseStatus::kError);
    EXPECT_FALSE(parser.error_reason().empty());
  }
  {
    ResponseParser parser;
    feed(parser, {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"});
    EXPECT_EQ(parser.finish(), ParseStatus::kError);
  }
  {
    ResponseParser parser;
    feed(parser, {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"});
    EXPECT_EQ(parser.finish(), ParseStatus::kError);
  }
  {
    ResponseParser parser;
    feed(parser, {"HTTP/1.1 200 OK\r\nContent-Le"});
    EXPECT_EQ(parser.finish(), ParseStatus::kError);
  }
}

TEST(ResponseParserTest, FinishBeforeAnyByte) {
  ResponseParser parser;
  EXPECT_EQ(parser.finish(), ParseStatus::kNeedMore);
}

TEST(ResponseParserTest, HeadResponseHasNoBody) {
  ResponseParser parser;
  parser.expect_response_to(Method::kHead);
  BodySpans body;
  std::string bytes = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
  ParseStep step = parser.parse(bytes, body);
  EXPECT_EQ(step.status, ParseStatus::kHeadComplete);
  EXPECT_EQ(step.consumed, bytes.size());
  EXPECT_EQ(parser.head().framing, BodyFraming::kNone);
  EXPECT_TRUE(parser.head().keep_alive);
  EXPECT_EQ(*parser.head().headers.find("content-length"), "100");
  step = parser.parse("", body);
  EXPECT_EQ(step.status, ParseStatus::kMessageComplete);
  EXPECT_TRUE(body.empty());

  // The connection stays usable: the next response is parsed normally.
  parser.expect_response_to(Method::kGet);
  Outcome o = feed(parser, {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"});
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.messages[0].body, "ok");
}

TEST(ResponseParserTest, HeadResponseWithChunkedHeader) {
  Outcome o = feed_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", Method::kHead);
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_TRUE(o.messages[0].saw_head);
  EXPECT_EQ(o.messages[0].head.framing, BodyFraming::kNone);
  EXPECT_TRUE(o.messages[0].body.empty());
}

TEST(ResponseParserTest, HeadResponseWithoutLengthKeepsAlive) {
  Outcome o = feed_all("HTTP/1.1 200 OK\r\n\r\n", Method::kHead);
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.messages[0].head.framing, BodyFraming::kNone);
  EXPECT_TRUE(o.messages[0].head.keep_alive);
}

TEST(ResponseParserTest, SwitchingProtocolsCompletesOnce) {
  ResponseParser parser;
  Outcome o = feed(parser, {"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                            "Upgrade: websocket\r\n\r\n\x81\x05hello", "more"});
  EXPECT_FALSE(o.error);
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.messages[0].head.status, 101);
  EXPECT_TRUE(o.messages[0].body.empty());
}

TEST(ResponseParserTest, NoBodyStatuses) {
  for (int status : {204, 304}) {
    SCOPED_TRACE(status);
    std::string s = std::to_string(status);
    // Even with a Content-Length (a 304 often carries the representation's),
    // the next bytes are the next response.
    Outcome o = feed_all("HTTP/1.1 " + s + " X\r\nContent-Length: 10\r\n\r\n"
                         "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    ASSERT_FALSE(o.error);
    ASSERT_EQ(o.messages.size(), 2u);
    EXPECT_EQ(o.messages[0].head.status, status);
    EXPECT_EQ(o.messages[0].head.framing, BodyFraming::kNone);
    EXPECT_TRUE(o.messages[0].body.empty());
    EXPECT_TRUE(o.messages[0].head.keep_alive);
    EXPECT_EQ(o.messages[1].body, "ok");

    o = feed_all("HTTP/1.1 " + s + " X\r\n\r\n");
    ASSERT_EQ(o.messages.size(), 1u);
    EXPECT_TRUE(o.messages[0].head.keep_alive);
  }
}

TEST(ResponseParserTest, InterimResponsesPrecedeTheFinalOne) {
  Outcome o = feed_all(
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone");
  ASSERT_FALSE(o.error);
  ASSERT_EQ(o.messages.size(), 3u);
  EXPECT_EQ(o.messages[0].head.status, 100);
  EXPECT_EQ(o.messages[0].head.reason, "Continue");
  EXPECT_TRUE(o.messages[0].body.empty());
  EXPECT_EQ(o.messages[1].head.status, 103);
  EXPECT_EQ(o.messages[1].head.headers.size(), 1u);
  EXPECT_EQ(o.messages[2].head.status, 201);
  EXPECT_EQ(o.messages[2].head.headers.size(), 1u);
  EXPECT_EQ(o.messages[2].body, "done");
  for (const Message& m : o.messages) EXPECT_TRUE(m.saw_head);
}

TEST(ResponseParserTest, KeepAlive) {
  auto keep_alive = [](std::string_view bytes) {
    Outcome o = feed_all(bytes);
    EXPECT_EQ(o.messages.size(), 1u) << bytes;
    return !o.messages.empty() && o.messages[0].head.keep_alive;
  };
  EXPECT_TRUE(keep_alive("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_FALSE(keep_alive("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
  EXPECT_FALSE(keep_alive("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(keep_alive("HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n"));
}

TEST(ResponseParserTest, SplitAtEveryOffsetGivesSameResult) {
  const std::string stream =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello"
      "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n4;e=1\r\nnope\r\n0\r\nT: 1\r\n\r\n"
      "HTTP/1.1 204 No Content\r\n\r\n";
  Outcome whole = feed_all(stream);
  ASSERT_EQ(whole.messages.size(), 4u);
  for (std::size_t i = 0; i <= stream.size(); ++i) {
    SCOPED_TRACE(i);
    ResponseParser parser;
    std::string_view s = stream;
    Outcome split = feed(parser, {s.substr(0, i), s.substr(i)});
    ASSERT_FALSE(split.error);
    ASSERT_EQ(split.messages.size(), whole.messages.size());
    for (std::size_t m = 0; m < whole.messages.size(); ++m) {
      EXPECT_EQ(split.messages[m].head.status, whole.messages[m].head.status);
      EXPECT_EQ(split.messages[m].head.reason, whole.messages[m].head.reason);
      EXPECT_EQ(split.messages[m].head.headers.size(), whole.messages[m].head.headers.size());
      EXPECT_EQ(split.messages[m].body, whole.messages[m].body);
    }
  }
}

TEST(ResponseParserTest, MalformedResponses) {
  EXPECT_TRUE(feed_all("HTTP/1.1 abc OK\r\n\r\n").error);
  EXPECT_TRUE(feed_all("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n").error);
  EXPECT_TRUE(feed_all("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").error);
  EXPECT_TRUE(feed_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").error);
  EXPECT_TRUE(feed_all("SMTP/1.1 200 OK\r\n\r\n").error);
}

TEST(ResponseParserTest, HeaderSectionTooLarge) {
  ResponseParser parser(256);
  Outcome o = feed(parser, {"HTTP/1.1 200 OK\r\nX-Big: " + std::string(1000, 'v') + "\r\n\r\n"});
  EXPECT_TRUE(o.error);
  EXPECT_FALSE(parser.error_reason().empty());
}

TEST(ResponseParserTest, ErrorsAreFinal) {
  ResponseParser parser;
  BodySpans body;
  std::string bad = "HTTP/1.1 abc\r\n\r\n";
  EXPECT_EQ(parser.parse(bad, body).status, ParseStatus::kError);
  std::string good = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  ParseStep step = parser.parse(good, body);
  EXPECT_EQ(step.status, ParseStatus::kError);
  EXPECT_EQ(step.consumed, 0u);
}

TEST(ResponseParserTest, HeadIsResetBetweenMessages) {
  ResponseParser parser;
  Outcome o = feed(parser, {"HTTP/1.1 500 Oops\r\nA: 1\r\nB: 2\r\nContent-Length: 0\r\n\r\n"
                            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"});
  ASSERT_EQ(o.messages.size(), 2u);
  EXPECT_EQ(o.messages[1].head.status, 200);
  EXPECT_EQ(o.messages[1].head.reason, "OK");
  EXPECT_EQ(o.messages[1].head.headers.size(), 1u);
}

}  // namespace response_parser_tests
}  // namespace gatehouse::http
