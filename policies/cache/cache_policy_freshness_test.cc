// What a lookup decides from the freshness a first lookup kept with an
// entry (StoredResponse::freshness): it must be the stored fields' own,
// follow the options a reload brings, know of a validator the store added,
// and be kept once however many workers look the entry up at the same time.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "policies/cache/cache_policy.h"
#include "policies/cache/cache_test_support.h"
#include "policies/cache/http_date.h"
#include "tests/unit/fake_request_context.h"

namespace gatehouse::policies::cache {
namespace {

using testing_support::FakeRequestContext;
using Kind = policy::RequestOutcome::Kind;
using Fields = std::vector<std::pair<std::string, std::string>>;

std::string http_date_ago(std::chrono::seconds ago) {
  return format_http_date(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) - ago);
}

class CachePolicyFreshnessTest : public ::testing::Test {
 protected:
  CachePolicyFreshnessTest() : runtime_(services_.shared<CacheRuntime>()) {}

  std::unique_ptr<CachePolicy> make(CacheConfig config = {}) {
    return std::make_unique<CachePolicy>(std::move(config), runtime_, LookupCounters{});
  }

  // A miss on `target` that the upstream answers 200 with `fields` and a
  // five-byte body, observed to the end; false when the policy would not
  // store it.
  static bool fill(const CachePolicy& policy, const char* target, const Fields& fields) {
    FakeRequestContext ctx;
    test_support::set_request(ctx.request(), "GET", target);
    if (policy.on_request(ctx).kind() != Kind::kProceed) return false;
    http::ResponseHead r;
    r.status = 200;
    r.reason = "OK";
    for (const auto& [name, value] : fields) r.headers.add(name, value);
    r.headers.add("Content-Length", "5");
    r.framing = http::BodyFraming::kContentLength;
    r.content_length = 5;
    policy.on_response(ctx, r);
    if (ctx.observer == nullptr) return false;
    ctx.observer->on_body("hello");
    ctx.observer->on_complete();
    return true;
  }

  // The outcome's kind for a GET of `target` with `headers`; the request as
  // it would go upstream in `ctx`.
  static Kind lookup(const CachePolicy& policy, FakeRequestContext& ctx, const char* target,
                     const Fields& headers = {}) {
    test_support::set_request(ctx.request(), "GET", target, headers);
    return policy.on_request(ctx).kind();
  }

  policy::PolicyServices services_;
  CacheRuntime& runtime_;
};

// An hour-old Date makes a max-age=600 response stale, unless the response
// named Date in Connection: then Date is not stored, and the age counts
// from when the response arrived (RFC 9110 §6.6.1), as the stored fields say.
TEST_F(CachePolicyFreshnessTest, AgeIsTheStoredFieldsOwn) {
  auto policy = make();
  const std::string hour_ago = http_date_ago(std::chrono::hours(1));
  ASSERT_TRUE(fill(*policy, "/dated", {{"Cache-Control", "max-age=600"}, {"Date", hour_ago}}));
  ASSERT_TRUE(fill(*policy, "/hop", {{"Cache-Control", "max-age=600"}, {"Date", hour_ago}, {"Connection", "date"}}));
  FakeRequestContext dated;
  EXPECT_EQ(lookup(*policy, dated, "/dated"), Kind::kProceed);
  FakeRequestContext hop;
  EXPECT_EQ(lookup(*policy, hop, "/hop"), Kind::kRespond);
  FakeRequestContext again;
  EXPECT_EQ(lookup(*policy, again, "/dated"), Kind::kProceed);
}

// Workers looking up one entry at once: one keeps its freshness, all
// answer from it (run under ThreadSanitizer too).
TEST_F(CachePolicyFreshnessTest, ConcurrentFirstLookupsKeepOneValue) {
  auto policy = make();
  ASSERT_TRUE(fill(*policy, "/shared", {{"Cache-Control", "max-age=600"}, {"Date", http_date_ago({})}}));
  const std::string key = "http://example.test/shared";
  std::shared_ptr<const StoredResponse> entry = runtime_.store().lookup(key, "", {}, false);
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->freshness.get(), nullptr);
  std::vector<std::thread> workers;
  std::atomic<int> served{0};
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        FakeRequestContext ctx;
        if (lookup(*policy, ctx, "/shared") == Kind::kRespond) ++served;
      }
    });
  }
  for (std::thread& w : workers) w.join();
  EXPECT_EQ(served.load(), 200);
  const StoredFreshness* kept = entry->freshness.get();
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->lifetime.value.count(), 600);
  EXPECT_EQ(kept->lifetime.source, LifetimeSource::kMaxAge);
}

// A heuristic lifetime (10% of Date − Last-Modified) holds for the options
// it was computed with: after a reload that turns heuristics off, the same
// entry is stale and, having a validator, is revalidated.
TEST_F(CachePolicyFreshnessTest, AReloadWithOtherOptionsDecidesByThem) {
  auto heuristic = make();
  ASSERT_TRUE(fill(*heuristic, "/h", {{"Date", http_date_ago(std::chrono::seconds(1))},
                                      {"Last-Modified", http_date_ago(std::chrono::hours(24 * 10))}}));
  FakeRequestContext before;
  EXPECT_EQ(lookup(*heuristic, before, "/h"), Kind::kRespond);

  CacheConfig none;
  none.freshness.heuristic_fraction = 0;
  auto reloaded = make(none);
  FakeRequestContext after;
  EXPECT_EQ(lookup(*reloaded, after, "/h"), Kind::kProceed);
  EXPECT_NE(after.request().headers.find("if-modified-since"), nullptr);

  FakeRequestContext back;
  EXPECT_EQ(lookup(*heuristic, back, "/h"), Kind::kRespond);
}

// `etag: generate` gives a response without validators a strong ETag when
// it is stored; a lookup must then count it as one: a request that wants
// the entry revalidated (no-cache) gets a conditional request with that tag, not a
// plain forward.
TEST_F(CachePolicyFreshnessTest, AGeneratedEtagIsAValidator) {
  CacheConfig config;
  config.generate_etag = true;
  auto policy = make(config);
  ASSERT_TRUE(fill(*policy, "/g", {{"Cache-Control", "max-age=60"}}));
  FakeRequestContext ctx;
  ASSERT_EQ(lookup(*policy, ctx, "/g", {{"Cache-Control", "no-cache"}}), Kind::kProceed);
  const std::string* tag = ctx.request().headers.find("if-none-match");
  ASSERT_NE(tag, nullptr);
  EXPECT_EQ(tag->front(), '"');

  CacheConfig plain;
  auto without = make(plain);
  ASSERT_TRUE(fill(*without, "/p", {{"Cache-Control", "max-age=60"}}));
  FakeRequestContext forwarded;
  ASSERT_EQ(lookup(*without, forwarded, "/p", {{"Cache-Control", "no-cache"}}), Kind::kProceed);
  EXPECT_EQ(forwarded.request().headers.find("if-none-match"), nullptr);
}

}  // namespace
}  // namespace gatehouse::policies::cache
