// The config loader, driven from YAML strings: every key, the defaults, each
// kind of error with its exact position and key path, environment
// substitution, and how routes inherit `defaults.policies`.

#include "proxy/config/loader.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <re2/re2.h>

#include "proxy/policy/policy.h"
#include "tests/unit/config_test_support.h"

namespace gatehouse::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using namespace testing;
namespace ip = boost::asio::ip;

// --- valid files ----------------------------------------------------------

TEST(ConfigLoaderTest, FullFileWithEveryKey) {
  auto config = load_ok(R"(workers: 3
drain_timeout: 30s
admin:
  address: "[::1]:9000"
listeners:
  - name: public
    address: 0.0.0.0:8080
    max_header_size: 16KiB
    max_uri_size: 4KiB
    header_timeout: 5s
    idle_timeout: 2m
    trusted_proxies: [10.0.0.0/8, "::1", 192.168.1.7, "fd00::/8"]
  - name: internal
    address: "[::1]:8081"
upstreams:
  api:
    targets: [127.0.0.1:3000, "[::1]:3001", localhost:3002]
    connect_timeout: 500ms
    timeout: 1m
    idle_timeout: 90s
    max_idle_connections: 8
    fail_timeout: 5s
  static-files.v2:
    targets: 127.0.0.2:4000
defaults:
  policies:
    - headers: { response: { set: { X-Served-By: gatehouse } } }
routes:
  - name: exact
    match: { host: API.Example.com, path: /health, methods: [GET, HEAD] }
    upstream: api
    max_body_size: 0
  - name: prefix
    match: { host: "*.example.com", path_prefix: /api/ }
    upstream: static-files.v2
    max_body_size: 10MiB
    policies:
      - headers: { request: { set: { X-A: "1" } } }
  - name: regex
    match: { path_regex: "^/users/[0-9]+$", methods: DELETE }
    upstream: api
    policies:
      - headers: off
)");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->source_file, "t.yaml");
  EXPECT_EQ(config->workers, 3u);
  // The services the policies were built with know it (they size by it).
  EXPECT_EQ(config->services->worker_count(), 3u);
  EXPECT_EQ(config->drain_timeout, seconds(30));
  EXPECT_EQ(config->admin.address, Endpoint(ip::make_address("::1"), 9000));

  ASSERT_EQ(config->listeners.size(), 2u);
  const ListenerConfig& l = config->listeners[0];
  EXPECT_EQ(l.name, "public");
  EXPECT_EQ(l.address, Endpoint(ip::make_address("0.0.0.0"), 8080));
  EXPECT_EQ(l.max_header_size, 16u * 1024);
  EXPECT_EQ(l.max_uri_size, 4u * 1024);
  EXPECT_EQ(l.header_timeout, seconds(5));
  EXPECT_EQ(l.idle_timeout, minutes(2));
  ASSERT_EQ(l.trusted_proxies.size(), 4u);
  EXPECT_EQ(l.trusted_proxies[0].to_string(), "10.0.0.0/8");
  EXPECT_EQ(l.trusted_proxies[1].to_string(), "::1/128");
  EXPECT_EQ(l.trusted_proxies[2].to_string(), "192.168.1.7/32");
  EXPECT_EQ(l.trusted_proxies[3].to_string(), "fd00::/8");
  EXPECT_EQ(config->listeners[1].address, Endpoint(ip::make_address("::1"), 8081));

  ASSERT_EQ(config->upstreams.size(), 2u);
  const UpstreamConfig& api = config->upstreams[0];
  EXPECT_EQ(api.name, "api");
  ASSERT_EQ(api.targets.size(), 3u);
  EXPECT_EQ(api.targets[0].text, "127.0.0.1:3000");
  EXPECT_EQ(api.targets[0].endpoint, Endpoint(ip::make_address("127.0.0.1"), 3000));
  EXPECT_EQ(api.targets[1].endpoint, Endpoint(ip::make_address("::1"), 3001));
  EXPECT_EQ(api.targets[2].text, "localhost:3002");
  EXPECT_TRUE(api.targets[2].endpoint.address().is_loopback());  // resolved here
  EXPECT_EQ(api.targets[2].endpoint.port(), 3002);
  EXPECT_EQ(api.connect_timeout, milliseconds(500));
  EXPECT_EQ(api.timeout, minutes(1));
  EXPECT_EQ(api.idle_timeout, seconds(90));
  EXPECT_EQ(api.max_idle_connections, 8u);
  EXPECT_EQ(api.fail_timeout, seconds(5));
  EXPECT_EQ(config->upstreams[1].name, "static-files.v2");
  ASSERT_EQ(config->upstreams[1].targets.size(), 1u);  // a single scalar is a one-item list

  ASSERT_EQ(config->routes.size(), 3u);
  const RouteConfig& exact = config->routes[0];
  EXPECT_EQ(exact.name, "exact");
  EXPECT_EQ(exact.match.host, "api.example.com");  // stored lowercase
  EXPECT_EQ(exact.match.path_kind, RouteMatch::PathKind::kExact);
  EXPECT_EQ(exact.match.path, "/health");
  EXPECT_FALSE(exact.match.any_method);
  EXPECT_TRUE(exact.match.methods[static_cast<std::size_t>(http::Method::kGet)]);
  EXPECT_TRUE(exact.match.methods[static_cast<std::size_t>(http::Method::kHead)]);
  EXPECT_FALSE(exact.match.methods[static_cast<std::size_t>(http::Method::kPost)]);
  EXPECT_EQ(exact.upstream, "api");
  EXPECT_EQ(exact.upstream_index, 0u);
  EXPECT_EQ(exact.max_body_size, 0u);
  EXPECT_EQ(exact.policies.size(), 1u);  // the default

  const RouteConfig& prefix = config->routes[1];
  EXPECT_EQ(prefix.match.host, "*.example.com");
  EXPECT_EQ(prefix.match.path_kind, RouteMatch::PathKind::kPrefix);
  EXPECT_EQ(prefix.match.path, "/api/");
  EXPECT_TRUE(prefix.match.any_method);
  EXPECT_EQ(prefix.upstream_index, 1u);
  EXPECT_EQ(prefix.max_body_size, 10u * 1024 * 1024);
  EXPECT_EQ(prefix.policies.size(), 1u);  // the default, merged with the route's entry

  const RouteConfig& regex = config->routes[2];
  EXPECT_EQ(regex.match.path_kind, RouteMatch::PathKind::kRegex);
  ASSERT_NE(regex.match.path_regex, nullptr);
  EXPECT_TRUE(re2::RE2::FullMatch("/users/42", *regex.match.path_regex));
  EXPECT_FALSE(re2::RE2::FullMatch("/users/x", *regex.match.path_regex));
  EXPECT_TRUE(regex.match.methods[static_cast<std::size_t>(http::Method::kDelete)]);
  EXPECT_EQ(regex.policies.size(), 0u);  // `headers: off`
}

