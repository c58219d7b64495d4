// The `cache` policy's hooks against a FakeRequestContext and a real store:
// miss → observed body → stored → hit (shared body, Age); only-if-cached;
// unsafe methods invalidating; an incomplete body not stored; collapsed
// misses resumed with retry() once the first one is stored.

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "policies/cache/cache_policy.h"
#include "policies/cache/cache_test_support.h"
#include "tests/unit/fake_request_context.h"

namespace gatehouse::policies::cache {
namespace {

using testing_support::FakeRequestContext;
using Kind = policy::RequestOutcome::Kind;

struct CacheRetryRecorder final : policy::ResumeTarget {
  void resume_request(std::uint64_t, policy::RequestOutcome outcome) override { retries.push_back(outcome.is_retry()); }
  std::vector<bool> retries;
};

class CachePolicyTest : public ::testing::Test {
 protected:
  CachePolicyTest() : runtime_(services_.shared<CacheRuntime>()) {}

  std::unique_ptr<CachePolicy> make(CacheConfig config = {}) {
    return std::make_unique<CachePolicy>(std::move(config), runtime_, LookupCounters{});
  }

  static void request(FakeRequestContext& ctx, const char* method, const char* target,
                      const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    test_support::set_request(ctx.request(), method, target, headers);
  }

  static http::ResponseHead response(int status, const char* cache_control, std::size_t length) {
    http::ResponseHead r;
    r.status = status;
    r.reason = "OK";
    r.headers.add("Cache-Control", cache_control);
    r.headers.add("Content-Length", std::to_string(length));
    r.framing = http::BodyFraming::kContentLength;
    r.content_length = length;
    return r;
  }

  // A miss that the upstream answers with `body`, observed to the end.
  void fill(const CachePolicy& policy, const char* target, const std::string& body) {
    FakeRequestContext ctx;
    request(ctx, "GET", target);
    ASSERT_EQ(policy.on_request(ctx).kind(), Kind::kProceed);
    http::ResponseHead r = response(200, "max-age=60", body.size());
    policy.on_response(ctx, r);
    ASSERT_NE(ctx.observer, nullptr);
    ctx.observer->on_body(body);
    ctx.observer->on_complete();
  }

