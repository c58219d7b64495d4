// The `headers` policy built the way the config loader builds it (through
// the registry, from YAML options) and called directly, without sockets.

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "policies/headers/headers_policy.h"
#include "proxy/config/config_node.h"
#include "proxy/policy/registry.h"
#include "tests/unit/fake_request_context.h"

namespace gatehouse::policies::headers {
namespace {

using testing_support::FakeRequestContext;

// The document's `headers` key plays the options of a `- headers: ...` entry.
struct Built {
  config::Diagnostics diagnostics;
  policy::PolicyServices services;
  std::unique_ptr<const policy::Policy> policy;
};

std::unique_ptr<Built> build(const std::string& yaml) {
  auto built = std::make_unique<Built>();
  config::ConfigNode root(YAML::Load(yaml), "test.yaml", built->diagnostics);
  const policy::PolicyFactory* factory = policy::find_policy_factory("headers");
  if (factory != nullptr) built->policy = factory->create(root["headers"], {.route_name = "test-route", .services = built->services});
  return built;
}

// Builds a policy that must be valid.
std::unique_ptr<const policy::Policy> build_ok(const std::string& yaml) {
  std::unique_ptr<Built> built = build(yaml);
  for (const config::Diagnostic& d : built->diagnostics.items()) ADD_FAILURE() << d.to_string();
  EXPECT_NE(built->policy, nullptr);
  return std::move(built->policy);
}

// "Name: value" for every field, in order.
std::vector<std::string> fields(const http::HeaderMap& headers) {
  std::vector<std::string> out;
  for (const http::Header& h : headers) out.push_back(h.name + ": " + h.value);
  return out;
}

using Fields = std::vector<std::string>;

TEST(HeadersRegistryTest, HeadersIsInTheFactoryTable) {
  const policy::PolicyFactory* factory = policy::find_policy_factory("headers");
  ASSERT_NE(factory, nullptr);
  EXPECT_EQ(factory->type, "headers");
  EXPECT_EQ(factory->create, &create_headers_policy);
  EXPECT_EQ(policy::find_policy_factory("Headers"), nullptr);  // YAML keys are exact
  EXPECT_EQ(policy::find_policy_factory("no_such_policy"), nullptr);
  bool listed = false;
  for (const policy::PolicyFactory& f : policy::policy_factories()) listed |= f.type == "headers";
  EXPECT_TRUE(listed);
}

TEST(HeadersPolicyTest, RequestRemovesThenSetsThenAdds) {
  auto policy = build_ok(R"(
headers:
  request:
    remove: [x-debug, X-Replaced]
    set: { X-Env: prod, X-Replaced: new }
    add: { Via: gatehouse, X-Env: extra }
)");
  ASSERT_NE(policy, nullptr);
  FakeRequestContext ctx;
  http::HeaderMap& h = ctx.request().headers;
  h.add("Accept", "*/*");
  h.add("X-DEBUG", "1");
  h.add("X-Env", "dev");
  h.add("x-debug", "2");
  h.add("X-Replaced", "old");
  h.add("X-Env", "dev2");

  EXPECT_EQ(policy->on_request(ctx).kind(), policy::RequestOutcome::Kind::kProceed);

  // Removed case-insensitively; X-Env set in place of its first field; the
  // removed X-Replaced comes back from `set`; `add` appends.
  EXPECT_EQ(fields(h), (Fields{"Accept: */*", "X-Env: prod", "X-Replaced: new",
                               "Via: gatehouse", "X-Env: extra"}));
}

TEST(HeadersPolicyTest, ResponsePhaseEditsOnlyTheResponse) {
  auto policy = build_ok(R"(
headers:
  request:  { set: { X-Request-Side: "1" } }
  response: { remove: [server], set: { Cache-Control: no-store }, add: { Vary: Origin } }
)");
  ASSERT_NE(policy, nullptr);
  FakeRequestContext ctx;
  http::ResponseHead response;
  response.headers.add("Server", "upstream/1.0");
  response.headers.add("Vary", "Accept");
  response.headers.add("Cache-Control", "max-age=60");

  policy->on_response(ctx, response);

  EXPECT_EQ(fields(response.headers),
            (Fields{"Vary: Accept", "Cache-Control: no-store", "Vary: Origin"}));
  EXPECT_TRUE(ctx.request().headers.empty());

  ASSERT_EQ(policy->on_request(ctx).kind(), policy::RequestOutcome::Kind::kProceed);
  EXPECT_EQ(fields(ctx.request().headers), (Fields{"X-Request-Side: 1"}));
}

TEST(HeadersPolicyTest, EmptyOptionsAreAValidNoOp) {
  auto policy = build_ok("headers: {}\n");
  ASSERT_NE(policy, nullptr);
  FakeRequestContext ctx;
  ctx.request().headers.add("A", "1");
  http::ResponseHead response;
  response.headers.add("B", "2");
  EXPECT_EQ(policy->on_request(ctx).kind(), policy::RequestOutcome::Kind::kProceed);
  policy->on_response(ctx, response);
  EXPECT_EQ(fields(ctx.request().headers), (Fields{"A: 1"}));
  EXPECT_EQ(fields(response.headers), (Fields{"B: 2"}));
}

TEST(HeadersConfigTest, ParsesIntoPlainValues) {
  config::Diagnostics diagnostics;
  config::ConfigNode root(YAML::Load(R"(
headers:
  request: { remove: X-One, set: { Host: api.internal, X-Num: 5 } }
  response: { remove: [A, a, B] }
)"),
                          "test.yaml", diagnostics);
  std::optional<HeadersConfig> config = parse_headers_config(root["headers"]);
  ASSERT_TRUE(config.has_value());
  EXPECT_TRUE(diagnostics.empty());
  // A single name is a one-item list; set keeps document order and spelling.
  EXPECT_EQ(config->request.remove, (std::vector<std::string>{"X-One"}));
  ASSERT_EQ(config->request.set.size(), 2u);
  EXPECT_EQ(config->request.set[0].name, "Host");  // rewriting Host is allowed
  EXPECT_EQ(config->request.set[0].value, "api.internal");
  EXPECT_EQ(config->request.set[1].value, "5");
  EXPECT_TRUE(config->request.add.empty());
  // A name repeated in `remove` is kept once.
  EXPECT_EQ(config->response.remove, (std::vector<std::string>{"A", "B"}));
  EXPECT_TRUE(config->response.set.empty());
}

// --- configuration errors -------------------------------------------------

// The single diagnostic of an invalid configuration.
config::Diagnostic single_error(const std::string& yaml) {
  std::unique_ptr<Built> built = build(yaml);
  EXPECT_EQ(built->policy, nullptr);
  std::string reported;
  for (const config::Diagnostic& d : built->diagnostics.items()) reported += d.to_string() + "\n";
  EXPECT_EQ(built->diagnostics.items().size(), 1u) << reported;
  if (built->diagnostics.items().empty()) return {};
  return built->diagnostics.items().front();
}

TEST(HeadersConfigTest, BareEntryIsAnError) {
  config::Diagnostic d = single_error("headers:\n");
  EXPECT_EQ(d.path, "headers");
  EXPECT_NE(d.message.find("expected a map"), std::string::npos) << d.message;
  EXPECT_EQ(d.file, "test.yaml");
}

TEST(HeadersConfigTest, OptionsOfTheWrongKindAreErrors) {
  EXPECT_NE(single_error("headers: [request]\n").message.find("expected a map"), std::string::npos);

  config::Diagnostic d = single_error("headers: { request: [X-A] }\n");
  EXPECT_EQ(d.path, "headers.request");
  EXPECT_NE(d.message.find("expected a map"), std::string::npos) << d.message;

  d = single_error("headers: { request: { set: [X-A] } }\n");
  EXPECT_EQ(d.path, "headers.request.set");
  EXPECT_NE(d.message.find("expected a map"), std::string::npos) << d.message;

  d = single_error("headers: { response: { remove: { X-A: 1 } } }\n");
  EXPECT_EQ(d.path, "headers.response.remove");
  EXPECT_NE(d.message.find("list of header names"), std::string::npos) << d.message;
}

TEST(HeadersConfigTest, UnknownKeysAreErrors) {
  config::Diagnostic d = single_error("headers: { requests: { set: { A: b } } }\n");
  EXPECT_NE((d.path + d.message).find("requests"), std::string::npos) << d.path << ": " << d.message;

  d = single_error("headers:\n  response:\n    sett: { A: b }\n");
  EXPECT_NE((d.path + d.message).find("sett"), std::string::npos) << d.path << ": " << d.message;
  EXPECT_EQ(d.line, 3);
}

TEST(HeadersConfigTest, NamesMustBeTokens) {
  config::Diagnostic d = single_error("headers:\n  request:\n    set: { \"Bad Name\": x }\n");
  EXPECT_EQ(d.path, "headers.request.set.Bad Name");
  EXPECT_NE(d.message.find("not a valid header name"), std::string::npos) << d.message;
  EXPECT_EQ(d.line, 3);
  EXPECT_EQ(d.column, 12);  // at the name, not at its value

  d = single_error("headers: { response: { remove: [X-Ok, \"X:Colon\"] } }\n");
  EXPECT_EQ(d.path, "headers.response.remove[1]");
  EXPECT_NE(d.message.find("not a valid header name"), std::string::npos) << d.message;

  d = single_error("headers: { request: { add: { \"\": x } } }\n");
  EXPECT_NE(d.message.find("not a valid header name"), std::string::npos) << d.message;
}

TEST(HeadersConfigTest, ValuesMustNotContainControlCharacters) {
  // CR/LF would let the configuration inject a header or split the message.
  config::Diagnostic d =
      single_error("headers: { response: { set: { X-A: \"ok\\r\\nSet-Cookie: evil\" } } }\n");
  EXPECT_EQ(d.path, "headers.response.set.X-A");
  EXPECT_NE(d.message.find("control character"), std::string::npos) << d.message;

  d = single_error("headers: { request: { add: { X-A: \"a\\nb\" } } }\n");
  EXPECT_EQ(d.path, "headers.request.add.X-A");

  d = single_error("headers: { request: { add: { X-A: \"a\\0b\" } } }\n");
  EXPECT_NE(d.message.find("control character"), std::string::npos) << d.message;

  d = single_error("headers: { request: { set: { X-A: \" padded\" } } }\n");
  EXPECT_NE(d.message.find("start or end"), std::string::npos) << d.message;

  // Inner spaces and tabs are fine.
  build_ok("headers: { request: { set: { X-A: \"a b\\tc\" } } }\n");
}

TEST(HeadersConfigTest, ProxyManagedHeadersAreRefused) {
  config::Diagnostic d = single_error("headers: { request: { set: { content-length: \"0\" } } }\n");
  EXPECT_EQ(d.path, "headers.request.set.content-length");
  EXPECT_NE(d.message.find("may not change `content-length`"), std::string::npos) << d.message;
  EXPECT_NE(d.message.find("delimits the body"), std::string::npos) << d.message;

  d = single_error("headers: { response: { remove: [Transfer-Encoding] } }\n");
  EXPECT_EQ(d.path, "headers.response.remove[0]");
  EXPECT_NE(d.message.find("delimits the body"), std::string::npos) << d.message;

  d = single_error("headers: { response: { add: { Connection: close } } }\n");
  EXPECT_NE(d.message.find("hop-by-hop"), std::string::npos) << d.message;

  d = single_error("headers: { request: { remove: [host] } }\n");
  EXPECT_NE(d.message.find("exactly one Host"), std::string::npos) << d.message;
  d = single_error("headers: { request: { add: { Host: b.example } } }\n");
  EXPECT_NE(d.message.find("exactly one Host"), std::string::npos) << d.message;
}

TEST(HeadersConfigTest, SettingOneNameTwiceIsAnError) {
  config::Diagnostic d = single_error("headers: { request: { set: { X-A: \"1\", x-a: \"2\" } } }\n");
  EXPECT_EQ(d.path, "headers.request.set.x-a");
  EXPECT_NE(d.message.find("already set as `X-A`"), std::string::npos) << d.message;
}

TEST(HeadersConfigTest, DuplicateAndNonStringKeysAreErrors) {
  config::Diagnostic d = single_error("headers:\n  request:\n    add: { X-A: \"1\", X-A: \"2\" }\n");
  EXPECT_EQ(d.path, "headers.request.add.X-A");
  EXPECT_NE(d.message.find("duplicate"), std::string::npos) << d.message;

  // Reported once, as a duplicate, not again as a case-insensitive clash.
  d = single_error("headers: { response: { set: { X-A: \"1\", X-A: \"2\" } } }\n");
  EXPECT_NE(d.message.find("duplicate"), std::string::npos) << d.message;

  d = single_error("headers:\n  request: {}\n  request: {}\n");
  EXPECT_EQ(d.path, "headers.request");
  EXPECT_NE(d.message.find("duplicate"), std::string::npos) << d.message;

  d = single_error("headers: { request: { set: { [X-A]: b } } }\n");
  EXPECT_NE(d.message.find("plain strings"), std::string::npos) << d.message;
}

TEST(HeadersConfigTest, ReportsEveryErrorInOnePass) {
  std::unique_ptr<Built> built = build(R"(
headers:
  bogus: 1
  request:
    set: { "Bad Name": x, Content-Length: "1" }
  response:
    add: { X-A: "a\rb" }
)");
  EXPECT_EQ(built->policy, nullptr);
  std::vector<std::string> paths;
  for (const config::Diagnostic& d : built->diagnostics.items()) paths.push_back(d.path);
  EXPECT_EQ(built->diagnostics.items().size(), 4u);
  EXPECT_NE(std::find(paths.begin(), paths.end(), "headers.request.set.Bad Name"), paths.end());
  EXPECT_NE(std::find(paths.begin(), paths.end(), "headers.request.set.Content-Length"), paths.end());
  EXPECT_NE(std::find(paths.begin(), paths.end(), "headers.response.add.X-A"), paths.end());
}

}  // namespace
}  // namespace gatehouse::policies::headers