TEST(ConfigLoaderTest, DefaultsAreFilledIn) {
  auto config = load_ok(kMinimal);
  ASSERT_NE(config, nullptr);
  const unsigned hw = std::thread::hardware_concurrency();
  EXPECT_EQ(config->workers, std::clamp(hw, 1u, 1024u));
  EXPECT_EQ(config->drain_timeout, seconds(10));
  EXPECT_EQ(config->admin.address, Endpoint(ip::make_address("127.0.0.1"), 9901));

  const ListenerConfig& l = config->listeners.at(0);
  EXPECT_EQ(l.max_header_size, 32u * 1024);
  EXPECT_EQ(l.max_uri_size, 8u * 1024);
  EXPECT_EQ(l.header_timeout, seconds(10));
  EXPECT_EQ(l.idle_timeout, seconds(60));
  EXPECT_TRUE(l.trusted_proxies.empty());

  const UpstreamConfig& u = config->upstreams.at(0);
  EXPECT_EQ(u.connect_timeout, seconds(2));
  EXPECT_EQ(u.timeout, seconds(30));
  EXPECT_EQ(u.idle_timeout, seconds(60));
  EXPECT_EQ(u.max_idle_connections, 64u);
  EXPECT_EQ(u.fail_timeout, seconds(10));

  const RouteConfig& r = config->routes.at(0);
  EXPECT_EQ(r.match.host, "*");
  EXPECT_EQ(r.match.path_kind, RouteMatch::PathKind::kAny);
  EXPECT_TRUE(r.match.any_method);
  EXPECT_EQ(r.match.methods, (std::array<bool, http::kMethodCount>{}));
  EXPECT_EQ(r.max_body_size, 1024u * 1024);
  EXPECT_TRUE(r.policies.empty());
}

