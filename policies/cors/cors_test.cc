// The `cors` policy built through the registry from YAML and called directly.

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "policies/cors/cors_policy.h"
#include "proxy/config/config_node.h"
#include "proxy/policy/registry.h"
#include "tests/unit/fake_request_context.h"

namespace gatehouse::policies::cors {
namespace {

using testing_support::FakeRequestContext;
using Fields = std::vector<std::string>;

struct BuiltCors {
  config::Diagnostics diagnostics;
  policy::PolicyServices services;
  std::unique_ptr<const policy::Policy> policy;
};

std::unique_ptr<BuiltCors> build_cors(const std::string& yaml) {
  auto built = std::make_unique<BuiltCors>();
  config::ConfigNode root(YAML::Load(yaml), "test.yaml", built->diagnostics);
  const policy::PolicyFactory* factory = policy::find_policy_factory("cors");
  EXPECT_NE(factory, nullptr);
  if (factory != nullptr) built->policy = factory->create(root["cors"], {.route_name = "r", .services = built->services});
  for (const config::Diagnostic& d : built->diagnostics.items()) ADD_FAILURE() << d.to_string();
  EXPECT_NE(built->policy, nullptr);
  return built;
}

struct Exchange {
  policy::RequestOutcome::Kind kind;
  int status = 0;                 // of the local reply, 0 when proceeding
  Fields headers;                 // of the response after on_response()
  std::string error_code;
};

// Runs one request (method, headers) through `policy`; the upstream, when
// reached, answers with `upstream` headers.
Exchange run(const policy::Policy& policy, const std::string& method, const Fields& request,
             const Fields& upstream = {"Content-Type: text/plain"}) {
  FakeRequestContext ctx;
  ctx.request().method = method;
  ctx.request().method_id = http::method_from_string(method);
  for (const std::string& f : request) {
    const std::size_t colon = f.find(": ");
    ctx.request().headers.add(f.substr(0, colon), f.substr(colon + 2));
  }
  policy::RequestOutcome outcome = policy.on_request(ctx);
  Exchange out{.kind = outcome.kind()};
  http::ResponseHead response;
  if (outcome.kind() == policy::RequestOutcome::Kind::kRespond) {
    out.error_code = outcome.error_code();
    std::unique_ptr<policy::LocalReply> reply = outcome.take_reply();
    out.status = reply->status;
    response.headers = reply->headers;
  } else {
    for (const std::string& f : upstream) {
      const std::size_t colon = f.find(": ");
      response.headers.add(f.substr(0, colon), f.substr(colon + 2));
    }
  }
  policy.on_response(ctx, response);
  for (const http::Header& h : response.headers) out.headers.push_back(h.name + ": " + h.value);
  return out;
}

const char* const kConfig = R"(
cors:
  allow_origins: [https://app.example.com, "https://*.example.org", "http://localhost:5173"]
  allow_origin_patterns: ['https://pr-[0-9]+\.preview\.example\.net']
  allow_methods: [GET, PUT, DELETE]
  allow_headers: [Content-Type, Authorization, X-Trace]
  expose_headers: [X-Request-Id, ETag]
  allow_credentials: true
  max_age: 10m
)";

TEST(CorsTest, PreflightAnsweredWith204AndTheAllowHeaders) {
  auto built = build_cors(kConfig);
  Exchange e = run(*built->policy, "OPTIONS",
                   {"Origin: https://app.example.com", "Access-Control-Request-Method: PUT",
                    "Access-Control-Request-Headers: content-type,x-trace"});
  ASSERT_EQ(e.kind, policy::RequestOutcome::Kind::kRespond);
  EXPECT_EQ(e.status, 204);
  EXPECT_EQ(e.headers, (Fields{"Access-Control-Allow-Origin: https://app.example.com",
                               "Access-Control-Allow-Credentials: true",
                               "Access-Control-Allow-Methods: GET, PUT, DELETE",
                               "Access-Control-Allow-Headers: content-type,x-trace",
                               "Access-Control-Max-Age: 600",
                               "Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}));
}

TEST(CorsTest, PreflightRefusals) {
  auto built = build_cors(kConfig);
  // Origin not allowed: 403 and no CORS header at all.
  Exchange e = run(*built->policy, "OPTIONS", {"Origin: https://evil.example", "Access-Control-Request-Method: PUT"});
  EXPECT_EQ(e.status, 403);
  EXPECT_EQ(e.error_code, "cors_origin_not_allowed");
  EXPECT_TRUE(e.headers.empty()) << e.headers.front();
  e = run(*built->policy, "OPTIONS", {"Origin: https://app.example.com", "Access-Control-Request-Method: PATCH"});
  EXPECT_EQ(e.status, 403);
  EXPECT_EQ(e.error_code, "cors_method_not_allowed");
  e = run(*built->policy, "OPTIONS", {"Origin: https://app.example.com", "Access-Control-Request-Method: GET",
                                      "Access-Control-Request-Headers: x-trace, x-secret"});
  EXPECT_EQ(e.status, 403);
  EXPECT_EQ(e.error_code, "cors_header_not_allowed");
  EXPECT_TRUE(e.headers.empty());
  // POST is CORS-safelisted: browsers never need it listed.
  e = run(*built->policy, "OPTIONS", {"Origin: https://app.example.com", "Access-Control-Request-Method: POST"});
  EXPECT_EQ(e.status, 204);
  // OPTIONS without Access-Control-Request-Method is an ordinary request.
  e = run(*built->policy, "OPTIONS", {"Origin: https://app.example.com"});
  EXPECT_EQ(e.kind, policy::RequestOutcome::Kind::kProceed);
}

TEST(CorsTest, ActualRequestEchoesAnAllowedOriginAndAppendsVary) {
  auto built = build_cors(kConfig);
  Exchange e = run(*built->policy, "GET", {"Origin: https://a.b.example.org"},
                   {"Vary: Accept-Encoding", "Access-Control-Allow-Origin: *"});
  EXPECT_EQ(e.kind, policy::RequestOutcome::Kind::kProceed);
  EXPECT_EQ(e.headers, (Fields{"Vary: Accept-Encoding, Origin",
                               "Access-Control-Allow-Origin: https://a.b.example.org",
                               "Access-Control-Allow-Credentials: true",
                               "Access-Control-Expose-Headers: X-Request-Id, ETag"}));
  // Pattern match, and an exact origin with its port.
  EXPECT_EQ(run(*built->policy, "GET", {"Origin: https://pr-42.preview.example.net"}).headers.size(), 5u);
  EXPECT_EQ(run(*built->policy, "GET", {"Origin: http://localhost:5173"}).headers.size(), 5u);
}

TEST(CorsTest, DisallowedOriginsGetNoCorsHeaders) {
  auto built = build_cors(kConfig);
  for (const char* origin : {"https://evil.example", "https://example.org", "https://a.example.org.evil.com",
                             "http://a.example.org", "https://a.example.org:8443", "https://app.example.com.evil",
                             "https://pr-1.preview.example.net.evil", "http://localhost:5174", "null"}) {
    Exchange e = run(*built->policy, "GET", {std::string("Origin: ") + origin},
                     {"Content-Type: text/plain", "Access-Control-Allow-Origin: *"});
    EXPECT_EQ(e.kind, policy::RequestOutcome::Kind::kProceed);
    EXPECT_EQ(e.headers, (Fields{"Content-Type: text/plain", "Vary: Origin"})) << origin;
  }
  // No Origin: not a CORS request, but the answer still varies by Origin.
  EXPECT_EQ(run(*built->policy, "GET", {}).headers, (Fields{"Content-Type: text/plain", "Vary: Origin"}));
  // A Vary of `*` or one already naming Origin is left alone.
  EXPECT_EQ(run(*built->policy, "GET", {}, {"Vary: *"}).headers, (Fields{"Vary: *"}));
  EXPECT_EQ(run(*built->policy, "GET", {}, {"vary: accept, origin"}).headers, (Fields{"vary: accept, origin"}));
}

TEST(CorsTest, AnyOriginWithoutCredentialsIsAConstantStar) {
  auto built = build_cors("cors: { allow_origins: ['*'], allow_headers: ['*'] }\n");
  Exchange e = run(*built->policy, "GET", {"Origin: https://x.example"});
  EXPECT_EQ(e.headers, (Fields{"Content-Type: text/plain", "Access-Control-Allow-Origin: *"}));
  e = run(*built->policy, "OPTIONS", {"Origin: https://x.example", "Access-Control-Request-Method: GET",
                                      "Access-Control-Request-Headers: x-anything"});
  EXPECT_EQ(e.status, 204);
  // `*` never covers Authorization (Fetch standard).
  e = run(*built->policy, "OPTIONS", {"Origin: https://x.example", "Access-Control-Request-Method: GET",
                                      "Access-Control-Request-Headers: authorization"});
  EXPECT_EQ(e.status, 403);
}

std::vector<config::Diagnostic> cors_errors(const std::string& yaml) {
  config::Diagnostics diagnostics;
  policy::PolicyServices services;
  config::ConfigNode root(YAML::Load(yaml), "test.yaml", diagnostics);
  EXPECT_EQ(policy::find_policy_factory("cors")->create(root["cors"], {.route_name = "r", .services = services}),
            nullptr);
  EXPECT_FALSE(diagnostics.empty());
  return diagnostics.items();
}

TEST(CorsConfigTest, StarWithCredentialsIsAnError) {
  auto errs = cors_errors("cors:\n  allow_origins: ['*']\n  allow_credentials: true\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].path, "cors.allow_origins");
  EXPECT_NE(errs[0].message.find("allow_credentials"), std::string::npos) << errs[0].message;
  EXPECT_EQ(errs[0].line, 2);
}

TEST(CorsConfigTest, OriginMistakesAreReportedWithTheirPath) {
  auto errs = cors_errors("cors: { allow_origins: [https://a.example, https://app.example.com/] }\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].path, "cors.allow_origins[1]");
  EXPECT_NE(errs[0].message.find("did you mean `https://app.example.com`"), std::string::npos) << errs[0].message;

  errs = cors_errors("cors: { allow_origins: [\"*.example.com\"] }\n");
  EXPECT_NE(errs[0].message.find("did you mean `https://*.example.com`"), std::string::npos) << errs[0].message;
  errs = cors_errors("cors: { allow_origins: [https://a.example:443] }\n");
  EXPECT_NE(errs[0].message.find("default port"), std::string::npos) << errs[0].message;
  errs = cors_errors("cors: { allow_origins: [\"https://a.*.example\"] }\n");
  EXPECT_NE(errs[0].message.find("leftmost"), std::string::npos) << errs[0].message;
  errs = cors_errors("cors: { allow_origins: [\"null\"] }\n");
  EXPECT_NE(errs[0].message.find("sandboxed"), std::string::npos) << errs[0].message;
  errs = cors_errors("cors: { allow_origin_patterns: ['https://(a'] }\n");
  EXPECT_EQ(errs[0].path, "cors.allow_origin_patterns[0]");
  EXPECT_NE(errs[0].message.find("invalid RE2 pattern"), std::string::npos) << errs[0].message;
  errs = cors_errors("cors: { allow_methods: [GET] }\n");
  EXPECT_NE(errs[0].message.find("no origin is allowed"), std::string::npos) << errs[0].message;
  errs = cors_errors("cors: { allow_origins: [https://a.example], allow_methods: [put] }\n");
  EXPECT_NE(errs[0].message.find("did you mean `PUT`"), std::string::npos) << errs[0].message;
  errs = cors_errors("cors: { allow_origins: [https://a.example], max_ages: 1m }\n");
  EXPECT_NE(errs[0].message.find("max_age"), std::string::npos) << errs[0].message;
}

}  // namespace
}  // namespace gatehouse::policies::cors
