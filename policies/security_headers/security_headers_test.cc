// The `security_headers` policy built through the registry from YAML and
// called directly; merging with `defaults:` through the real config loader.

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "policies/security_headers/security_headers_policy.h"
#include "proxy/config/config_node.h"
#include "proxy/config/loader.h"
#include "proxy/policy/registry.h"
#include "tests/unit/fake_request_context.h"

namespace gatehouse::policies::security_headers {
namespace {

using testing_support::FakeRequestContext;
using Fields = std::vector<std::string>;

struct BuiltSecurityHeaders {
  config::Diagnostics diagnostics;
  policy::PolicyServices services;
  std::unique_ptr<const policy::Policy> policy;
  std::string errors() const {
    std::string out;
    for (const config::Diagnostic& d : diagnostics.items()) out += d.to_string() + "\n";
    return out;
  }
};

std::unique_ptr<BuiltSecurityHeaders> build_sh(const std::string& yaml) {
  auto built = std::make_unique<BuiltSecurityHeaders>();
  config::ConfigNode root(YAML::Load(yaml), "test.yaml", built->diagnostics);
  const policy::PolicyFactory* factory = policy::find_policy_factory("security_headers");
  EXPECT_NE(factory, nullptr);
  if (factory != nullptr)
    built->policy = factory->create(root["security_headers"], {.route_name = "r", .services = built->services});
  return built;
}

// The response headers a policy built from `yaml` writes over `upstream`.
Fields respond(const std::string& yaml, const Fields& upstream = {}, bool tls = true) {
  auto built = build_sh(yaml);
  EXPECT_NE(built->policy, nullptr) << built->errors();
  if (built->policy == nullptr) return {};
  FakeRequestContext ctx;
  ctx.set_tls(tls);
  http::ResponseHead response;
  for (const std::string& f : upstream) {
    const std::size_t colon = f.find(": ");
    response.headers.add(f.substr(0, colon), f.substr(colon + 2));
  }
  EXPECT_EQ(built->policy->on_request(ctx).kind(), policy::RequestOutcome::Kind::kProceed);
  built->policy->on_response(ctx, response);
  Fields out;
  for (const http::Header& h : response.headers) out.push_back(h.name + ": " + h.value);
  return out;
}

// helmet 8.x with no options, as `curl -i` shows it against an Express app.
const Fields kHelmet{
    "Content-Security-Policy: default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action "
    "'self';frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr "
    "'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests",
    "Cross-Origin-Opener-Policy: same-origin",
    "Cross-Origin-Resource-Policy: same-origin",
    "Origin-Agent-Cluster: ?1",
    "Referrer-Policy: no-referrer",
    "Strict-Transport-Security: max-age=31536000; includeSubDomains",
    "X-Content-Type-Options: nosniff",
    "X-DNS-Prefetch-Control: off",
    "X-Download-Options: noopen",
    "X-Frame-Options: SAMEORIGIN",
    "X-Permitted-Cross-Domain-Policies: none",
    "X-XSS-Protection: 0",
};

TEST(SecurityHeadersTest, HelmetPresetIsHelmet8DefaultsByteForByte) {
  EXPECT_EQ(respond("security_headers: { preset: helmet }\n"), kHelmet);
  EXPECT_EQ(respond("security_headers:\n"), kHelmet);  // bare entry: the preset
}

TEST(SecurityHeadersTest, HstsOnlyOverTls) {
  Fields plain = respond("security_headers: { preset: helmet }\n", {}, /*tls=*/false);
  Fields expected = kHelmet;
  std::erase_if(expected, [](const std::string& f) { return f.starts_with("Strict-Transport-Security"); });
  EXPECT_EQ(plain, expected);
}

TEST(SecurityHeadersTest, PoweredByRemovedAndServerReplacedOrRemoved) {
  Fields out = respond("security_headers: { preset: none, server: gatehouse }\n",
                       {"Server: nginx/1.2", "X-Powered-By: Express", "X-Other: 1"});
  EXPECT_EQ(out, (Fields{"Server: gatehouse", "X-Other: 1"}));
  out = respond("security_headers: { preset: none, server: off }\n", {"Server: nginx/1.2", "X-Powered-By: PHP"});
  EXPECT_TRUE(out.empty()) << out.front();
  out = respond("security_headers: { preset: none, hide_powered_by: false }\n", {"X-Powered-By: PHP", "Server: a"});
  EXPECT_EQ(out, (Fields{"X-Powered-By: PHP", "Server: a"}));  // no `server:` leaves it alone
}

TEST(SecurityHeadersTest, UpstreamFieldsKeptOrOverwrittenPerHeader) {
  const std::string yaml = R"(
security_headers:
  preset: helmet
  x_frame_options: { upstream: overwrite }
)";
  Fields out = respond(yaml, {"X-Frame-Options: DENY", "Referrer-Policy: origin"});
  // Referrer-Policy is the upstream's (keep is the default); X-Frame-Options is ours.
  EXPECT_EQ(out[0], "X-Frame-Options: SAMEORIGIN");
  EXPECT_EQ(out[1], "Referrer-Policy: origin");
  EXPECT_EQ(std::count(out.begin(), out.end(), "Referrer-Policy: no-referrer"), 0);