TEST(ConfigLoaderTest, WorkersAutoAndRoutesOptional) {
  auto config = load_ok("workers: auto\n" + kListener);
  ASSERT_NE(config, nullptr);
  EXPECT_GE(config->workers, 1u);
  EXPECT_TRUE(config->routes.empty());
  EXPECT_TRUE(config->upstreams.empty());
}

TEST(ConfigLoaderTest, ShippedDemoConfigLoads) {
  const std::filesystem::path file =
      std::filesystem::path(__FILE__).parent_path() / "../../config/gatehouse.yaml";
  // The HTTPS listener's certificate, made as scripts/demo makes it.
  const std::filesystem::path tls_dir =
      std::filesystem::temp_directory_path() / ("gatehouse-demo-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(tls_dir);
  const std::string make_cert =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost"
      " -keyout '" + (tls_dir / "localhost.key").string() + "' -out '" + (tls_dir / "localhost.crt").string() +
      "' 2>/dev/null";
  ASSERT_EQ(std::system(make_cert.c_str()), 0);
  ::setenv("GATEHOUSE_DEMO_TLS_DIR", tls_dir.c_str(), 1);
  LoadResult r = load_config_file(file.lexically_normal().string());
  for (const std::string& e : errors(r)) ADD_FAILURE() << e;
  ASSERT_NE(r.config, nullptr);
  EXPECT_FALSE(r.config->listeners.empty());
  EXPECT_FALSE(r.config->routes.empty());
  ::unsetenv("GATEHOUSE_DEMO_TLS_DIR");
  std::filesystem::remove_all(tls_dir);
}

TEST(ConfigLoaderTest, UnreadableFile) {
  LoadResult r = load_config_file("/nonexistent/gatehouse.yaml");
  EXPECT_EQ(r.config, nullptr);
  EXPECT_EQ(errors(r), Strings{"/nonexistent/gatehouse.yaml: cannot read the file: No such file or directory"});
}

// --- one kind of error each ----------------------------------------------

TEST(ConfigLoaderTest, UnknownKeySuggestsTheClosest) {
  EXPECT_EQ(load_errors("listners:\n"
                        "  - name: a\n"),
            (Strings{
                "t.yaml:1:1: listners: unknown key `listners`; did you mean `listeners`?",
                "t.yaml:1:1: listeners: missing required key `listeners`",
            }));
  EXPECT_EQ(load_errors(kMinimal +
                        "    mach: { path: /x }\n"),  // 10
            Strings{"t.yaml:10:5: routes[0].mach: unknown key `mach`; did you mean `match`?"});
  EXPECT_EQ(load_errors(kListener +
                        "upstreams:\n"               // 4
                        "  api:\n"                   // 5
                        "    targets: [127.0.0.1:1]\n"  // 6
                        "    conect_timeout: 1s\n"),    // 7
            Strings{"t.yaml:7:5: upstreams.api.conect_timeout: unknown key `conect_timeout`; "
                    "did you mean `connect_timeout`?"});
}

TEST(ConfigLoaderTest, WrongType) {
  EXPECT_EQ(load_errors("workers: many\n" + kListener),
            Strings{"t.yaml:1:10: workers: expected `auto` or an integer from 1 to 1024, got `many`"});
  EXPECT_EQ(load_errors("listeners: { name: a }\n"),
            Strings{"t.yaml:1:12: listeners: expected a sequence, got a map"});
  EXPECT_EQ(load_errors(kMinimal +
                        "    match: /api\n"),  // 10
            Strings{"t.yaml:10:12: routes[0].match: expected a map, got `/api`"});
  EXPECT_EQ(load_errors("- just a list\n"),
            Strings{"t.yaml:1:1: expected a map, got a sequence"});
}

TEST(ConfigLoaderTest, OutOfRange) {
  EXPECT_EQ(load_errors("workers: 2000\n" + kListener),
            Strings{"t.yaml:1:10: workers: expected `auto` or an integer from 1 to 1024, got `2000`"});
  EXPECT_EQ(load_errors(kListener +
                        "    max_header_size: 2MiB\n"),  // 4
            Strings{"t.yaml:4:22: listeners[0].max_header_size: expected a size from 1KiB to "
                    "1MiB, got `2MiB`"});
  EXPECT_EQ(load_errors("drain_timeout: 11m\n" + kListener),
            Strings{"t.yaml:1:16: drain_timeout: expected a duration from 0s to 10m, got `11m`"});
  EXPECT_EQ(load_errors(kListener +
                        "upstreams:\n"               // 4
                        "  api:\n"                   // 5
                        "    targets: [127.0.0.1:1]\n"  // 6
                        "    max_idle_connections: -1\n"),  // 7
            Strings{"t.yaml:7:27: upstreams.api.max_idle_connections: expected an integer from 0 "
                    "to 10000, got `-1`"});
}

TEST(ConfigLoaderTest, BadDurationAndSize) {
  EXPECT_EQ(load_errors(kListener +
                        "    header_timeout: 5\n"    // 4
                        "    idle_timeout: 1 min\n"  // 5
                        "    max_uri_size: 8KB\n"),  // 6
            (Strings{
                "t.yaml:4:21: listeners[0].header_timeout: expected a duration with a unit (`ms`, "
                "`s`, `m`, `h` or `d`), got `5`",
                "t.yaml:5:19: listeners[0].idle_timeout: expected a duration such as `250ms`, "
                "`5s`, `1m`, `1h` or `7d`, got `1 min`",
                "t.yaml:6:19: listeners[0].max_uri_size: expected a size such as `512B`, `64KiB`, "
                "`1MiB` or `1GiB`, got `8KB`",
            }));
  EXPECT_EQ(load_errors(kMinimal +
                        "    max_body_size: -5\n"),  // 10
            Strings{"t.yaml:10:20: routes[0].max_body_size: expected a size such as `512B`, "
                    "`64KiB`, `1MiB` or `1GiB`, got `-5`"});
}

TEST(ConfigLoaderTest, BadRegex) {
  EXPECT_EQ(load_errors(kMinimal +
                        "    match:\n"                     // 10
                        "      path_regex: \"^/(a\"\n"),   // 11
            Strings{"t.yaml:11:19: routes[0].match.path_regex: invalid regular expression: "
                    "missing ): ^/(a"});
}

TEST(ConfigLoaderTest, UnknownUpstream) {
  EXPECT_EQ(load_errors(kListener +
                        "upstreams:\n"                  // 4
                        "  api: { targets: [127.0.0.1:1] }\n"  // 5
                        "routes:\n"                     // 6
                        "  - name: r\n"                 // 7
                        "    upstream: aip\n"           // 8
                        "  - name: s\n"                 // 9
                        "    upstream: billing\n"),     // 10
            (Strings{
                "t.yaml:8:15: routes[0].upstream: unknown upstream `aip`; did you mean `api`?",
                "t.yaml:10:15: routes[1].upstream: unknown upstream `billing`",
            }));
  EXPECT_EQ(load_errors(kListener +
                        "routes:\n"              // 4
                        "  - name: r\n"          // 5
                        "    upstream: api\n"),  // 6
            Strings{"t.yaml:6:15: routes[0].upstream: unknown upstream `api` (no upstreams are "
                    "declared)"});
}

TEST(ConfigLoaderTest, DuplicateNames) {
  EXPECT_EQ(load_errors(kMinimal +
                        "  - name: all\n"          // 10
                        "    upstream: api\n"),    // 11
            Strings{"t.yaml:10:11: routes[1].name: duplicate route name `all` (first used by "
                    "routes[0])"});
  EXPECT_EQ(load_errors(kListener +
                        "  - name: public\n"              // 4
                        "    address: 127.0.0.1:8081\n"),  // 5
            Strings{"t.yaml:4:11: listeners[1].name: duplicate listener name `public` (first used "
                    "by listeners[0])"});
  EXPECT_EQ(load_errors(kListener +
                        "upstreams:\n"                    // 4
                        "  api: { targets: [127.0.0.1:1] }\n"  // 5
                        "  api: { targets: [127.0.0.1:2] }\n"),  // 6
            Strings{"t.yaml:6:3: upstreams.api: duplicate key `api` (first set on line 5)"});
}

TEST(ConfigLoaderTest, MissingRequiredKeyPointsAtTheParentMap) {
  EXPECT_EQ(load_errors(kListener +
                        "upstreams:\n"              // 4
                        "  api:\n"                  // 5
                        "    timeout: 1s\n"),       // 6
            Strings{"t.yaml:6:5: upstreams.api.targets: missing required key `targets`"});
  EXPECT_EQ(load_errors("listeners:\n"               // 1
                        "  - address: 127.0.0.1:1\n"  // 2
                        "  - name: b\n"),            // 3
            (Strings{
                "t.yaml:2:5: listeners[0].name: missing required key `name`",
                "t.yaml:3:5: listeners[1].address: missing required key `address`",
            }));
  EXPECT_EQ(load_errors(kMinimal +
                        "  - name: second\n"),  // 10
            Strings{"t.yaml:10:5: routes[1].upstream: missing required key `upstream`"});
  EXPECT_EQ(load_errors("workers: 2\n"),
            Strings{"t.yaml:1:1: listeners: missing required key `listeners`"});
  EXPECT_EQ(load_errors(""), Strings{"t.yaml:1:1: the file is empty; expected a map with at least `listeners`"});
}

TEST(ConfigLoaderTest, UnsetEnvironmentVariable) {
  ScopedEnv unset("GH_TEST_UNSET_PORT", nullptr);
  EXPECT_EQ(load_errors("listeners:\n"
                        "  - name: public\n"
                        "    address: 127.0.0.1:${GH_TEST_UNSET_PORT}\n"),
            Strings{"t.yaml:3:14: listeners[0].address: environment variable `GH_TEST_UNSET_PORT` "
                    "is not set"});
}

TEST(ConfigLoaderTest, YamlSyntaxError) {
  EXPECT_EQ(load_errors("listeners: [a, b\n"
                        "routes: []\n"),
            Strings{"t.yaml:2:7: invalid YAML: end of sequence flow not found"});
  EXPECT_EQ(load_errors("workers: 1\n"
                        "  listeners: 2\n"),
            Strings{"t.yaml:2:12: invalid YAML: illegal map value"});
}

TEST(ConfigLoaderTest, OneDocumentOnly) {
  EXPECT_EQ(load_errors(kMinimal + "---\nworkers: 1\n"),
            Strings{"t.yaml:11:1: expected one YAML document, found 2"});
}

TEST(ConfigLoaderTest, ReportsEveryErrorAtOnce) {
  ScopedEnv unset("GH_TEST_UNSET", nullptr);
  EXPECT_EQ(load_errors("workers: 0\n"                               // 1
                        "listeners:\n"                               // 2
                        "  - name: public\n"                         // 3
                        "    address: localhost:8080\n"              // 4
                        "    idle_timeout: forever\n"                // 5
                        "upstreams:\n"                               // 6
                        "  api:\n"                                   // 7
                        "    targets: []\n"                          // 8
                        "routes:\n"                                  // 9
                        "  - name: a\n"                              // 10
                        "    upstream: apx\n"                        // 11
                        "    match: { path: api, method: [GET] }\n"  // 12
                        "  - name: a\n"                              // 13
                        "    upstream: ${GH_TEST_UNSET}\n"),         // 14
            (Strings{
                "t.yaml:1:10: workers: expected `auto` or an integer from 1 to 1024, got `0`",
                "t.yaml:4:14: listeners[0].address: `localhost` is not an IP address: listening "
                "addresses are IP literals such as `0.0.0.0:8080` or `[::]:8080`",
                "t.yaml:5:19: listeners[0].idle_timeout: expected a duration such as `250ms`, "
                "`5s`, `1m`, `1h` or `7d`, got `forever`",
                "t.yaml:8:14: upstreams.api.targets: at least one target is required",
                "t.yaml:11:15: routes[0].upstream: unknown upstream `apx`; did you mean `api`?",
                "t.yaml:12:20: routes[0].match.path: must start with `/`, got `api`",
                "t.yaml:12:25: routes[0].match.method: unknown key `method`; did you mean `methods`?",
                "t.yaml:13:11: routes[1].name: duplicate route name `a` (first used by routes[0])",
                "t.yaml:14:15: routes[1].upstream: environment variable `GH_TEST_UNSET` is not set",
            }));
}

// --- more validation ------------------------------------------------------

TEST(ConfigLoaderTest, EnvironmentSubstitutionWithDefaults) {
  ScopedEnv port("GH_TEST_PORT", "9090");
  ScopedEnv unset("GH_TEST_UNSET", nullptr);
  auto config = load_ok("workers: ${GH_TEST_UNSET:-2}\n"
                        "listeners:\n"
                        "  - name: ${GH_TEST_UNSET:-public}\n"
                        "    address: \"${GH_TEST_BIND:-127.0.0.1}:${GH_TEST_PORT}\"\n"
                        "    idle_timeout: ${GH_TEST_UNSET:-90s}\n"
                        "upstreams:\n"
                        "  api: { targets: [\"${GH_TEST_UNSET:-127.0.0.1:3000}\"] }\n"
                        "routes:\n"
                        "  - name: r\n"
                        "    upstream: ${GH_TEST_UNSET:-api}\n"
                        "    policies:\n"
                        "      - headers: { request: { set: { X-Literal: \"$${NOT_EXPANDED}\" } } }\n");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->workers, 2u);
  EXPECT_EQ(config->listeners[0].name, "public");
  EXPECT_EQ(config->listeners[0].address, Endpoint(ip::make_address("127.0.0.1"), 9090));
  EXPECT_EQ(config->listeners[0].idle_timeout, seconds(90));
  EXPECT_EQ(config->upstreams[0].targets[0].endpoint.port(), 3000);
  EXPECT_EQ(config->routes[0].upstream_index, 0u);
}