  policy::PolicyServices services_;
  CacheRuntime& runtime_;
};

TEST_F(CachePolicyTest, AStoredResponseIsServedWithItsSharedBodyAndAge) {
  auto policy = make();
  fill(*policy, "/a", "hello");
  FakeRequestContext ctx;
  request(ctx, "GET", "/a");
  policy::RequestOutcome outcome = policy->on_request(ctx);
  ASSERT_EQ(outcome.kind(), Kind::kRespond);
  std::unique_ptr<policy::LocalReply> reply = outcome.take_reply();
  EXPECT_EQ(reply->status, 200);
  ASSERT_TRUE(reply->shared_body);
  EXPECT_EQ(reply->shared_body.bytes(), "hello");
  EXPECT_EQ(reply->content_type, "");
  // 0, or 1 when a second boundary passed since the fill.
  const std::string age = *reply->headers.find("age");
  EXPECT_TRUE(age == "0" || age == "1") << age;
  http::ResponseHead sent;
  sent.status = reply->status;
  sent.headers = reply->headers;
  policy->on_response(ctx, sent);
  EXPECT_EQ(*sent.headers.find("cache-status"), "gatehouse; hit; ttl=" + std::to_string(60 - std::stoi(age)));
}

// The request's fields are read in one pass: Authorization in any case
// keeps a response without public / s-maxage out of the store (§3.5), and
// Pragma: no-cache (with no Cache-Control) sends a request past a stored
// response (§5.4).
TEST_F(CachePolicyTest, TheRequestsAuthorizationAndPragmaAreHonoured) {
  auto policy = make();
  for (const char* cache_control : {"max-age=60", "s-maxage=60"}) {
    FakeRequestContext ctx;
    request(ctx, "GET", cache_control[0] == 'm' ? "/private" : "/shared", {{"AUTHORIZATION", "Bearer x"}});
    ASSERT_EQ(policy->on_request(ctx).kind(), Kind::kProceed);
    http::ResponseHead r = response(200, cache_control, 2);
    policy->on_response(ctx, r);
    EXPECT_EQ(ctx.observer != nullptr, cache_control[0] == 's') << cache_control;
  }
  fill(*policy, "/p", "ok");
  FakeRequestContext plain;
  request(plain, "GET", "/p");
  EXPECT_EQ(policy->on_request(plain).kind(), Kind::kRespond);
  FakeRequestContext pragma;
  request(pragma, "GET", "/p", {{"Pragma", "no-cache"}});
  EXPECT_EQ(policy->on_request(pragma).kind(), Kind::kProceed);
}

TEST_F(CachePolicyTest, AnIncompleteBodyIsNotStored) {
  auto policy = make();
  FakeRequestContext ctx;
  request(ctx, "GET", "/cut");
  policy->on_request(ctx);
  http::ResponseHead r = response(200, "max-age=60", 10);
  policy->on_response(ctx, r);
  ASSERT_NE(ctx.observer, nullptr);
  ctx.observer->on_body("12345");
  ctx.observer.reset();  // the upstream went away
  FakeRequestContext again;
  request(again, "GET", "/cut");
  EXPECT_EQ(policy->on_request(again).kind(), Kind::kProceed);
}

TEST_F(CachePolicyTest, OnlyIfCachedWithNothingStoredIs504) {
  auto policy = make();
  FakeRequestContext ctx;
  request(ctx, "GET", "/none", {{"Cache-Control", "only-if-cached"}});
  policy::RequestOutcome outcome = policy->on_request(ctx);
  ASSERT_EQ(outcome.kind(), Kind::kRespond);
  EXPECT_EQ(outcome.take_reply()->status, 504);
}

TEST_F(CachePolicyTest, ASuccessfulUnsafeRequestInvalidatesItsUriAndLocation) {
  auto policy = make();
  fill(*policy, "/items", "list");
  fill(*policy, "/items/7", "item");
  fill(*policy, "/other", "other");
  FakeRequestContext post;
  request(post, "POST", "/items");
  ASSERT_EQ(policy->on_request(post).kind(), Kind::kProceed);
  http::ResponseHead created;
  created.status = 201;
  created.headers.add("Location", "http://EXAMPLE.test/items/7");
  policy->on_response(post, created);
  for (const char* target : {"/items", "/items/7"}) {
    FakeRequestContext ctx;
    request(ctx, "GET", target);
    EXPECT_EQ(policy->on_request(ctx).kind(), Kind::kProceed) << target;
  }
  FakeRequestContext ctx;
  request(ctx, "GET", "/other");
  EXPECT_EQ(policy->on_request(ctx).kind(), Kind::kRespond);
}

TEST_F(CachePolicyTest, ConcurrentMissesWaitForTheFirstAndRetry) {
  auto policy = make();
  FakeRequestContext first;
  request(first, "GET", "/c");
  ASSERT_EQ(policy->on_request(first).kind(), Kind::kProceed);

  FakeRequestContext second;
  auto recorder = std::make_shared<CacheRetryRecorder>();
  second.target = recorder;
  request(second, "GET", "/c");
  ASSERT_EQ(policy->on_request(second).kind(), Kind::kPause);

  http::ResponseHead r = response(200, "max-age=60", 2);
  policy->on_response(first, r);
  first.observer->on_body("ok");
  first.observer->on_complete();
  second.io.run_for(std::chrono::seconds(5));
  ASSERT_EQ(recorder->retries, std::vector<bool>{true});

  // Run again, it is served from the store, marked collapsed.
  policy::RequestOutcome outcome = policy->on_request(second);
  ASSERT_EQ(outcome.kind(), Kind::kRespond);
  http::ResponseHead sent;
  sent.headers = outcome.take_reply()->headers;
  policy->on_response(second, sent);
  const std::string status = *sent.headers.find("cache-status");
  EXPECT_TRUE(status == "gatehouse; hit; ttl=60; collapsed" || status == "gatehouse; hit; ttl=59; collapsed") << status;
}

TEST_F(CachePolicyTest, AWaiterGivesUpAfterCollapseWait) {
  CacheConfig config;
  config.collapse_wait = std::chrono::milliseconds(50);
  auto policy = make(config);
  FakeRequestContext first;
  request(first, "GET", "/slow");
  ASSERT_EQ(policy->on_request(first).kind(), Kind::kProceed);
  FakeRequestContext second;
  auto recorder = std::make_shared<CacheRetryRecorder>();
  second.target = recorder;
  request(second, "GET", "/slow");
  ASSERT_EQ(policy->on_request(second).kind(), Kind::kPause);
  second.io.run_for(std::chrono::seconds(5));
  ASSERT_EQ(recorder->retries, std::vector<bool>{true});
  // Having waited once, it goes upstream rather than waiting again.
  EXPECT_EQ(policy->on_request(second).kind(), Kind::kProceed);
  // The first exchange ends: its flight wakes nobody twice (the waiter's
  // handler runs on its own executor and sees it already resumed).
  first.clear_data();
  second.io.restart();
  second.io.poll();
  EXPECT_EQ(recorder->retries, std::vector<bool>{true});
}

}  // namespace
}  // namespace gatehouse::policies::cache
