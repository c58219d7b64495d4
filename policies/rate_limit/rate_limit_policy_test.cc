// The `rate_limit` policy called directly, without sockets: decisions,
// responses and headers, delay mode, metrics, and counters across rebuilds.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <yaml-cpp/yaml.h>

#include "policies/rate_limit/local_store.h"
#include "policies/rate_limit/rate_limit_headers.h"
#include "policies/rate_limit/rate_limit_policy.h"
#include "proxy/admin/scrape_hooks.h"
#include "proxy/config/config_node.h"
#include "proxy/policy/registry.h"
#include "proxy/policy/verified_claims.h"
#include "tests/unit/fake_request_context.h"

namespace gatehouse::policies::rate_limit {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing_support::FakeRequestContext;
using Kind = policy::RequestOutcome::Kind;

TimePoint g_now = TimePoint(std::chrono::days(10));
TimePoint fake_now() { return g_now; }

RateLimitConfig parse_policy_config(const std::string& yaml) {
  config::Diagnostics diagnostics;
  config::ConfigNode root(YAML::Load(yaml), "test.yaml", diagnostics);
  std::optional<RateLimitConfig> config = parse_rate_limit_config(root["rate_limit"]);
  for (const config::Diagnostic& d : diagnostics.items()) ADD_FAILURE() << d.to_string();
  EXPECT_TRUE(config.has_value());
  return config.value_or(RateLimitConfig{});
}

// A policy on the fake clock, with counters of its own.
std::unique_ptr<RateLimitPolicy> policy_on_fake_clock(const std::string& yaml) {
  g_now = TimePoint(std::chrono::days(10));
  RateLimitConfig config = parse_policy_config(yaml);
  auto counters = make_local_counters({.limits = config.limits, .max_keys = config.max_keys,
                                       .tolerance = config.tolerance()});
  return std::make_unique<RateLimitPolicy>(std::move(config), std::move(counters), DecisionCounters{}, &fake_now);
}

// One request through both phases, as the proxy runs them: the response is
// the policy's own reply when it responded, else a 200 from the upstream.
struct Exchange {
  Kind kind = Kind::kProceed;
  int status = 200;
  std::string error_code;
  http::HeaderMap headers;
};

Exchange run(const policy::Policy& policy, FakeRequestContext& ctx) {
  ctx.clear_data();
  policy::RequestOutcome outcome = policy.on_request(ctx);
  Exchange ex;
  ex.kind = outcome.kind();
  http::ResponseHead response;
  if (outcome.kind() == Kind::kRespond) {
    ex.error_code = outcome.error_code();
    response.status = outcome.take_reply()->status;
  }
  policy.on_response(ctx, response);
  ex.status = response.status;
  ex.headers = response.headers;
  return ex;
}

std::string header(const Exchange& ex, std::string_view name) {
  const std::string* value = ex.headers.find(name);
  return value ? *value : "<absent>";
}

TEST(RateLimitPolicyTest, RateLimitIsInTheFactoryTable) {
  const policy::PolicyFactory* factory = policy::find_policy_factory("rate_limit");
  ASSERT_NE(factory, nullptr);
  EXPECT_EQ(factory->create, &create_rate_limit_policy);
}

TEST(RateLimitPolicyTest, AdmitsExactlyTheLimitThenAnswers429WithRetryAfter) {
  auto policy = policy_on_fake_clock("rate_limit: { limit: 3/s }\n");
  FakeRequestContext ctx;
  for (int i = 0; i < 3; ++i) {
    Exchange ex = run(*policy, ctx);
    EXPECT_EQ(ex.kind, Kind::kProceed) << i;
    EXPECT_EQ(header(ex, "X-RateLimit-Remaining"), std::to_string(2 - i));
    EXPECT_EQ(header(ex, "Retry-After"), "<absent>");
  }
  Exchange denied = run(*policy, ctx);
  EXPECT_EQ(denied.kind, Kind::kRespond);
  EXPECT_EQ(denied.status, 429);
  EXPECT_EQ(denied.error_code, "rate_limited");
  EXPECT_EQ(header(denied, "Retry-After"), "1");  // 333ms, rounded up
  EXPECT_EQ(header(denied, "X-RateLimit-Remaining"), "0");
  EXPECT_EQ(header(denied, "RateLimit"), "\"3/s\";r=0;t=1");
  // Another client is not affected.
  ctx.set_client_address("192.0.2.2");
  EXPECT_EQ(run(*policy, ctx).kind, Kind::kProceed);
}

TEST(RateLimitPolicyTest, HeadersFollowTheDraftAndTheMostRestrictiveLimitDrivesTheLegacyOnes) {
  auto policy = policy_on_fake_clock("rate_limit: { limits: [ { limit: 10/s, burst: 20 }, { limit: 25/m } ] }\n");
  FakeRequestContext ctx;
  Exchange first = run(*policy, ctx);
  EXPECT_EQ(header(first, "RateLimit-Policy"), "\"10/s\";q=20;w=2, \"25/m\";q=25;w=60");
  EXPECT_EQ(header(first, "RateLimit"), "\"10/s\";r=19;t=1, \"25/m\";r=24;t=3");
  EXPECT_EQ(header(first, "X-RateLimit-Limit"), "20");
  EXPECT_EQ(header(first, "X-RateLimit-Remaining"), "19");
  EXPECT_EQ(header(first, "X-RateLimit-Reset"), "1");
  for (int i = 0; i < 9; ++i) run(*policy, ctx);
  // Now 10 used of both: 10 left in the bucket, 15 in the minute.
  Exchange eleventh = run(*policy, ctx);
  EXPECT_EQ(header(eleventh, "RateLimit"), "\"10/s\";r=9;t=2, \"25/m\";r=14;t=27");
  EXPECT_EQ(header(eleventh, "X-RateLimit-Limit"), "20");
  for (int i = 0; i < 9; ++i) run(*policy, ctx);
  // 2s later the 10/s bucket is full again, while the 25/m bucket (one
  // request per 2.4s) has earned back less than one of its 20 used: after
  // this request it is 48.4s from full, with 4 left.
  g_now += seconds(2);
  Exchange later = run(*policy, ctx);
  EXPECT_EQ(header(later, "RateLimit"), "\"10/s\";r=19;t=1, \"25/m\";r=4;t=49");
  EXPECT_EQ(header(later, "X-RateLimit-Limit"), "25");
  EXPECT_EQ(header(later, "X-RateLimit-Remaining"), "4");
  EXPECT_EQ(header(later, "X-RateLimit-Reset"), "49");
}

TEST(RateLimitPolicyTest, EitherFamilyOfHeadersCanBeHidden) {
  auto no_legacy = policy_on_fake_clock("rate_limit: { limit: 1/s, headers: { legacy: false } }\n");
  FakeRequestContext ctx;
  Exchange ex = run(*no_legacy, ctx);
  EXPECT_EQ(header(ex, "RateLimit"), "\"1/s\";r=0;t=1");
  EXPECT_EQ(header(ex, "X-RateLimit-Limit"), "<absent>");
  auto none = policy_on_fake_clock("rate_limit: { limit: 1/s, headers: false }\n");
  run(*none, ctx);
  Exchange denied = run(*none, ctx);
  EXPECT_EQ(denied.status, 429);
  EXPECT_EQ(denied.headers.size(), 1u);  // Retry-After only: the 429 must still say when
  EXPECT_EQ(header(denied, "Retry-After"), "1");
}

TEST(RateLimitPolicyTest, MissingKeyPartsAreDeniedAllowedOrShared) {
  FakeRequestContext ctx;
  auto deny = policy_on_fake_clock("rate_limit: { key: header:X-Api-Key, limit: 1/s, on_missing_key: deny }\n");
  Exchange denied = run(*deny, ctx);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.error_code, "rate_limit_key_missing");
  EXPECT_EQ(header(denied, "RateLimit"), "<absent>");

