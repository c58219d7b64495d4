// The `access` policy built through the registry from YAML and called directly.

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "policies/access/access_policy.h"
#include "proxy/config/config_node.h"
#include "proxy/policy/registry.h"
#include "tests/unit/fake_request_context.h"

namespace gatehouse::policies::access {
namespace {

using testing_support::FakeRequestContext;

struct BuiltAccess {
  config::Diagnostics diagnostics;
  policy::PolicyServices services;
  std::unique_ptr<const policy::Policy> policy;
};

std::unique_ptr<BuiltAccess> build_access(const std::string& yaml) {
  auto built = std::make_unique<BuiltAccess>();
  config::ConfigNode root(YAML::Load(yaml), "test.yaml", built->diagnostics);
  built->policy = policy::find_policy_factory("access")->create(root["access"], {.route_name = "r", .services = built->services});
  return built;
}

std::unique_ptr<const policy::Policy> access_ok(const std::string& yaml) {
  auto built = build_access(yaml);
  for (const config::Diagnostic& d : built->diagnostics.items()) ADD_FAILURE() << d.to_string();
  EXPECT_NE(built->policy, nullptr);
  return std::move(built->policy);
}

struct Checked {
  int status = 0;  // 0: proceeded
  std::string allow;
  std::string body;
};

Checked check(const policy::Policy& policy, FakeRequestContext& ctx, const std::string& method = "GET") {
  ctx.request().method = method;
  ctx.request().method_id = http::method_from_string(method);
  policy::RequestOutcome outcome = policy.on_request(ctx);
  Checked out;
  if (outcome.kind() != policy::RequestOutcome::Kind::kRespond) return out;
  std::string code = outcome.error_code();
  std::unique_ptr<policy::LocalReply> reply = outcome.take_reply();
  out.status = reply->status;
  if (const std::string* allow = reply->headers.find("Allow")) out.allow = *allow;
  out.body = reply->body.empty() ? code : reply->body;
  return out;
}

TEST(AccessTest, MethodsOutsideTheListGet405WithAllow) {
  auto policy = access_ok("access: { methods: [GET, POST] }\n");
  ASSERT_NE(policy, nullptr);
  FakeRequestContext ctx;
  EXPECT_EQ(check(*policy, ctx, "GET").status, 0);
  EXPECT_EQ(check(*policy, ctx, "HEAD").status, 0);  // GET implies HEAD
  EXPECT_EQ(check(*policy, ctx, "POST").status, 0);
  Checked c = check(*policy, ctx, "DELETE");
  EXPECT_EQ(c.status, 405);
  EXPECT_EQ(c.allow, "GET, POST, HEAD");
  EXPECT_NE(c.body.find("\"method_not_allowed\""), std::string::npos) << c.body;
  EXPECT_NE(c.body.find("req-1"), std::string::npos) << c.body;
  EXPECT_EQ(check(*policy, ctx, "get").status, 405);  // methods are case-sensitive
}

TEST(AccessTest, IpListsUseTheClientAddress) {
  auto policy = access_ok("access: { allow_ips: [10.0.0.0/8, \"2001:db8::/32\"], deny_ips: [10.9.0.0/16] }\n");
  ASSERT_NE(policy, nullptr);
  FakeRequestContext ctx;
  for (const char* ok : {"10.1.2.3", "2001:db8::1", "::ffff:10.0.0.1"}) {
    ctx.set_client_address(ok);
    EXPECT_EQ(check(*policy, ctx).status, 0) << ok;
  }
  for (const char* refused : {"10.9.0.1", "192.0.2.1", "2001:db9::1", "not-an-address", ""}) {
    ctx.set_client_address(refused);
    Checked c = check(*policy, ctx);
    EXPECT_EQ(c.status, 403) << refused;
    EXPECT_EQ(c.body, "forbidden");
  }
  auto deny_only = access_ok("access: { deny_ips: [192.0.2.0/24] }\n");
  ctx.set_client_address("198.51.100.1");
  EXPECT_EQ(check(*deny_only, ctx).status, 0);
  ctx.set_client_address("192.0.2.9");
  EXPECT_EQ(check(*deny_only, ctx).status, 403);
}

TEST(AccessTest, HeaderCountOver431) {
  auto policy = access_ok("access: { max_header_count: 3 }\n");
  FakeRequestContext ctx;
  ctx.request().headers.add("Host", "a");
  ctx.request().headers.add("X-Request-Id", "gateway-added");  // not counted
  ctx.request().headers.add("A", "1");
  ctx.request().headers.add("B", "1");
  EXPECT_EQ(check(*policy, ctx).status, 0);
  ctx.request().headers.add("C", "1");
  Checked c = check(*policy, ctx);
  EXPECT_EQ(c.status, 431);
  EXPECT_EQ(c.body, "header_fields_too_large");
}

TEST(AccessTest, BodySizeCheckedUpFrontAndHandedToTheProxyForStreaming) {
  auto policy = access_ok("access: { max_body_size: 1KiB }\n");
  FakeRequestContext ctx;
  ctx.request().framing = http::BodyFraming::kContentLength;
  ctx.request().content_length = 1024;
  EXPECT_EQ(check(*policy, ctx, "POST").status, 0);
  EXPECT_EQ(ctx.body_limit, 1024u);
  ctx.request().content_length = 1025;
  EXPECT_EQ(check(*policy, ctx, "POST").status, 413);
  FakeRequestContext chunked;
  chunked.request().framing = http::BodyFraming::kChunked;
  EXPECT_EQ(check(*policy, chunked, "POST").status, 0);
  EXPECT_EQ(chunked.body_limit, 1024u);  // the proxy refuses past it
}

std::vector<config::Diagnostic> access_errors(const std::string& yaml) {
  auto built = build_access(yaml);
  EXPECT_EQ(built->policy, nullptr);
  EXPECT_FALSE(built->diagnostics.empty());
  return built->diagnostics.items();
}

TEST(AccessConfigTest, Errors) {
  auto errs = access_errors("access:\n");
  EXPECT_NE(errs[0].message.find("checks nothing"), std::string::npos);
  errs = access_errors("access: { methods: [get] }\n");
  EXPECT_EQ(errs[0].path, "access.methods[0]");
  EXPECT_NE(errs[0].message.find("did you mean `GET`"), std::string::npos) << errs[0].message;
  errs = access_errors("access: { allow_ips: [10.0.0.1/8] }\n");
  EXPECT_EQ(errs[0].path, "access.allow_ips[0]");
  EXPECT_NE(errs[0].message.find("did you mean `10.0.0.0/8`"), std::string::npos) << errs[0].message;
  errs = access_errors("access: { deny_ips: [example.com] }\n");
  EXPECT_NE(errs[0].message.find("CIDR"), std::string::npos) << errs[0].message;
  errs = access_errors("access: { max_body_size: lots }\n");
  EXPECT_EQ(errs[0].path, "access.max_body_size");
  errs = access_errors("access: { max_header_count: 0 }\n");
  EXPECT_EQ(errs[0].path, "access.max_header_count");
  errs = access_errors("access: { method: [GET] }\n");
  EXPECT_NE(errs[0].message.find("did you mean `methods`"), std::string::npos) << errs[0].message;
  errs = access_errors("access: { methods: [] }\n");
  EXPECT_NE(errs[0].message.find("refuse every request"), std::string::npos) << errs[0].message;
}

}  // namespace
}  // namespace gatehouse::policies::access
