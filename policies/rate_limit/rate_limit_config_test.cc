// Parsing `rate_limit` options: defaults, every accepted form, and errors
// that point at file:line:column and the key path.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "policies/rate_limit/rate_limit_config.h"
#include "tests/unit/config_test_support.h"
#include "proxy/tls/client_context.h"
#include "tests/unit/fake_request_context.h"
#include "tests/unit/test_pki.h"

namespace gatehouse::policies::rate_limit {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using Strings = std::vector<std::string>;

struct Parsed {
  std::optional<RateLimitConfig> config;
  Strings errors;
};

// The document's `rate_limit` key plays the options of a `- rate_limit:` entry.
Parsed parse(const std::string& yaml) {
  config::Diagnostics diagnostics;
  config::ConfigNode root(YAML::Load(yaml), "test.yaml", diagnostics);
  Parsed out;
  out.config = parse_rate_limit_config(root["rate_limit"]);
  for (const config::Diagnostic& d : diagnostics.items()) out.errors.push_back(d.to_string());
  return out;
}

RateLimitConfig parse_ok(const std::string& yaml) {
  Parsed p = parse(yaml);
  for (const std::string& e : p.errors) ADD_FAILURE() << e;
  EXPECT_TRUE(p.config.has_value());
  return p.config.value_or(RateLimitConfig{});
}

Strings parse_errors(const std::string& yaml) {
  Parsed p = parse(yaml);
  EXPECT_FALSE(p.config.has_value());
  EXPECT_FALSE(p.errors.empty());
  return p.errors;
}

TEST(RateLimitConfigTest, RatesReadAsRequestsPerWindow) {
  EXPECT_EQ(parse_rate("100/s")->quota, 100u);
  EXPECT_EQ(parse_rate("100/s")->window, seconds(1));
  EXPECT_EQ(parse_rate("10/m")->window, minutes(1));
  EXPECT_EQ(parse_rate("1000/h")->window, hours(1));
  EXPECT_EQ(parse_rate("5/d")->window, hours(24));
  EXPECT_EQ(parse_rate("10/5s")->window, seconds(5));
  EXPECT_EQ(parse_rate("10/1500ms")->window, milliseconds(1500));
  for (const char* bad : {"100", "/s", "0/s", "-1/s", "1.5/s", "10/x", "10/500ms", "10/2d", "10/ s", "1000000001/s"}) {
    EXPECT_FALSE(parse_rate(bad).has_value()) << bad;
  }
  EXPECT_EQ(rate_text(10, seconds(1)), "10/s");
  EXPECT_EQ(rate_text(100, minutes(1)), "100/m");
  EXPECT_EQ(rate_text(10, seconds(5)), "10/5s");
  EXPECT_EQ(rate_text(10, milliseconds(1500)), "10/1500ms");
}

TEST(RateLimitConfigTest, TheShortFormTakesEveryDefault) {
  RateLimitConfig c = parse_ok("rate_limit: { limit: 100/m }\n");
  ASSERT_EQ(c.limits.size(), 1u);
  EXPECT_EQ(c.limits[0].algorithm, Algorithm::kTokenBucket);
  EXPECT_EQ(c.limits[0].quota, 100u);
  EXPECT_EQ(c.limits[0].window, minutes(1));
  EXPECT_EQ(c.limits[0].burst, 100u);  // the capacity defaults to the quota
  EXPECT_EQ(c.limit_names, Strings{"100/m"});
  ASSERT_EQ(c.key.parts.size(), 1u);
  EXPECT_EQ(c.key.parts[0].kind, KeyPart::Kind::kClientIp);
  EXPECT_EQ(c.key.on_missing, OnMissingKey::kShared);
  EXPECT_EQ(c.mode, Mode::kReject);
  EXPECT_EQ(c.tolerance(), Nanos(0));
  EXPECT_TRUE(c.ietf_headers);
  EXPECT_TRUE(c.legacy_headers);
  EXPECT_EQ(c.max_keys, 100000u);
}

TEST(RateLimitConfigTest, TheFullFormIsReadCompletely) {
  RateLimitConfig c = parse_ok(R"(
rate_limit:
  key: [client_ip, header:X-Api-Key, claim:realm.role, route]
  algorithm: sliding_window
  limits: [ { limit: 10/s }, 1000/h ]
  on_missing_key: deny
  headers: { ietf: false }
  max_keys: 500
  store: local
)");
  ASSERT_EQ(c.key.parts.size(), 4u);
  EXPECT_EQ(c.key.parts[1].kind, KeyPart::Kind::kHeader);
  EXPECT_EQ(c.key.parts[1].name, "X-Api-Key");
  EXPECT_EQ(c.key.parts[2].kind, KeyPart::Kind::kClaim);
  EXPECT_EQ(c.key.parts[2].name, "realm.role");
  EXPECT_EQ(c.key.parts[3].kind, KeyPart::Kind::kRoute);
  EXPECT_EQ(c.key.on_missing, OnMissingKey::kDeny);
  ASSERT_EQ(c.limits.size(), 2u);
  EXPECT_EQ(c.limits[1].algorithm, Algorithm::kSlidingWindow);
  EXPECT_EQ(c.limit_names, (Strings{"10/s", "1000/h"}));
  EXPECT_FALSE(c.ietf_headers);
  EXPECT_TRUE(c.legacy_headers);
  EXPECT_EQ(c.max_keys, 500u);
}

TEST(RateLimitConfigTest, DelayModeBoundsTheWaitByMaxDelayAndMaxQueue) {
  RateLimitConfig c = parse_ok("rate_limit: { limit: 10/s, mode: delay }\n");
  EXPECT_EQ(c.mode, Mode::kDelay);
  EXPECT_EQ(c.tolerance(), seconds(1));  // max_delay's default
  c = parse_ok("rate_limit: { limit: 10/s, mode: delay, max_delay: 500ms }\n");
  EXPECT_EQ(c.tolerance(), milliseconds(500));
  c = parse_ok("rate_limit: { limit: 10/s, mode: delay, max_delay: 500ms, max_queue: 2 }\n");
  EXPECT_EQ(c.max_queue, 2u);
  EXPECT_EQ(c.tolerance(), milliseconds(200));  // two intervals of 100ms
}

TEST(RateLimitConfigTest, FingerprintsDifferWhenCountersWouldMeanSomethingElse) {
  const std::string base = parse_ok("rate_limit: { limit: 10/s }\n").fingerprint("r");
  EXPECT_EQ(parse_ok("rate_limit: { limit: 10/1s, headers: false }\n").fingerprint("r"), base);
  EXPECT_NE(parse_ok("rate_limit: { limit: 10/s }\n").fingerprint("other"), base);
  for (const char* changed : {"rate_limit: { limit: 11/s }\n", "rate_limit: { limit: 10/s, burst: 20 }\n",
                              "rate_limit: { limit: 10/s, algorithm: fixed_window }\n",
                              "rate_limit: { limit: 10/s, key: route }\n",
                              "rate_limit: { limit: 10/s, on_missing_key: allow }\n",
                              "rate_limit: { limit: 10/s, max_keys: 10 }\n",
                              "rate_limit: { limit: 10/s, mode: delay }\n"}) {
    EXPECT_NE(parse_ok(changed).fingerprint("r"), base) << changed;
  }
}

TEST(RateLimitConfigTest, ErrorsPointAtTheValueWithItsPath) {
  Strings errors = parse_errors(R"(rate_limit:
  key: [client_ip, header:X Bad, cookie:sid, client_ip]
  limit: 10/x
  algorithm: token_buckett
  on_missing_key: maybe
  max_keys: 0
  lmits: 3
)");
  EXPECT_EQ(errors, (Strings{
      "test.yaml:7:3: rate_limit.lmits: unknown key `lmits`; did you mean `limits`?",
      "test.yaml:2:20: rate_limit.key[1]: `X Bad` is not a valid header name (an RFC 9110 token)",
      "test.yaml:2:34: rate_limit.key[2]: unknown key part `cookie:sid`: expected `client_ip`, `route`, "
      "`header:NAME` or `claim:NAME`",
      "test.yaml:2:46: rate_limit.key[3]: `client_ip` is listed twice",
      "test.yaml:4:14: rate_limit.algorithm: expected one of `token_bucket`, `sliding_window`, `fixed_window`, "
      "got `token_buckett`; did you mean `token_bucket`?",
      "test.yaml:3:10: rate_limit.limit: expected a rate such as `100/s`, `10/m`, `1000/h`, `5/d` or `10/5s` "
      "(requests per window; the window is 1s..1d), got `10/x`",
      "test.yaml:5:19: rate_limit.on_missing_key: expected one of `deny`, `allow`, `shared`, got `maybe`",
      "test.yaml:6:13: rate_limit.max_keys: expected an integer from 1 to 100000000, got `0`",
  }));
}

TEST(RateLimitConfigTest, TheLocalStoreIsTheDefault) {
  EXPECT_FALSE(parse_ok("rate_limit: { limit: 1/s }\n").redis.has_value());
  EXPECT_FALSE(parse_ok("rate_limit: { limit: 1/s, store: local }\n").redis.has_value());
  EXPECT_EQ(parse_errors("rate_limit: { limit: 1/s, store: locl }\n"),
            Strings{"test.yaml:1:34: rate_limit.store: expected one of `local`, `redis`, got `locl`; did you mean "
                    "`local`?"});
}

TEST(RateLimitConfigTest, RedisStoreTakesEveryDefault) {
  RateLimitConfig c = parse_ok("rate_limit: { limit: 1/s, store: redis, redis: { address: 10.0.0.5:6380 } }\n");
  ASSERT_TRUE(c.redis.has_value());
  EXPECT_EQ(c.redis->endpoint.host, "10.0.0.5");
  EXPECT_EQ(c.redis->endpoint.port, 6380);
  EXPECT_EQ(c.redis->endpoint.password, "");
  EXPECT_EQ(c.redis->endpoint.username, "");
  EXPECT_EQ(c.redis->endpoint.timeout, milliseconds(20));
  EXPECT_EQ(c.redis->endpoint.pool_size, 2u);
  EXPECT_EQ(c.redis->prefix, "gatehouse:rl:");
  EXPECT_EQ(c.redis->on_error, OnStoreError::kLocalFallback);
  EXPECT_EQ(c.redis->expected_instances, 1u);
}

TEST(RateLimitConfigTest, RedisStoreReadsEveryKey) {
  RateLimitConfig c = parse_ok(R"(
rate_limit:
  limit: 100/s
  store: redis
  redis: { address: "[::1]:7000", password: pw, username: gh, tls: false, timeout: 5ms, pool_size: 4,
           prefix: "app:" }
  on_store_error: fail_closed
  expected_instances: 3
)");
  ASSERT_TRUE(c.redis.has_value());
  EXPECT_EQ(c.redis->endpoint.host, "::1");
  EXPECT_EQ(c.redis->endpoint.port, 7000);
  EXPECT_EQ(c.redis->endpoint.password, "pw");
  EXPECT_EQ(c.redis->endpoint.username, "gh");
  EXPECT_EQ(c.redis->endpoint.timeout, milliseconds(5));
  EXPECT_EQ(c.redis->endpoint.pool_size, 4u);
  EXPECT_EQ(c.redis->prefix, "app:");
  EXPECT_EQ(c.redis->on_error, OnStoreError::kFailClosed);
  EXPECT_EQ(c.redis->expected_instances, 3u);
  EXPECT_EQ(parse_ok("rate_limit: { limit: 1/s, store: redis, redis: { address: 127.0.0.1:1 }, "
                     "on_store_error: fail_open }\n").redis->on_error, OnStoreError::kFailOpen);
}

TEST(RateLimitConfigTest, RedisStoreErrorsPointAtTheirNode) {
  EXPECT_EQ(parse_errors("rate_limit: { limit: 1/s, store: redis }\n"),
            Strings{"test.yaml:1:13: rate_limit.redis: missing required key `redis` (at least `{ address: "
                    "127.0.0.1:6379 }`) for `store: redis`"});
  EXPECT_EQ(parse_errors(R"(
rate_limit:
  limit: 1/s
  store: redis
  redis:
    address: redis.internal:6379
    tls: yes
    timeout: 0ms
    pool_size: 17
    pasword: x
  on_store_error: fail_opn
  expected_instances: 0
)"),
            (Strings{
                "test.yaml:10:5: rate_limit.redis.pasword: unknown key `pasword`; did you mean `password`?",
                "test.yaml:6:14: rate_limit.redis.address: expected `IP:PORT` (e.g. `127.0.0.1:6379` or `[::1]:6379`; "
                "an IP address, not a host name, so that workers never wait for DNS), got `redis.internal:6379`",
                "test.yaml:7:10: rate_limit.redis.tls: expected `true` or `false`, got `yes`",
                "test.yaml:8:14: rate_limit.redis.timeout: expected a duration from 1ms to 10s, got `0ms`",
                "test.yaml:9:16: rate_limit.redis.pool_size: expected an integer from 1 to 16, got `17`",
                "test.yaml:11:19: rate_limit.on_store_error: expected one of `local_fallback`, `fail_open`, "
                "`fail_closed`, got `fail_opn`; did you mean `fail_open`?",
                "test.yaml:12:23: rate_limit.expected_instances: expected an integer from 1 to 10000, got `0`",
            }));
  EXPECT_EQ(parse_errors("rate_limit: { limit: 1/s, redis: { address: 127.0.0.1:6379 }, expected_instances: 2 }\n"),
            (Strings{"test.yaml:1:34: rate_limit.redis: `redis` applies to `store: redis` only",
                     "test.yaml:1:83: rate_limit.expected_instances: `expected_instances` applies to `store: redis` "
                     "only"}));
  EXPECT_EQ(parse_errors("rate_limit: { limit: 1/s, store: redis, redis: { address: 127.0.0.1:6379, username: u } }\n"),
            Strings{"test.yaml:1:85: rate_limit.redis.username: `username` needs a `password` (Redis AUTH username "
                    "password)"});
  EXPECT_EQ(parse_errors("rate_limit: { limit: 1/s, mode: delay, store: redis, redis: { address: 127.0.0.1:6379 } }\n"),
            Strings{"test.yaml:1:47: rate_limit.store: `mode: delay` works with `store: local` only (a Redis-backed "
                    "limit rejects; it cannot hold requests queued across instances)"});
}

TEST(RateLimitConfigTest, RedisTlsTakesTrueOrAnUpstreamStyleBlock) {
  const std::string head = "rate_limit: { limit: 1/s, store: redis, redis: { address: 127.0.0.1:6380, tls: ";
  EXPECT_EQ(parse_ok(head + "false } }\n").redis->endpoint.tls, nullptr);
  const RedisEndpoint system_store = parse_ok(head + "true } }\n").redis->endpoint;
  ASSERT_NE(system_store.tls, nullptr);
  EXPECT_TRUE(system_store.tls->settings().verify);
  EXPECT_EQ(system_store.tls->settings().ca_file, "");
  EXPECT_EQ(system_store.tls->settings().alpn, "");  // Redis negotiates no ALPN

  testing_support::TestPki pki("rl-config");
  const auto [cert, key] = pki.issue("client", "gatehouse", "", true);
  ASSERT_TRUE(pki.ok());
  const RedisEndpoint full = parse_ok(head + "{ ca_file: '" + pki.ca() + "', server_name: redis.test, cert_file: '" +
                                      cert + "', key_file: '" + key + "' } } }\n")
                                 .redis->endpoint;
  ASSERT_NE(full.tls, nullptr);
  EXPECT_EQ(full.tls->settings().ca_file, pki.ca());
  EXPECT_EQ(full.tls->settings().server_name, "redis.test");
  EXPECT_EQ(full.tls->settings().cert_file, cert);
  // The TLS settings are part of the client's identity: plain and TLS
  // clients of one address never share connections.
  EXPECT_NE(full.id(), system_store.id());
  EXPECT_NE(system_store.id(), parse_ok(head + "false } }\n").redis->endpoint.id());
  EXPECT_EQ(full.id(), parse_ok(head + "{ ca_file: '" + pki.ca() + "', server_name: redis.test, cert_file: '" + cert +
                                "', key_file: '" + key + "' } } }\n")
                           .redis->endpoint.id());
}

TEST(RateLimitConfigTest, RedisTlsErrorsNameTheFileAndTheKey) {
  const std::string head = "rate_limit: { limit: 1/s, store: redis, redis: { address: 127.0.0.1:6380, tls: ";
  Strings errors = parse_errors(head + "{ ca_file: /nonexistent/ca.pem } } }\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(errors[0].starts_with("test.yaml:1:91: rate_limit.redis.tls.ca_file: /nonexistent/ca.pem: cannot load "
                                    "CA certificates"))
      << errors[0];
  errors = parse_errors(head + "{ cert_file: /nonexistent/c.pem, key_file: /nonexistent/c.key } } }\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(errors[0].starts_with("test.yaml:1:93: rate_limit.redis.tls.cert_file: /nonexistent/c.pem: cannot read "
                                    "the file"))
      << errors[0];
  EXPECT_EQ(parse_errors(head + "{ cert_file: c.pem, verfy: false } } }\n"),
            (Strings{"test.yaml:1:100: rate_limit.redis.tls.verfy: unknown key `verfy`; did you mean `verify`?",
                     "test.yaml:1:80: rate_limit.redis.tls: `cert_file` and `key_file` go together"}));
  EXPECT_EQ(parse_errors(head + "[ca.pem] } }\n"),
            Strings{"test.yaml:1:80: rate_limit.redis.tls: expected `true`, `false` or a map such as `{ ca_file: "
                    "redis-ca.pem, server_name: redis.internal }`"});
}