  // A policy-wide `upstream: overwrite`, with one header kept.
  out = respond("security_headers: { upstream: overwrite, referrer_policy: { upstream: keep } }\n",
                {"X-Frame-Options: DENY", "Referrer-Policy: origin"});
  EXPECT_EQ(out[0], "X-Frame-Options: SAMEORIGIN");
  EXPECT_EQ(out[1], "Referrer-Policy: origin");
}

TEST(SecurityHeadersTest, TypedOptions) {
  Fields out = respond(R"(
security_headers:
  preset: none
  strict_transport_security: { max_age: 730d, include_subdomains: true, preload: true }
  content_security_policy:
    report_only: true
    directives:
      default-src: "'none'"
      img-src: ["'self'", "https://img.example"]
      upgrade-insecure-requests: true
  x_frame_options: deny
  referrer_policy: [strict-origin-when-cross-origin]
  permissions_policy:
    features: { camera: [], geolocation: [self, "https://maps.example"], fullscreen: "*" }
  cross_origin_embedder_policy: require-corp
  x_dns_prefetch_control: { value: "on" }
)");
  EXPECT_EQ(out, (Fields{
                     "Content-Security-Policy-Report-Only: default-src 'none';img-src 'self' "
                     "https://img.example;upgrade-insecure-requests",
                     "Cross-Origin-Embedder-Policy: require-corp",
                     "Referrer-Policy: strict-origin-when-cross-origin",
                     "Strict-Transport-Security: max-age=63072000; includeSubDomains; preload",
                     "X-DNS-Prefetch-Control: on",
                     "X-Frame-Options: DENY",
                     "Permissions-Policy: camera=(), geolocation=(self \"https://maps.example\"), fullscreen=*",
                 }));
}

TEST(SecurityHeadersTest, CspDirectivesMergeOverThePreset) {
  Fields out = respond(R"(
security_headers:
  content_security_policy:
    directives:
      script-src: ["'self'", "https://cdn.example"]
      upgrade-insecure-requests: off
      connect-src: "'self' wss://chat.example"
  x_xss_protection: off
  origin_agent_cluster: false
)");
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0],
            "Content-Security-Policy: default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action "
            "'self';frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self' "
            "https://cdn.example;script-src-attr 'none';style-src 'self' https: 'unsafe-inline';connect-src "
            "'self' wss://chat.example");
  EXPECT_EQ(std::count_if(out.begin(), out.end(), [](const std::string& f) { return f.starts_with("X-XSS"); }), 0);
  EXPECT_EQ(std::count_if(out.begin(), out.end(), [](const std::string& f) { return f.starts_with("Origin-Agent"); }), 0);
  EXPECT_EQ(out.size(), kHelmet.size() - 2);
}

// --- merging with `defaults:` through the real loader ----------------------

TEST(SecurityHeadersTest, RouteOptionsMergeWithDefaultsByKey) {
  config::LoadResult r = config::load_config_string(R"(
listeners: [{ name: public, address: 127.0.0.1:8080 }]
upstreams: { api: { targets: [127.0.0.1:3000] } }
defaults:
  policies:
    - security_headers:
        preset: helmet
        x_frame_options: DENY
        content_security_policy: { directives: { img-src: "'self'" } }
routes:
  - name: inherits
    upstream: api
  - name: adjusts
    upstream: api
    policies:
      - security_headers:
          content_security_policy: { directives: { script-src: "'self' https://cdn.example" } }
          strict_transport_security: off
  - name: drops
    upstream: api
    policies: [{ security_headers: off }]
)",
                                                    "t.yaml");
  for (const config::Diagnostic& d : r.errors) ADD_FAILURE() << d.to_string();
  ASSERT_NE(r.config, nullptr);
  auto run = [](const config::RouteConfig& route) {
    FakeRequestContext ctx;
    ctx.set_tls(true);
    std::size_t cursor = 0;
    route.policies.run_request(ctx, cursor);
    http::ResponseHead response;
    route.policies.run_response(ctx, response, cursor);
    Fields out;
    for (const http::Header& h : response.headers) out.push_back(h.name + ": " + h.value);
    return out;
  };
  Fields inherits = run(r.config->routes[0]);
  Fields adjusts = run(r.config->routes[1]);
  EXPECT_TRUE(run(r.config->routes[2]).empty());
  ASSERT_EQ(inherits.size(), kHelmet.size());
  EXPECT_NE(std::find(inherits.begin(), inherits.end(), "X-Frame-Options: DENY"), inherits.end());
  EXPECT_NE(inherits[0].find(";img-src 'self';object-src"), std::string::npos) << inherits[0];
  // The route keeps the defaults' X-Frame-Options and img-src, adds its own
  // script-src, and drops HSTS.
  EXPECT_NE(std::find(adjusts.begin(), adjusts.end(), "X-Frame-Options: DENY"), adjusts.end());
  EXPECT_NE(adjusts[0].find(";img-src 'self';object-src"), std::string::npos) << adjusts[0];
  EXPECT_NE(adjusts[0].find(";script-src 'self' https://cdn.example;"), std::string::npos) << adjusts[0];
  EXPECT_EQ(adjusts.size(), kHelmet.size() - 1);
}

