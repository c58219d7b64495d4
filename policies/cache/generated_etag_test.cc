// etag: generate — which responses get a tag, and finishing a held one.

#include <gtest/gtest.h>

#include "policies/cache/cache_test_support.h"
#include "policies/cache/entity_tag.h"
#include "policies/cache/generated_etag.h"

namespace gatehouse::policies::cache {
namespace {

using test_support::fields;

http::ResponseHead ok_head(http::HeaderMap headers) {
  http::ResponseHead head;
  head.status = 200;
  head.reason = "OK";
  head.headers = std::move(headers);
  return head;
}

TEST(GeneratedEtagTest, OnlyTwoHundredsWithoutAnEtagOfTheirOwn) {
  EXPECT_TRUE(wants_generated_etag(200, fields({{"Cache-Control", "private"}})));
  EXPECT_FALSE(wants_generated_etag(200, fields({{"ETag", "W/\"x\""}})));
  EXPECT_FALSE(wants_generated_etag(404, fields({})));
  EXPECT_FALSE(wants_generated_etag(206, fields({})));
}

TEST(GeneratedEtagTest, SetsTheTagOfTheBodyAndKeepsTheResponse) {
  http::ResponseHead head = ok_head(fields({{"Content-Type", "text/plain"}}));
  std::string body = "content";
  GeneratedEtagHandler("").on_whole_body(head, body);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(body, "content");
  ASSERT_NE(head.headers.find("etag"), nullptr);
  EXPECT_EQ(*head.headers.find("etag"), generate_strong_etag("content"));
  EXPECT_EQ(*head.headers.find("content-type"), "text/plain");
}

TEST(GeneratedEtagTest, MatchingIfNoneMatchBecomesA304WithTheRequiredFields) {
  const std::string tag = generate_strong_etag("content");
  http::ResponseHead head = ok_head(fields({{"Content-Type", "text/plain"}, {"Cache-Control", "private"},
                                            {"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}, {"Via", "1.1 gatehouse"},
                                            {"X-Request-Id", "abc"}, {"Cache-Status", "gatehouse; fwd=uri-miss"}}));
  std::string body = "content";
  GeneratedEtagHandler("\"other\", W/" + tag).on_whole_body(head, body);  // weak comparison
  EXPECT_EQ(head.status, 304);
  EXPECT_EQ(head.reason, "Not Modified");
  EXPECT_TRUE(body.empty());
  EXPECT_EQ(*head.headers.find("etag"), tag);
  EXPECT_EQ(*head.headers.find("cache-control"), "private");
  EXPECT_EQ(*head.headers.find("date"), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(*head.headers.find("x-request-id"), "abc");
  EXPECT_EQ(*head.headers.find("via"), "1.1 gatehouse");
  EXPECT_EQ(*head.headers.find("cache-status"), "gatehouse; fwd=uri-miss");
  EXPECT_EQ(head.headers.find("content-type"), nullptr);  // §15.4.5: no other metadata
}

TEST(GeneratedEtagTest, StarMatchesAndOtherTagsDoNot) {
  http::ResponseHead head = ok_head({});
  std::string body = "content";
  GeneratedEtagHandler("*").on_whole_body(head, body);
  EXPECT_EQ(head.status, 304);

  http::ResponseHead other = ok_head({});
  std::string other_body = "content";
  GeneratedEtagHandler("\"nope\"").on_whole_body(other, other_body);
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other_body, "content");
  EXPECT_NE(other.headers.find("etag"), nullptr);
}

TEST(GeneratedEtagTest, MalformedIfNoneMatchIsIgnored) {
  http::ResponseHead head = ok_head({});
  std::string body = "content";
  GeneratedEtagHandler("no-quotes").on_whole_body(head, body);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(body, "content");
}

}  // namespace
}  // namespace gatehouse::policies::cache