TEST(RateLimitConfigTest, OptionsThatDoNotGoTogetherAreReported) {
  EXPECT_EQ(parse_errors("rate_limit:\n"),
            Strings{"test.yaml:1:1: rate_limit: expected a map with at least `limit` (e.g. `rate_limit: { key: "
                    "client_ip, limit: 100/m }`)"});
  EXPECT_EQ(parse_errors("rate_limit: { key: route }\n"),
            Strings{"test.yaml:1:13: rate_limit: missing required key `limit` (a rate such as `100/m`), or "
                    "`limits` for several"});
  EXPECT_EQ(parse_errors("rate_limit: { limit: 1/s, limits: [2/s] }\n"),
            Strings{"test.yaml:1:35: rate_limit.limits: give either `limit` (one limit) or `limits` (several), "
                    "not both"});
  EXPECT_EQ(parse_errors("rate_limit: { limits: [1/s, 1/1s] }\n"),
            Strings{"test.yaml:1:29: rate_limit.limits[1]: the rate `1/s` is listed twice (each limit is named "
                    "by its rate in the RateLimit headers)"});
  EXPECT_EQ(parse_errors("rate_limit: { limits: [1/s, 2/s, 3/s, 4/s, 5/s] }\n"),
            Strings{"test.yaml:1:23: rate_limit.limits: expected a list of 1 to 4 limits"});
  EXPECT_EQ(parse_errors("rate_limit: { limits: [{ limit: 1/s, burts: 2 }] }\n"),
            Strings{"test.yaml:1:38: rate_limit.limits[0].burts: unknown key `burts`; did you mean `burst`?"});
  EXPECT_EQ(parse_errors("rate_limit: { limit: 1/s, burst: 5, algorithm: fixed_window }\n"),
            Strings{"test.yaml:1:34: rate_limit.burst: `burst` applies to `algorithm: token_bucket` only (a "
                    "window admits its quota at any pace)"});
  EXPECT_EQ(parse_errors("rate_limit: { limit: 1/s, max_delay: 1s }\n"),
            Strings{"test.yaml:1:38: rate_limit.max_delay: `max_delay` applies to `mode: delay` only"});
  EXPECT_EQ(parse_errors("rate_limit: { limit: 1/s, mode: delay, algorithm: sliding_window }\n"),
            Strings{"test.yaml:1:33: rate_limit.mode: `mode: delay` shapes traffic with a leaky bucket and needs "
                    "`algorithm: token_bucket`"});
  EXPECT_EQ(parse_errors("rate_limit: { limit: 1/s, headers: { ietf: yes } }\n"),
            Strings{"test.yaml:1:44: rate_limit.headers.ietf: expected `true` or `false`, got `yes`"});
}

}  // namespace
}  // namespace gatehouse::policies::rate_limit

