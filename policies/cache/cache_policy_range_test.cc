// The `cache` policy answering Range requests from a stored 200 (RFC 9110
// §14): a hit becomes a 206 whose body is a slice of the stored one (shared,
// not copied) or a 416; HEAD and a failing If-Range get the whole response;
// after a 304 revalidation the refreshed entry is sliced the same way.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "policies/cache/cache_key.h"
#include "policies/cache/cache_policy.h"
#include "policies/cache/cache_test_support.h"
#include "tests/unit/fake_request_context.h"

namespace gatehouse::policies::cache {
namespace {

using testing_support::FakeRequestContext;
using RangeKind = policy::RequestOutcome::Kind;
using RangeFields = std::vector<std::pair<std::string, std::string>>;

class CachePolicyRangeTest : public ::testing::Test {
 protected:
  CachePolicyRangeTest() : runtime_(services_.shared<CacheRuntime>()), policy_(CacheConfig{}, runtime_, {}) {}

  static void request(FakeRequestContext& ctx, const char* method, const char* target, const RangeFields& headers) {
    test_support::set_request(ctx.request(), method, target, headers);
  }

  // A miss the upstream answers 200 with `headers` and `body`, stored.
  void fill(const char* target, const RangeFields& headers, const std::string& body) {
    FakeRequestContext ctx;
    request(ctx, "GET", target, {});
    ASSERT_EQ(policy_.on_request(ctx).kind(), RangeKind::kProceed);
    http::ResponseHead r;
    r.status = 200;
    r.reason = "OK";
    for (const auto& [n, v] : headers) r.headers.add(n, v);
    r.headers.add("Content-Length", std::to_string(body.size()));
    r.framing = http::BodyFraming::kContentLength;
    r.content_length = body.size();
    policy_.on_response(ctx, r);
    ASSERT_NE(ctx.observer, nullptr);
    ctx.observer->on_body(body);
    ctx.observer->on_complete();
  }

  std::unique_ptr<policy::LocalReply> served(const char* method, const char* target, const RangeFields& headers) {
    FakeRequestContext ctx;
    request(ctx, method, target, headers);
    policy::RequestOutcome outcome = policy_.on_request(ctx);
    if (outcome.kind() != RangeKind::kRespond) return nullptr;
    return outcome.take_reply();
  }

  // The stored body's address (null when nothing is stored).
  const char* stored_body(const char* target) {
    http::HeaderMap none;
    std::shared_ptr<const StoredResponse> entry =
        runtime_.store().lookup(primary_key("http", "example.test", target, {}), "", none, false);
    return entry ? shared_body(entry).bytes().data() : nullptr;
  }

