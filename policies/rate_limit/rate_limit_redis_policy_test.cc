// The `rate_limit` policy with `store: redis` called directly, against a
// Redis address where nothing listens: the request pauses, and resumes on the
// context's executor with what `on_store_error` says; the fallback is counted
// and the headers come from the local fallback's divided limits.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <yaml-cpp/yaml.h>

#include "policies/rate_limit/rate_limit_policy.h"
#include "proxy/admin/scrape_hooks.h"
#include "proxy/config/config_node.h"
#include "tests/unit/fake_request_context.h"

namespace gatehouse::policies::rate_limit {
namespace {

using testing_support::FakeRequestContext;
using Kind = policy::RequestOutcome::Kind;

// A port on 127.0.0.1 that was free a moment ago: connections are refused.
std::uint16_t closed_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return probe.local_endpoint().port();
}

struct Resumed {
  Kind kind;
  std::string error_code;
  int status = 0;
};

struct Recorder final : policy::ResumeTarget {
  void resume_request(std::uint64_t, policy::RequestOutcome outcome) override {
    Resumed r{outcome.kind(), outcome.error_code(), 0};
    if (outcome.kind() == Kind::kRespond) r.status = outcome.take_reply()->status;
    resumed.push_back(r);
  }
  std::vector<Resumed> resumed;
};

class RedisPolicyTest : public ::testing::Test {
 protected:
  std::unique_ptr<const policy::Policy> build(const std::string& extra) {
    const std::string yaml = "rate_limit: { limit: 4/h, store: redis, redis: { address: 127.0.0.1:" +
                             std::to_string(closed_port()) + " }, " + extra + " }\n";
    config::ConfigNode root(YAML::Load(yaml), "test.yaml", diagnostics);
    return create_rate_limit_policy(root["rate_limit"], {.route_name = "api", .services = services});
  }

  // One request: pauses, then resumes once the loop has run; returns how,
  // with the response headers the policy adds.
  Resumed request(const policy::Policy& policy, http::HeaderMap* headers = nullptr) {
    ctx.clear_data();
    EXPECT_EQ(policy.on_request(ctx).kind(), Kind::kPause);
    const std::size_t before = recorder->resumed.size();
    ctx.io.restart();
    ctx.io.run();
    EXPECT_EQ(recorder->resumed.size(), before + 1);
    if (recorder->resumed.size() != before + 1) return {};
    Resumed r = recorder->resumed.back();
    http::ResponseHead response;
    response.status = r.kind == Kind::kRespond ? r.status : 200;
    policy.on_response(ctx, response);
    if (headers != nullptr) *headers = response.headers;
    return r;
  }

  std::string metrics() {
    services.shared<ScrapeHooks>().run();  // as /metrics does before serialising
    return prometheus::TextSerializer().Serialize(services.metrics_registry().Collect());
  }

  void SetUp() override { ctx.target = recorder; }

  policy::PolicyServices services;
  config::Diagnostics diagnostics;
  FakeRequestContext ctx;
  std::shared_ptr<Recorder> recorder = std::make_shared<Recorder>();
};

TEST_F(RedisPolicyTest, LocalFallbackEnforcesTheLimitDividedByTheExpectedInstances) {
  auto policy = build("expected_instances: 2");
  ASSERT_NE(policy, nullptr);
  http::HeaderMap headers;
  EXPECT_EQ(request(*policy, &headers).kind, Kind::kProceed);
  ASSERT_NE(headers.find("X-RateLimit-Remaining"), nullptr);
  EXPECT_EQ(*headers.find("X-RateLimit-Remaining"), "1");  // 4/h over 2 instances: 2/h here
  EXPECT_EQ(*headers.find("X-RateLimit-Limit"), "2");
  EXPECT_EQ(request(*policy).kind, Kind::kProceed);
  Resumed over = request(*policy, &headers);
  EXPECT_EQ(over.kind, Kind::kRespond);
  EXPECT_EQ(over.status, 429);
  EXPECT_EQ(over.error_code, "rate_limited");
  EXPECT_NE(headers.find("Retry-After"), nullptr);
  const std::string text = metrics();
  EXPECT_NE(text.find(R"(gatehouse_rate_limit_decisions_total{result="fallback",route="api"} 3)"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(gatehouse_rate_limit_decisions_total{result="allowed",route="api"} 2)"), std::string::npos);
  EXPECT_NE(text.find(R"(gatehouse_rate_limit_decisions_total{result="limited",route="api"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"(gatehouse_rate_limit_store_duration_seconds_count{route="api"} 3)"), std::string::npos)
      << text;
}

TEST_F(RedisPolicyTest, FailOpenAdmitsWithoutHeaders) {
  auto policy = build("on_store_error: fail_open");
  ASSERT_NE(policy, nullptr);
  for (int i = 0; i < 6; ++i) {
    http::HeaderMap headers;
    EXPECT_EQ(request(*policy, &headers).kind, Kind::kProceed);
    EXPECT_EQ(headers.find("X-RateLimit-Remaining"), nullptr);
  }
  EXPECT_NE(metrics().find(R"(gatehouse_rate_limit_decisions_total{result="fallback",route="api"} 6)"),
            std::string::npos);
}

TEST_F(RedisPolicyTest, FailClosedAnswers503) {
  auto policy = build("on_store_error: fail_closed");
  ASSERT_NE(policy, nullptr);
  http::HeaderMap headers;
  Resumed r = request(*policy, &headers);
  EXPECT_EQ(r.kind, Kind::kRespond);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.error_code, "rate_limit_store_unavailable");
  EXPECT_EQ(headers.find("X-RateLimit-Remaining"), nullptr);
}

TEST_F(RedisPolicyTest, AClientThatLeftIsNotResumedAndNothingBreaks) {
  auto policy = build("on_store_error: fail_open");
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->on_request(ctx).kind(), Kind::kPause);
  ctx.clear_data();
  recorder.reset();  // the exchange is gone
  policy.reset();    // and so is the config that built the policy (a reload)
  ctx.io.run();
}

}  // namespace
}  // namespace gatehouse::policies::rate_limit