// The same options inside a whole file, as operators write them: errors name
// the route's key path, and a default applies to every route with counters
// of its own.
namespace gatehouse::config::testing {
namespace {

TEST(RateLimitConfigFileTest, ErrorsInAFileNameTheRoutesKeyPath) {
  Strings errors = load_errors(kMinimal +
                               "    policies:\n"                             // 10
                               "      - rate_limit: { limit: 100/mn }\n");   // 11
  EXPECT_EQ(errors, Strings{"t.yaml:11:30: routes[0].policies[0].rate_limit.limit: expected a rate such as "
                            "`100/s`, `10/m`, `1000/h`, `5/d` or `10/5s` (requests per window; the window is "
                            "1s..1d), got `100/mn`"});
}

TEST(RateLimitConfigFileTest, ADefaultGivesEachRouteItsOwnCounters) {
  auto config = load_ok(kListener +
                        "upstreams:\n"
                        "  api: { targets: [127.0.0.1:3000] }\n"
                        "defaults:\n"
                        "  policies:\n"
                        "    - rate_limit: { limit: 1/h }\n"
                        "routes:\n"
                        "  - { name: a, match: { path_prefix: /a }, upstream: api }\n"
                        "  - { name: b, upstream: api, policies: [{ rate_limit: { key: route } }] }\n");
  ASSERT_NE(config, nullptr);
  ASSERT_EQ(config->routes.size(), 2u);
  for (const RouteConfig& route : config->routes) {
    ASSERT_EQ(route.policies.size(), 1u) << route.name;
    testing_support::FakeRequestContext ctx;
    ctx.set_route_name(route.name);
    std::size_t cursor = 0;
    EXPECT_EQ(route.policies.run_request(ctx, cursor).kind(), policy::RequestOutcome::Kind::kProceed) << route.name;
    ctx.clear_data();
    cursor = 0;
    EXPECT_EQ(route.policies.run_request(ctx, cursor).kind(), policy::RequestOutcome::Kind::kRespond) << route.name;
  }
}

}  // namespace
}  // namespace gatehouse::config::testing