TEST(ConfigLoaderTest, Addresses) {
  EXPECT_EQ(load_errors("listeners:\n"                    // 1
                        "  - name: a\n"                   // 2
                        "    address: 8080\n"             // 3
                        "  - name: b\n"                   // 4
                        "    address: \"::1:8080\"\n"      // 5
                        "  - name: c\n"                   // 6
                        "    address: 1.2.3.4:70000\n"    // 7
                        "  - name: d\n"                   // 8
                        "    address: \"[1.2.3.4]:80\"\n"),  // 9
            (Strings{
                "t.yaml:3:14: listeners[0].address: expected `IP:PORT` or `[IPv6]:PORT` such as "
                "`0.0.0.0:8080` or `[::]:8080`, got `8080`",
                "t.yaml:5:14: listeners[1].address: expected `IP:PORT` or `[IPv6]:PORT` such as "
                "`0.0.0.0:8080` or `[::]:8080`, got `::1:8080`",
                "t.yaml:7:14: listeners[2].address: port 70000 is out of range (0 to 65535)",
                "t.yaml:9:14: listeners[3].address: expected `IP:PORT` or `[IPv6]:PORT` such as "
                "`0.0.0.0:8080` or `[::]:8080`, got `[1.2.3.4]:80`",
            }));
}