  policy::PolicyServices services_;
  CacheRuntime& runtime_;
  CachePolicy policy_;
};

TEST_F(CachePolicyRangeTest, AHitServesTheRangeAsA206SharingTheStoredBody) {
  fill("/r", {{"Cache-Control", "max-age=3600"}, {"A", "1"}}, "01234567890");
  for (const auto& [range, expected, content_range] :
       std::vector<std::tuple<std::string, std::string, std::string>>{{"bytes=0-1", "01", "bytes 0-1/11"},
                                                                       {"bytes=1-", "1234567890", "bytes 1-10/11"},
                                                                       {"bytes=-1", "0", "bytes 10-10/11"}}) {
    std::unique_ptr<policy::LocalReply> reply = served("GET", "/r", {{"Range", range}});
    ASSERT_NE(reply, nullptr) << range;
    EXPECT_EQ(reply->status, 206) << range;
    EXPECT_EQ(*reply->headers.find("content-range"), content_range);
    EXPECT_EQ(*reply->headers.find("a"), "1");  // the stored fields stay
    EXPECT_NE(reply->headers.find("age"), nullptr);
    EXPECT_EQ(reply->shared_body.bytes().data(), stored_body("/r"));
    EXPECT_EQ(reply->shared_slice.of(reply->shared_body.bytes()), expected) << range;
  }
}

TEST_F(CachePolicyRangeTest, AnUnsatisfiableRangeIs416) {
  fill("/r", {{"Cache-Control", "max-age=3600"}, {"Content-Type", "text/plain"}}, "01234567890");
  std::unique_ptr<policy::LocalReply> reply = served("GET", "/r", {{"Range", "bytes=11-"}});
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->status, 416);
  EXPECT_EQ(*reply->headers.find("content-range"), "bytes */11");
  EXPECT_EQ(*reply->headers.find("content-type"), "application/json");
}

TEST_F(CachePolicyRangeTest, HeadSeveralRangesAndInvalidRangesGetTheWholeResponse) {
  fill("/r", {{"Cache-Control", "max-age=3600"}}, "01234567890");
  for (const auto& [method, range] : std::vector<std::pair<const char*, const char*>>{
           {"HEAD", "bytes=0-1"}, {"GET", "bytes=0-1,3-4"}, {"GET", "bytes=1-0"}, {"GET", "pages=1-2"}}) {
    std::unique_ptr<policy::LocalReply> reply = served(method, "/r", {{"Range", range}});
    ASSERT_NE(reply, nullptr) << range;
    EXPECT_EQ(reply->status, 200) << method << " " << range;
    EXPECT_EQ(reply->headers.find("content-range"), nullptr);
    EXPECT_EQ(reply->shared_slice.of(reply->shared_body.bytes()), "01234567890");
  }
}

// §13.1.5: If-Range decides between the range and the whole response;
// If-None-Match is evaluated first (§13.2.2).
TEST_F(CachePolicyRangeTest, IfRangeAndIfNoneMatch) {
  fill("/r", {{"Cache-Control", "max-age=3600"}, {"ETag", "\"v1\""}}, "01234567890");
  EXPECT_EQ(served("GET", "/r", {{"Range", "bytes=0-1"}, {"If-Range", "\"v1\""}})->status, 206);
  EXPECT_EQ(served("GET", "/r", {{"Range", "bytes=0-1"}, {"If-Range", "\"v2\""}})->status, 200);
  EXPECT_EQ(served("GET", "/r", {{"Range", "bytes=0-1"}, {"If-Range", "W/\"v1\""}})->status, 200);
  EXPECT_EQ(served("GET", "/r", {{"Range", "bytes=0-1"}, {"If-None-Match", "\"v1\""}})->status, 304);
}

// A stale entry revalidated with a 304: the refreshed entry is served in
// on_response() with replace_response_body(), sliced.
TEST_F(CachePolicyRangeTest, ARangeAfterA304IsSlicedFromTheRefreshedEntry) {
  fill("/s", {{"Cache-Control", "max-age=0"}, {"ETag", "\"s1\""}}, "01234567890");
  FakeRequestContext ctx;
  request(ctx, "GET", "/s", {{"Range", "bytes=2-4"}});
  ASSERT_EQ(policy_.on_request(ctx).kind(), RangeKind::kProceed);
  EXPECT_EQ(*ctx.request().headers.find("if-none-match"), "\"s1\"");
  http::ResponseHead not_modified;
  not_modified.status = 304;
  not_modified.reason = "Not Modified";
  not_modified.headers.add("ETag", "\"s1\"");
  not_modified.headers.add("Cache-Control", "max-age=60");
  policy_.on_response(ctx, not_modified);
  EXPECT_EQ(not_modified.status, 206);
  EXPECT_EQ(not_modified.reason, "Partial Content");
  EXPECT_EQ(*not_modified.headers.find("content-range"), "bytes 2-4/11");
  ASSERT_TRUE(ctx.replacement_body);
  EXPECT_EQ(ctx.replacement_body.bytes().data(), stored_body("/s"));
  EXPECT_EQ(ctx.replacement_slice.of(ctx.replacement_body.bytes()), "234");
}

// stale-while-revalidate: the client gets its range of the stale entry;
// the background refresh asks for the whole response (a 206 could not
// refresh the entry).
TEST_F(CachePolicyRangeTest, ABackgroundRefreshAsksForTheWholeResponse) {
  CacheConfig config;
  config.stale_while_revalidate = std::chrono::seconds(60);
  CachePolicy policy(config, runtime_, {});
  FakeRequestContext fill_ctx;
  request(fill_ctx, "GET", "/w", {});
  ASSERT_EQ(policy.on_request(fill_ctx).kind(), RangeKind::kProceed);
  http::ResponseHead r;
  r.status = 200;
  r.headers.add("Cache-Control", "max-age=0");
  r.headers.add("ETag", "\"w1\"");
  r.framing = http::BodyFraming::kContentLength;
  r.content_length = 11;
  policy.on_response(fill_ctx, r);
  ASSERT_NE(fill_ctx.observer, nullptr);
  fill_ctx.observer->on_body("01234567890");
  fill_ctx.observer->on_complete();

  FakeRequestContext ctx;
  request(ctx, "GET", "/w", {{"Range", "bytes=0-2"}, {"If-Range", "\"w1\""}});
  policy::RequestOutcome outcome = policy.on_request(ctx);
  ASSERT_EQ(outcome.kind(), RangeKind::kRespond);
  std::unique_ptr<policy::LocalReply> reply = outcome.take_reply();
  EXPECT_EQ(reply->status, 206);
  EXPECT_EQ(reply->shared_slice.of(reply->shared_body.bytes()), "012");
  ASSERT_EQ(ctx.fetches.size(), 1u);
  EXPECT_EQ(ctx.fetches[0].headers.find("range"), nullptr);
  EXPECT_EQ(ctx.fetches[0].headers.find("if-range"), nullptr);
  EXPECT_EQ(*ctx.fetches[0].headers.find("if-none-match"), "\"w1\"");
}

// fill_on_range: a Range miss answered with a 206 fetches the whole response
// in the background, which answers the next Range requests.
class RangeFillTest : public CachePolicyRangeTest {
 protected:
  // A GET with `range` that missed; the upstream answers 206 with `fields`.
  // Returns the context, whose `fetches` say whether a fill started.
  std::unique_ptr<FakeRequestContext> range_miss(const CachePolicy& policy, const char* target, const char* range,
                                                 const RangeFields& fields) {
    auto ctx = std::make_unique<FakeRequestContext>();
    request(*ctx, "GET", target, {{"Range", range}, {"If-None-Match", "\"x\""}});
    EXPECT_EQ(policy.on_request(*ctx).kind(), RangeKind::kProceed);
    http::ResponseHead r;
    r.status = 206;
    r.reason = "Partial Content";
    for (const auto& [n, v] : fields) r.headers.add(n, v);
    r.framing = http::BodyFraming::kContentLength;
    r.content_length = 2;
    policy.on_response(*ctx, r);
    EXPECT_EQ(ctx->observer, nullptr);  // the 206 itself is never stored
    return ctx;
  }
};

TEST_F(RangeFillTest, A206ToARangeMissFillsTheWholeResponseThatServesTheNextRanges) {
  auto ctx = range_miss(policy_, "/f", "bytes=0-1", {{"Cache-Control", "max-age=60"}, {"Content-Range", "bytes 0-1/11"}});
  ASSERT_EQ(ctx->fetches.size(), 1u);
  const http::FetchRequest& fetch = ctx->fetches[0];
  EXPECT_EQ(fetch.method, http::Method::kGet);
  EXPECT_EQ(fetch.target, "/f");
  // The whole representation, unconditionally.
  EXPECT_EQ(fetch.headers.find("range"), nullptr);
  EXPECT_EQ(fetch.headers.find("if-none-match"), nullptr);
  EXPECT_EQ(stored_body("/f"), nullptr);

  // A second miss meanwhile starts no second fetch.
  auto second = range_miss(policy_, "/f", "bytes=2-3", {{"Cache-Control", "max-age=60"}, {"Content-Range", "bytes 2-3/11"}});
  EXPECT_TRUE(second->fetches.empty());

  http::FetchResult result;
  result.ok = true;
  result.status = 200;
  result.headers.add("Cache-Control", "max-age=60");
  result.body = "01234567890";
  ctx->fetch_done[0](std::move(result));
  ASSERT_NE(stored_body("/f"), nullptr);
  std::unique_ptr<policy::LocalReply> reply = served("GET", "/f", {{"Range", "bytes=4-6"}});
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->status, 206);
  EXPECT_EQ(reply->shared_slice.of(reply->shared_body.bytes()), "456");
}