  auto allow = policy_on_fake_clock("rate_limit: { key: header:X-Api-Key, limit: 1/s, on_missing_key: allow }\n");
  for (int i = 0; i < 3; ++i) {
    Exchange ex = run(*allow, ctx);
    EXPECT_EQ(ex.kind, Kind::kProceed);
    EXPECT_EQ(header(ex, "RateLimit"), "<absent>");
  }

  auto shared = policy_on_fake_clock("rate_limit: { key: header:X-Api-Key, limit: 1/s }\n");
  EXPECT_EQ(run(*shared, ctx).kind, Kind::kProceed);
  ctx.set_client_address("192.0.2.99");  // another client without a key: same bucket
  EXPECT_EQ(run(*shared, ctx).status, 429);
  ctx.request().headers.add("X-Api-Key", "k1");
  EXPECT_EQ(run(*shared, ctx).kind, Kind::kProceed);
}

TEST(RateLimitPolicyTest, ClaimKeysLimitEachSubjectApart) {
  auto policy = policy_on_fake_clock("rate_limit: { key: [claim:sub], limit: 2/m, on_missing_key: deny }\n");
  FakeRequestContext ctx;
  auto as = [&](const char* sub) {
    ctx.clear_data();
    ctx.set_data(&policy::kVerifiedClaimsKey, std::make_unique<policy::VerifiedClaims>(
                                                  boost::json::parse(std::string(R"({"sub":")") + sub + "\"}").as_object()));
    policy::RequestOutcome outcome = policy->on_request(ctx);
    return outcome.kind() == Kind::kProceed ? 200 : outcome.take_reply()->status;
  };
  EXPECT_EQ(as("alice"), 200);
  EXPECT_EQ(as("alice"), 200);
  EXPECT_EQ(as("alice"), 429);
  EXPECT_EQ(as("bob"), 200);
}

