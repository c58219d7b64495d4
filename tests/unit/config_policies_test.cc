// The config loader's policy lists: defaults, merging by key, `type: off`,
// and errors in policy entries.
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "policies/cache/cache_runtime.h"
#include "policies/cache/cache_test_support.h"
#include "proxy/config/loader.h"
#include "proxy/policy/policy.h"
#include "tests/unit/config_test_support.h"
#include "tests/unit/fake_request_context.h"

namespace gatehouse::config {
namespace {

using namespace testing;

using testing_support::FakeRequestContext;

// Runs a route's whole chain on an empty request and a response carrying
// `Server: upstream`; returns the request's and the response's headers.
struct Ran {
  Strings request;
  Strings response;
};
Ran run_chain(const RouteConfig& route) {
  FakeRequestContext ctx;
  std::size_t cursor = 0;
  EXPECT_EQ(route.policies.run_request(ctx, cursor).kind(), policy::RequestOutcome::Kind::kProceed);
  http::ResponseHead response;
  response.headers.add("Server", "upstream");
  route.policies.run_response(ctx, response, cursor);
  Ran out;
  for (const http::Header& h : ctx.request().headers) out.request.push_back(h.name + ": " + h.value);
  for (const http::Header& h : response.headers) out.response.push_back(h.name + ": " + h.value);
  return out;
}

const std::string kWithDefaults = kListener +
    "upstreams:\n"
    "  api: { targets: [127.0.0.1:3000] }\n"
    "defaults:\n"
    "  policies:\n"
    "    - headers:\n"
    "        request: { set: { X-Env: prod } }\n"
    "        response:\n"
    "          set: { X-A: \"1\", X-B: \"2\" }\n"
    "          remove: [Server]\n";

TEST(ConfigLoaderTest, RoutesInheritDefaultPolicies) {
  auto config = load_ok(kWithDefaults +
                        "routes:\n"
                        "  - name: inherits\n"
                        "    upstream: api\n"
                        "  - name: bare-entry\n"
                        "    upstream: api\n"
                        "    policies: [headers]\n");
  ASSERT_NE(config, nullptr);
  for (const RouteConfig& route : config->routes) {
    EXPECT_EQ(route.policies.size(), 1u) << route.name;
    const Ran ran = run_chain(route);
    EXPECT_EQ(ran.request, Strings{"X-Env: prod"}) << route.name;
    EXPECT_EQ(ran.response, (Strings{"X-A: 1", "X-B: 2"})) << route.name;
  }
}

TEST(ConfigLoaderTest, RouteEntryMergesOverTheDefaultByKey) {
  auto config = load_ok(kWithDefaults +
                        "routes:\n"
                        "  - name: merged\n"
                        "    upstream: api\n"
                        "    policies:\n"
                        "      - headers:\n"
                        "          response:\n"
                        "            set: { X-B: \"3\", X-C: \"4\" }\n"
                        "  - name: sequence-replaces\n"
                        "    upstream: api\n"
                        "    policies:\n"
                        "      - headers: { response: { remove: [X-Other] } }\n");
  ASSERT_NE(config, nullptr);
  // Nested maps merge: the route's X-B wins, X-A and the request block stay.
  const Ran merged = run_chain(config->routes[0]);
  EXPECT_EQ(config->routes[0].policies.size(), 1u);
  EXPECT_EQ(merged.request, Strings{"X-Env: prod"});
  EXPECT_EQ(merged.response, (Strings{"X-A: 1", "X-B: 3", "X-C: 4"}));
  // A sequence replaces: Server is no longer removed, `set` is kept.
  const Ran replaced = run_chain(config->routes[1]);
  EXPECT_EQ(replaced.response, (Strings{"Server: upstream", "X-A: 1", "X-B: 2"}));
}

TEST(ConfigLoaderTest, OffDropsTheDefault) {
  auto config = load_ok(kWithDefaults +
                        "routes:\n"
                        "  - name: plain\n"
                        "    upstream: api\n"
                        "    policies:\n"
                        "      - headers: off\n"
                        "  - name: quoted-false\n"
                        "    upstream: api\n"
                        "    policies: [{ headers: false }]\n");
  ASSERT_NE(config, nullptr);
  for (const RouteConfig& route : config->routes) {
    EXPECT_TRUE(route.policies.empty()) << route.name;
    EXPECT_EQ(run_chain(route).response, Strings{"Server: upstream"});
  }
}

TEST(ConfigLoaderTest, RouteOwnPoliciesWithoutDefaults) {
  auto config = load_ok(kMinimal +
                        "    policies:\n"
                        "      - headers: { response: { set: { X-Served-By: gatehouse } } }\n"
                        "  - name: off-without-default\n"
                        "    upstream: api\n"
                        "    policies: [{ headers: off }]\n");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->routes[0].policies.size(), 1u);
  EXPECT_EQ(run_chain(config->routes[0]).response,
            (Strings{"Server: upstream", "X-Served-By: gatehouse"}));
  EXPECT_TRUE(config->routes[1].policies.empty());
}

TEST(ConfigLoaderTest, PolicyListErrors) {
  EXPECT_EQ(load_errors(kMinimal +
                        "    policies:\n"                                     // 10
                        "      - header: { request: { set: { X-A: \"1\" } } }\n"  // 11
                        "      - headers: { request: { set: { X-A: \"1\" } } }\n"  // 12
                        "      - headers: { response: { set: { X-B: \"2\" } } }\n"  // 13
                        "      - headers:\n"                                  // 14
                        "        request: { set: { X-A: \"1\" } }\n"          // 15
                        "      - [headers]\n"                                 // 16
                        "      - {}\n"),                                      // 17
            (Strings{
                "t.yaml:11:9: routes[0].policies[0]: unknown policy type `header`; did you mean "
                "`headers`?",
                "t.yaml:13:9: routes[0].policies[2]: policy `headers` is already in this list at "
                "[1]; a type may appear only once",
                "t.yaml:14:9: routes[0].policies[3]: a policy entry has exactly one key, its type; "
                "found `headers`, `request` (are the options indented under the type?)",
                "t.yaml:16:9: routes[0].policies[4]: expected a policy: `- type` or `- type: "
                "{options}`, got a sequence",
                "t.yaml:17:9: routes[0].policies[5]: empty policy entry; expected `- type` or `- "
                "type: {options}`",
            }));
}

TEST(ConfigLoaderTest, PolicyOptionErrorsAreReportedOnce) {
  // The default is broken: reported once at its own position, however many
  // routes inherit it, and never again at the routes.
  const Strings errs = load_errors(kListener +
                                   "upstreams:\n"                                 // 4
                                   "  api: { targets: [127.0.0.1:3000] }\n"       // 5
                                   "defaults:\n"                                  // 6
                                   "  policies:\n"                                // 7
                                   "    - headers: { response: { sett: {} } }\n"  // 8
                                   "routes:\n"                                    // 9
                                   "  - { name: a, upstream: api }\n"             // 10
                                   "  - { name: b, upstream: api }\n"             // 11
                                   "  - name: c\n"                                // 12
                                   "    upstream: api\n"                          // 13
                                   "    policies:\n"                              // 14
                                   "      - headers: { request: { set: { \"Bad Name\": x } } }\n");  // 15
  ASSERT_EQ(errs.size(), 2u) << errs.front();
  EXPECT_EQ(errs[0].rfind("t.yaml:8:30: defaults.policies[0].headers.response.sett: unknown key "
                          "`sett`; did you mean `set`?",
                          0),
            0u)
      << errs[0];
  // Where exactly in the line is the headers policy's business.
  EXPECT_EQ(errs[1].rfind("t.yaml:15:", 0), 0u) << errs[1];
  EXPECT_NE(errs[1].find(": routes[2].policies[0].headers.request.set.Bad Name: "), std::string::npos)
      << errs[1];
}

// The cache store is shared by every config (it survives reloads): a
// config's size for it applies when that config is put in service, so a
// rejected reload, or a config that was only checked, leaves it alone.
TEST(ConfigLoaderTest, TheCacheStoreIsResizedOnlyWhenTheConfigIsActivated) {
  auto services = std::make_shared<policy::PolicyServices>();
  policies::cache::CacheStore& store = services->shared<policies::cache::CacheRuntime>().store();
  const std::size_t initial = store.limits().max_size;
  const std::string with_cache = kListener +
      "upstreams:\n"
      "  api: { targets: [127.0.0.1:3000] }\n"
      "routes:\n"
      "  - name: cached\n"
      "    upstream: api\n"
      "    policies: [ { cache: { max_size: 2MiB, max_object_size: 1MiB } } ]\n";

  LoadResult rejected = load_config_string(with_cache + "  - name: broken\n    upstream: nowhere\n", "t.yaml", services);
  ASSERT_FALSE(rejected.errors.empty());
  EXPECT_TRUE(rejected.activations.empty());
  EXPECT_EQ(store.limits().max_size, initial);

  LoadResult accepted = load_config_string(with_cache, "t.yaml", services);
  ASSERT_TRUE(accepted.errors.empty());
  EXPECT_EQ(store.limits().max_size, initial);  // built, not yet in service
  accepted.activate();
  EXPECT_EQ(store.limits().max_size, std::size_t{2} << 20);
  EXPECT_EQ(store.limits().max_object_size, std::size_t{1} << 20);
  EXPECT_TRUE(accepted.activations.empty());  // once

  // Of two routes' sizes only the last applies, once: the store never
  // passes through the first (which would evict what the last has room for).
  auto route = [](const char* name, const char* size) {
    return std::string("  - name: ") + name + "\n    upstream: api\n    policies: [ { cache: { max_size: " + size +
           " } } ]\n";
  };
  const std::string head = kListener + "upstreams:\n  api: { targets: [127.0.0.1:3000] }\nroutes:\n";
  LoadResult big = load_config_string(head + route("big", "8MiB"), "t.yaml", services);
  ASSERT_TRUE(big.errors.empty());
  big.activate();
  const std::string body(1'000, 'x');
  for (int i = 0; i < 2'500; ++i) store.insert("http://h/" + std::to_string(i), policies::cache::test_support::response(body));
  const std::size_t keys = store.stats().keys;
  ASSERT_GT(store.stats().bytes, std::size_t{2} << 20);
  LoadResult two = load_config_string(head + route("small", "2MiB") + route("big", "8MiB"), "t.yaml", services);
  ASSERT_TRUE(two.errors.empty());
  two.activate();
  EXPECT_EQ(store.limits().max_size, std::size_t{8} << 20);
  EXPECT_EQ(store.stats().keys, keys);
}

TEST(ConfigLoaderTest, OffIsOnlyForRoutes) {
  EXPECT_EQ(load_errors(kMinimal +
                        "defaults:\n"            // 10
                        "  policies:\n"          // 11
                        "    - headers: off\n"),  // 12
            Strings{"t.yaml:12:16: defaults.policies[0].headers: `off` only drops an inherited "
                    "default; in `defaults`, leave the policy out"});
}

}  // namespace
}  // namespace gatehouse::config