TEST_F(RangeFillTest, NoFillWhenThe206SaysItCouldNotBeStoredOrUsed) {
  const std::pair<const char*, RangeFields> cases[] = {
      {"too large", {{"Cache-Control", "max-age=60"}, {"Content-Range", "bytes 0-1/8388609"}}},
      {"length unknown", {{"Cache-Control", "max-age=60"}, {"Content-Range", "bytes 0-1/*"}}},
      {"no Content-Range", {{"Cache-Control", "max-age=60"}}},
      {"malformed", {{"Cache-Control", "max-age=60"}, {"Content-Range", "bytes 5-1/11"}}},
      {"past the length", {{"Cache-Control", "max-age=60"}, {"Content-Range", "bytes 0-11/11"}}},
      {"other unit", {{"Cache-Control", "max-age=60"}, {"Content-Range", "items 0-1/11"}}},
      {"no-store", {{"Cache-Control", "no-store"}, {"Content-Range", "bytes 0-1/11"}}},
      {"private", {{"Cache-Control", "private, max-age=60"}, {"Content-Range", "bytes 0-1/11"}}},
      {"never reusable", {{"Content-Range", "bytes 0-1/11"}}},
  };
  for (const auto& [name, fields] : cases) {
    auto ctx = range_miss(policy_, "/n", "bytes=0-1", fields);
    EXPECT_TRUE(ctx->fetches.empty()) << name;
  }
  // Off by configuration.
  CacheConfig off;
  off.fill_on_range = false;
  CachePolicy policy(off, runtime_, {});
  auto ctx = range_miss(policy, "/o", "bytes=0-1", {{"Cache-Control", "max-age=60"}, {"Content-Range", "bytes 0-1/11"}});
  EXPECT_TRUE(ctx->fetches.empty());
}

}  // namespace
}  // namespace gatehouse::policies::cache