// Stands in for the proxy's exchange: records how the paused request resumed.
struct ResumeRecorder final : policy::ResumeTarget {
  void resume_request(std::uint64_t exchange_id, policy::RequestOutcome outcome) override {
    resumed.push_back(outcome.kind());
  }
  std::vector<Kind> resumed;
};

TEST(RateLimitPolicyTest, DelayModeHoldsRequestsUpToTheQueueBoundThenRejects) {
  // 50/s = one per 20ms, no burst, at most 2 waiting.
  auto policy = policy_on_fake_clock("rate_limit: { limit: 50/s, burst: 1, mode: delay, max_delay: 1s, max_queue: 2 }\n");
  FakeRequestContext ctx;
  auto recorder = std::make_shared<ResumeRecorder>();
  ctx.target = recorder;
  // Taken before the waits are armed: they count from when each request paused.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(run(*policy, ctx).kind, Kind::kProceed);
  Exchange first = run(*policy, ctx);
  EXPECT_EQ(first.kind, Kind::kPause);
  EXPECT_EQ(run(*policy, ctx).kind, Kind::kPause);
  Exchange over = run(*policy, ctx);
  EXPECT_EQ(over.status, 429);
  EXPECT_EQ(header(over, "Retry-After"), "1");

  ctx.io.run();  // both timers fire and resume their requests
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(40));
  EXPECT_EQ(recorder->resumed, (std::vector<Kind>{Kind::kProceed, Kind::kProceed}));
}