TEST(ConfigLoaderTest, ListenerAddressesMustNotCollide) {
  EXPECT_EQ(load_errors("listeners:\n"                    // 1
                        "  - name: a\n"                   // 2
                        "    address: 0.0.0.0:8080\n"     // 3
                        "  - name: b\n"                   // 4
                        "    address: 127.0.0.1:8080\n"   // 5
                        "  - name: c\n"                   // 6
                        "    address: 127.0.0.1:9901\n"), // 7
            (Strings{
                "t.yaml:1:1: admin: admin address `127.0.0.1:9901` collides with listener `c` "
                "(`127.0.0.1:9901`)",
                "t.yaml:5:14: listeners[1].address: address `127.0.0.1:8080` collides with "
                "listener `a` (`0.0.0.0:8080`)",
            }));
  // Different ports, or IPv4 and an IPv6 host address, are fine.
  load_ok("listeners:\n"
          "  - { name: a, address: \"0.0.0.0:8080\" }\n"
          "  - { name: b, address: \"[::1]:8080\" }\n"
          "  - { name: c, address: \"0.0.0.0:8081\" }\n");
}

TEST(ConfigLoaderTest, TrustedProxies) {
  EXPECT_EQ(load_errors(kListener +
                        "    trusted_proxies:\n"      // 4
                        "      - 10.0.0.0/33\n"       // 5
                        "      - 10.1.2.3/8\n"        // 6
                        "      - proxy.local\n"       // 7
                        "      - { cidr: 10.0.0.0/8 }\n"),  // 8
            (Strings{
                "t.yaml:5:9: listeners[0].trusted_proxies[0]: expected an IP address or CIDR "
                "network (e.g. `10.0.0.0/8`, `::1`), got `10.0.0.0/33`",
                "t.yaml:6:9: listeners[0].trusted_proxies[1]: `10.1.2.3/8` has bits set after the "
                "prefix; did you mean `10.0.0.0/8`?",
                "t.yaml:7:9: listeners[0].trusted_proxies[2]: expected an IP address or CIDR "
                "network (e.g. `10.0.0.0/8`, `::1`), got `proxy.local`",
                "t.yaml:8:9: listeners[0].trusted_proxies[3]: expected a string, got a map",
            }));
}