// --- configuration errors -------------------------------------------------

std::vector<config::Diagnostic> sh_errors(const std::string& yaml) {
  auto built = build_sh(yaml);
  EXPECT_EQ(built->policy, nullptr);
  EXPECT_FALSE(built->diagnostics.empty());
  return built->diagnostics.items();
}

TEST(SecurityHeadersConfigTest, ErrorsNameThePathAndWhatWasExpected) {
  auto errs = sh_errors("security_headers:\n  x_frame_option: DENY\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].message.find("did you mean `x_frame_options`"), std::string::npos) << errs[0].message;
  EXPECT_EQ(errs[0].line, 2);

  errs = sh_errors("security_headers: { x_frame_options: ALLOW-FROM https://a.example }\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].path, "security_headers.x_frame_options");
  EXPECT_NE(errs[0].message.find("frame-ancestors"), std::string::npos) << errs[0].message;

  errs = sh_errors("security_headers: { preset: strict }\n");
  EXPECT_EQ(errs[0].path, "security_headers.preset");

  errs = sh_errors("security_headers: { referrer_policy: no-referer }\n");
  EXPECT_NE(errs[0].message.find("not a referrer policy"), std::string::npos);

  errs = sh_errors("security_headers: { server: \"a\\r\\nSet-Cookie: x\" }\n");
  EXPECT_NE(errs[0].message.find("control character"), std::string::npos);

  errs = sh_errors("security_headers: { x_frame_options: { upstream: maybe } }\n");
  EXPECT_EQ(errs[0].path, "security_headers.x_frame_options.upstream");
}

TEST(SecurityHeadersConfigTest, CspMistakes) {
  // A bare keyword is a host name to the browser.
  auto errs = sh_errors("security_headers:\n  content_security_policy:\n    directives: { script-src: [self] }\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].path, "security_headers.content_security_policy.directives.script-src[0]");
  EXPECT_NE(errs[0].message.find("did you mean the keyword `'self'`"), std::string::npos) << errs[0].message;

  errs = sh_errors("security_headers: { content_security_policy: { directives: { Script-Src: x } } }\n");
  EXPECT_NE(errs[0].message.find("not a CSP directive name"), std::string::npos);

  errs = sh_errors("security_headers: { content_security_policy: { directives: { img-src: \"a;b\" } } }\n");
  EXPECT_NE(errs[0].message.find("not one CSP source"), std::string::npos);

  errs = sh_errors("security_headers: { preset: none, content_security_policy: { report_only: true } }\n");
  EXPECT_NE(errs[0].message.find("no directives"), std::string::npos);
}

TEST(SecurityHeadersConfigTest, HstsPreloadNeedsSubdomainsAndAYear) {
  auto errs = sh_errors("security_headers: { strict_transport_security: { max_age: 30d, preload: true } }\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].path, "security_headers.strict_transport_security.preload");
  errs = sh_errors("security_headers: { strict_transport_security: { max_age: forever } }\n");
  EXPECT_EQ(errs[0].path, "security_headers.strict_transport_security.max_age");
}

TEST(SecurityHeadersConfigTest, PresetNoneNeedsValues) {
  auto errs = sh_errors("security_headers: { preset: none, x_frame_options: { upstream: keep } }\n");
  EXPECT_NE(errs[0].message.find("give `value`"), std::string::npos) << errs[0].message;
  errs = sh_errors("security_headers: { permissions_policy: { features: { camera: [self, evil] } } }\n");
  EXPECT_NE(errs[0].message.find("not an allowlist entry"), std::string::npos) << errs[0].message;
}

}  // namespace
}  // namespace gatehouse::policies::security_headers
