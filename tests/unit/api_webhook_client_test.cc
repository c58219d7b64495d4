// parse_webhook_url, the outbox's --webhook-url syntax (issue 3).

#include <gtest/gtest.h>

#include "examples/api/webhook_client.h"

namespace gatehouse::api {
namespace {

TEST(ApiWebhookUrl, HostPortPath) {
  auto url = parse_webhook_url("http://127.0.0.1:9000/hooks/outbox?x=1");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, "9000");
  EXPECT_EQ(url->target, "/hooks/outbox?x=1");
}

TEST(ApiWebhookUrl, DefaultsPortAndPath) {
  auto url = parse_webhook_url("http://sink.local");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "sink.local");
  EXPECT_EQ(url->port, "80");
  EXPECT_EQ(url->target, "/");
}

TEST(ApiWebhookUrl, BracketedV6) {
  auto url = parse_webhook_url("http://[::1]:8080/h");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, "8080");
  EXPECT_EQ(url->target, "/h");
}

TEST(ApiWebhookUrl, RejectsOthers) {
  for (const char* bad : {"https://x/h", "x:80/h", "http://", "http://:80/", "http://h:8a/", "http://[::1/",
                          "http://h:123456/", "http://h/a b"}) {
    EXPECT_FALSE(parse_webhook_url(bad)) << bad;
  }
}

}  // namespace
}  // namespace gatehouse::api