TEST(RateLimitPolicyTest, RebuildingAnIdenticalPolicyKeepsItsCountersAndAChangedOneStartsAfresh) {
  policy::PolicyServices services;
  config::Diagnostics diagnostics;
  auto build = [&](const std::string& yaml, std::string_view route) {
    config::ConfigNode root(YAML::Load(yaml), "test.yaml", diagnostics);
    return create_rate_limit_policy(root["rate_limit"], {.route_name = route, .services = services});
  };
  FakeRequestContext ctx;
  auto old_policy = build("rate_limit: { limit: 2/h }\n", "api");
  ASSERT_NE(old_policy, nullptr);
  EXPECT_EQ(run(*old_policy, ctx).kind, Kind::kProceed);
  EXPECT_EQ(run(*old_policy, ctx).kind, Kind::kProceed);
  // A reload builds the new policies while the old ones are still alive.
  auto same = build("rate_limit: { limit: 2/h, headers: { legacy: false } }\n", "api");
  EXPECT_EQ(run(*same, ctx).status, 429);
  auto changed = build("rate_limit: { limit: 3/h }\n", "api");
  EXPECT_EQ(run(*changed, ctx).kind, Kind::kProceed);
  auto other_route = build("rate_limit: { limit: 2/h }\n", "web");
  EXPECT_EQ(run(*other_route, ctx).kind, Kind::kProceed);
  EXPECT_TRUE(diagnostics.empty());

  // Every decision was counted once, by route and result.
  services.shared<ScrapeHooks>().run();  // as /metrics does before serialising
  const std::string text = prometheus::TextSerializer().Serialize(services.metrics_registry().Collect());
  EXPECT_NE(text.find(R"(gatehouse_rate_limit_decisions_total{result="allowed",route="api"} 3)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(gatehouse_rate_limit_decisions_total{result="limited",route="api"} 1)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(gatehouse_rate_limit_decisions_total{result="allowed",route="web"} 1)"), std::string::npos) << text;
}

TEST(RateLimitHeadersTest, LegacyHeadersPickLeastRemainingThenLatestReset) {
  Verdict v;
  v.allowed = true;
  v.count = 3;
  v.decisions[0] = Decision{.allowed = true, .limit = 10, .remaining = 2, .reset = seconds(1)};
  v.decisions[1] = Decision{.allowed = true, .limit = 100, .remaining = 2, .reset = seconds(30)};
  v.decisions[2] = Decision{.allowed = true, .limit = 1000, .remaining = 500, .reset = seconds(3600)};
  EXPECT_EQ(most_restrictive(v), 1u);
  EXPECT_EQ(ceil_seconds(milliseconds(1)), 1u);
  EXPECT_EQ(ceil_seconds(seconds(2)), 2u);
  EXPECT_EQ(ceil_seconds(Nanos(0)), 0u);
  v.allowed = false;
  v.decisions[0].allowed = false;
  v.decisions[0].retry_after = milliseconds(1500);
  EXPECT_EQ(retry_after_seconds(v), 2u);
}

}  // namespace
}  // namespace gatehouse::policies::rate_limit

namespace gatehouse::policies::rate_limit {
namespace {

TEST(RateLimitHeadersTest, ReplacesTheUpstreamsHeadersButKeepsItsRetryAfterUnlessDenied) {
  const std::vector<LimitSpec> limits{LimitSpec{.algorithm = Algorithm::kFixedWindow, .quota = 5,
                                                .window = std::chrono::seconds(60), .burst = 5}};
  const RateLimitHeaders headers({"5/m"}, limits, HeaderChoice{.ietf = true, .legacy = false});
  Verdict v;
  v.allowed = true;
  v.count = 1;
  v.decisions[0] = Decision{.allowed = true, .limit = 5, .remaining = 3, .reset = std::chrono::seconds(42)};

  http::HeaderMap upstream;
  upstream.add("ratelimit", "\"upstream\";r=1;t=1");
  upstream.add("X-RateLimit-Limit", "7");  // legacy hidden: left alone
  upstream.add("Retry-After", "30");
  headers.apply(v, upstream);
  std::vector<std::string> fields;
  for (const http::Header& h : upstream) fields.push_back(h.name + ": " + h.value);
  EXPECT_EQ(fields, (std::vector<std::string>{"X-RateLimit-Limit: 7", "Retry-After: 30",
                                              "RateLimit-Policy: \"5/m\";q=5;w=60", "RateLimit: \"5/m\";r=3;t=42"}));

  v.allowed = false;
  v.decisions[0] = Decision{.allowed = false, .limit = 5, .remaining = 0, .reset = std::chrono::seconds(42),
                            .retry_after = std::chrono::seconds(42)};
  headers.apply(v, upstream);
  EXPECT_EQ(upstream.count("Retry-After"), 1u);
  EXPECT_EQ(*upstream.find("Retry-After"), "42");
  EXPECT_EQ(*upstream.find("RateLimit"), "\"5/m\";r=0;t=42");
}

}  // namespace
}  // namespace gatehouse::policies::rate_limit