TEST(ConfigLoaderTest, UpstreamNamesAndTargets) {
  EXPECT_EQ(load_errors(kListener +
                        "upstreams:\n"                            // 4
                        "  \"my api\": { targets: [127.0.0.1:1] }\n"  // 5
                        "  b:\n"                                  // 6
                        "    targets:\n"                          // 7
                        "      - 127.0.0.1\n"                     // 8
                        "      - 127.0.0.1:0\n"                   // 9
                        "      - bad_host!:80\n"                  // 10
                        "      - \"[nope]:80\"\n"),               // 11
            (Strings{
                "t.yaml:5:13: upstreams.my api: upstream names may contain only letters, digits, "
                "`_`, `.` and `-`",
                "t.yaml:8:9: upstreams.b.targets[0]: expected `HOST:PORT` or `[IPv6]:PORT` such as "
                "`127.0.0.1:3000`, got `127.0.0.1`",
                "t.yaml:9:9: upstreams.b.targets[1]: expected a port from 1 to 65535 in "
                "`127.0.0.1:0`",
                "t.yaml:10:9: upstreams.b.targets[2]: `bad_host!` is neither an IP address nor a "
                "valid host name",
                "t.yaml:11:9: upstreams.b.targets[3]: `nope` is not an IPv6 address",
            }));
}

TEST(ConfigLoaderTest, RouteMatchValidation) {
  EXPECT_EQ(load_errors(kMinimal +
                        "    match:\n"                          // 10
                        "      host: \"api.example.com:8080\"\n"  // 11
                        "      path: /a\n"                      // 12
                        "      path_prefix: /b\n"               // 13
                        "      methods: [get, FETCH, CONNECT]\n"),  // 14
            (Strings{
                "t.yaml:11:13: routes[0].match.host: expected `*`, `*.example.com` or a host name "
                "without a port, got `api.example.com:8080`",
                "t.yaml:13:20: routes[0].match.path_prefix: `path_prefix` cannot be combined with "
                "`path`; use one of `path`, `path_prefix` or `path_regex`",
                "t.yaml:14:17: routes[0].match.methods[0]: unknown method `get`; methods are "
                "uppercase: did you mean `GET`?",
                "t.yaml:14:22: routes[0].match.methods[1]: unknown method `FETCH` (expected GET, "
                "HEAD, POST, PUT, DELETE, PATCH, OPTIONS or TRACE); did you mean `PATCH`?",
                "t.yaml:14:29: routes[0].match.methods[2]: unknown method `CONNECT` (expected GET, "
                "HEAD, POST, PUT, DELETE, PATCH, OPTIONS or TRACE)",
            }));
  EXPECT_EQ(load_errors(kMinimal +
                        "    match: { path_prefix: \"/search?q=1\" }\n"),  // 10
            Strings{"t.yaml:10:27: routes[0].match.path_prefix: paths are matched without the "
                    "query string or fragment; remove `?q=1`"});
}

TEST(ConfigLoaderTest, HostPatterns) {
  auto config = load_ok(kMinimal +
                        "    match: { host: \"*.Example.COM\" }\n"
                        "  - { name: v4, upstream: api, match: { host: 127.0.0.1 } }\n"
                        "  - { name: v6, upstream: api, match: { host: \"[::1]\" } }\n"
                        "  - { name: v6-bare, upstream: api, match: { host: \"::1\" } }\n");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->routes[0].match.host, "*.example.com");
  EXPECT_EQ(config->routes[1].match.host, "127.0.0.1");
  EXPECT_EQ(config->routes[2].match.host, "::1");  // as the router sees Host, without brackets
  EXPECT_EQ(config->routes[3].match.host, "::1");
  for (const char* bad : {"a..b", "*.", "**.a", "a*.b", "host/x", "[nope]", "a b", "[::1]:80", "::g"}) {
    LoadResult r = load(kMinimal + "    match: { host: \"" + bad + "\" }\n");
    EXPECT_EQ(r.config, nullptr) << bad;
  }
}

}  // namespace
}  // namespace gatehouse::config
