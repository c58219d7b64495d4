// The `jwt` policy end to end without sockets: YAML options -> policy ->
// on_request()/on_response() on a fake request, with keys made in the test.

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "policies/jwt/jwt_policy.h"
#include "policies/jwt/jwt_test_support.h"
#include "proxy/policy/chain.h"
#include "proxy/policy/verified_claims.h"
#include "tests/unit/fake_request_context.h"

namespace gatehouse::policies::jwt {
namespace {

using Strings = std::vector<std::string>;
constexpr std::int64_t kPolicyTestNow = 1'700'000'000;
std::int64_t fixed_now() { return kPolicyTestNow; }

struct Parsed {
  std::optional<JwtConfig> config;
  Strings errors;
};

Parsed parse(const std::string& yaml) {
  config::Diagnostics diagnostics;
  config::ConfigNode root(YAML::Load(yaml), "test.yaml", diagnostics);
  Parsed out;
  out.config = parse_jwt_config(root["jwt"]);
  for (const config::Diagnostic& d : diagnostics.items()) out.errors.push_back(d.to_string());
  return out;
}

JwtConfig parse_ok(const std::string& yaml) {
  Parsed p = parse(yaml);
  for (const std::string& e : p.errors) ADD_FAILURE() << e;
  EXPECT_TRUE(p.config.has_value());
  return p.config.value_or(JwtConfig{});
}

std::string parse_error(const std::string& yaml) {
  Parsed p = parse(yaml);
  EXPECT_FALSE(p.config.has_value()) << yaml;
  std::string all;
  for (const std::string& e : p.errors) all += e + "\n";
  EXPECT_FALSE(all.empty());
  return all;
}

const std::string kSecret(40, 's');

std::string hs_issuer(const std::string& extra = "") {
  return "jwt:\n"
         "  issuers:\n"
         "    - issuer: https://issuer.test\n"
         "      audiences: [api]\n"
         "      algorithms: [HS256]\n"
         "      secret: " + kSecret + "\n" + extra;
}

class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    char name[] = "/tmp/gatehouse-jwt-test-XXXXXX";
    int fd = mkstemp(name);
    path_ = name;
    std::FILE* f = fdopen(fd, "w");
    std::fwrite(content.data(), 1, content.size(), f);
    std::fclose(f);
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(JwtConfigTest, DefaultsAndEveryOption) {
  JwtConfig c = parse_ok(hs_issuer());
  ASSERT_EQ(c.issuers.size(), 1u);
  EXPECT_EQ(c.issuers[0].claims.leeway, std::chrono::seconds(60));
  EXPECT_EQ(c.max_token_size, 8192u);
  EXPECT_FALSE(c.optional);
  EXPECT_TRUE(c.forward_token);
  EXPECT_EQ(c.realm, "gatehouse");
  EXPECT_EQ(c.cache_entries, 10000u);
  ASSERT_EQ(c.token_from.size(), 1u);
  EXPECT_EQ(c.token_from[0].kind, TokenSource::Kind::kAuthorization);

  c = parse_ok(hs_issuer(
      "  token_from: [authorization, 'cookie:session', 'query:access_token', 'header:X-Token']\n"
      "  max_token_size: 4KiB\n"
      "  optional: true\n"
      "  leeway: 5s\n"
      "  max_lifetime: 1h\n"
      "  required_claims: [sub]\n"
      "  require: { any_of: [ { role: [admin] }, { scope: contains write:posts, tier: { equals: gold } } ] }\n"
      "  claims_to_headers: { sub: X-User-Id, realm.role: X-Realm-Role }\n"
      "  forward_token: false\n"
      "  realm: api\n"
      "  cache: off\n"));
  EXPECT_EQ(c.token_from.size(), 4u);
  EXPECT_EQ(c.token_from[1].kind, TokenSource::Kind::kCookie);
  EXPECT_EQ(c.token_from[1].name, "session");
  EXPECT_EQ(c.max_token_size, 4096u);
  EXPECT_TRUE(c.optional);
  EXPECT_EQ(c.issuers[0].claims.leeway, std::chrono::seconds(5));
  EXPECT_EQ(c.issuers[0].claims.max_lifetime, std::chrono::seconds(3600));
  EXPECT_EQ(c.issuers[0].claims.required, Strings{"sub"});
  ASSERT_TRUE(c.require.has_value());
  EXPECT_EQ(c.require->kind, ClaimRule::Kind::kAnyOf);
  ASSERT_EQ(c.require->children.size(), 2u);
  EXPECT_EQ(c.require->children[1].children.size(), 2u);
  EXPECT_EQ(c.claims_to_headers.size(), 2u);
  EXPECT_FALSE(c.forward_token);
  EXPECT_EQ(c.realm, "api");
  EXPECT_EQ(c.cache_entries, 0u);
}

TEST(JwtConfigTest, KeySourcesAreReadAndMustSuitTheAlgorithms) {
  const testing::TestKey es = testing::make_key(Algorithm::kES256);
  TempFile pem(testing::public_pem(es));
  boost::json::object jwk = testing::public_jwk(es);
  jwk["kid"] = "one";
  TempFile jwks(boost::json::serialize(boost::json::object{{"keys", boost::json::array{jwk}}}));
  const std::string head = "jwt:\n  issuers:\n    - issuer: i\n      audiences: [a]\n";
  JwtConfig c = parse_ok(head + "      algorithms: [ES256]\n      public_key_files: [" + pem.path() + "]\n");
  ASSERT_EQ(c.issuers[0].keys->size(), 1u);
  c = parse_ok(head + "      algorithms: [ES256]\n      jwks_file: " + jwks.path() + "\n");
  EXPECT_EQ(c.issuers[0].keys->at(0).kid, "one");
  c = parse_ok(head + "      algorithms: [ES256]\n      jwks_uri: https://idp.test/jwks.json\n"
                      "      min_cache_ttl: 30s\n      refetch_interval: 10s\n");
  ASSERT_TRUE(c.issuers[0].remote.has_value());
  EXPECT_EQ(c.issuers[0].remote->uri.host, "idp.test");
  EXPECT_EQ(c.issuers[0].remote->uri.target, "/jwks.json");
  EXPECT_EQ(c.issuers[0].remote->refetch_interval, std::chrono::seconds(10));
  parse_ok(head + "      algorithms: [ES256]\n      jwks_uri: http://127.0.0.1:3000/.well-known/jwks.json\n");

  EXPECT_NE(parse_error(head + "      algorithms: [ES256]\n      jwks_uri: http://idp.test/jwks\n").find("https://"),
            std::string::npos);
  EXPECT_NE(parse_error(head + "      algorithms: [HS256]\n      public_key_files: [" + pem.path() + "]\n")
                .find("needs `secret`"),
            std::string::npos);
  EXPECT_NE(parse_error(head + "      algorithms: [RS256]\n      secret: " + kSecret + "\n").find("needs a public key"),
            std::string::npos);
  EXPECT_NE(parse_error(head + "      algorithms: [ES384]\n      public_key_files: [" + pem.path() + "]\n")
                .find("no configured key can verify `ES384`"),
            std::string::npos);
  EXPECT_NE(parse_error(head + "      algorithms: [HS512]\n      secret: " + kSecret + "\n").find("at least 64 bytes"),
            std::string::npos);
  EXPECT_NE(parse_error(head + "      algorithms: [none]\n      secret: " + kSecret + "\n").find("never accepted"),
            std::string::npos);
  EXPECT_NE(parse_error(head + "      algorithms: [ES265]\n      public_key_files: [x]\n").find("did you mean `ES256`"),
            std::string::npos);
  EXPECT_NE(parse_error(head + "      algorithms: [ES256]\n").find("missing a key source"), std::string::npos);
  EXPECT_NE(parse_error(head + "      algorithms: [ES256]\n      jwks_file: /nonexistent\n").find("cannot read"),
            std::string::npos);
  EXPECT_NE(parse_error(head + "      algorithms: [ES256]\n      jwks_file: " + jwks.path() +
                        "\n      refetch_interval: 5s\n")
                .find("applies to `jwks_uri` only"),
            std::string::npos);
}

TEST(JwtConfigTest, ErrorsPointAtTheOption) {
  EXPECT_NE(parse_error("jwt: {}\n").find("missing required key `issuers`"), std::string::npos);
  EXPECT_NE(parse_error(hs_issuer("  leway: 5s\n")).find("did you mean `leeway`"), std::string::npos);
  EXPECT_NE(parse_error(hs_issuer("  token_from: [bearer]\n")).find("unknown token source"), std::string::npos);
  EXPECT_NE(parse_error(hs_issuer("  claims_to_headers: { sub: 'X User' }\n")).find("not a valid header name"),
            std::string::npos);
  EXPECT_NE(parse_error(hs_issuer("  claims_to_headers: { sub: Authorization }\n")).find("cannot carry"),
            std::string::npos);
  EXPECT_NE(parse_error(hs_issuer("  require: { role: { equal: x } }\n")).find("did you mean"), std::string::npos);
  EXPECT_NE(parse_error(hs_issuer("  max_token_size: 1MiB\n")).find("jwt.max_token_size"), std::string::npos);
  EXPECT_NE(parse_error(hs_issuer("  require: { any_of: [ { role: admin } ], tier: gold }\n")).find("only key"),
            std::string::npos);
  std::string twice = hs_issuer() + "    - issuer: https://issuer.test\n      audiences: [b]\n      algorithms: [HS256]\n"
                                    "      secret: " + kSecret + "\n";
  EXPECT_NE(parse_error(twice).find("listed twice"), std::string::npos);
}

// ---- the policy on requests ----

class JwtPolicyTest : public ::testing::Test {
 protected:
  void build(const std::string& extra = "", std::shared_ptr<RemoteKeySource> remote = nullptr) {
    JwtConfig config = parse_ok(hs_issuer(extra));
    std::vector<IssuerRuntime> issuers;
    for (const IssuerConfig& i : config.issuers) issuers.push_back({i, nullptr});
    if (remote) {
      IssuerConfig es;
      es.claims.issuer = "https://remote.test";
      es.claims.audiences = {"api"};
      es.algorithms = {Algorithm::kES256};
      es.remote = RemoteJwksSettings{};
      issuers.push_back({es, remote});
    }
    auto verifier = std::make_shared<const TokenVerifier>(std::move(issuers), config.cache_entries);
    metrics_registry_ = std::make_shared<policy::PolicyServices>();
    FailureCounters counters = metrics_registry_->shared<JwtMetrics>().for_route("r");
    policy_ = std::make_unique<JwtPolicy>(std::move(config), verifier, counters, &fixed_now);
  }

  boost::json::object claims(std::initializer_list<std::pair<std::string_view, boost::json::value>> extra = {}) {
    boost::json::object c{{"iss", "https://issuer.test"}, {"aud", "api"}, {"sub", "42"}, {"role", "admin"},
                          {"exp", kPolicyTestNow + 300}, {"iat", kPolicyTestNow}};
    for (const auto& [k, v] : extra) c[k] = v;
    return c;
  }
  std::string token(const boost::json::object& c) { return testing::make_token(key_, c); }

  policy::RequestOutcome run(const std::string& authorization) {
    ctx_.clear_data();
    ctx_.request().headers.clear();
    if (!authorization.empty()) ctx_.request().headers.add("Authorization", authorization);
    return policy_->on_request(ctx_);
  }

  // The response the client would get for the last run.
  http::ResponseHead respond() {
    http::ResponseHead response;
    response.status = 401;
    policy_->on_response(ctx_, response);
    return response;
  }

  double failures(std::string_view reason) {
    for (const auto& family : metrics_registry_->metrics_registry().Collect()) {
      if (family.name != "gatehouse_jwt_failures_total") continue;
      for (const auto& m : family.metric) {
        for (const auto& label : m.label) {
          if (label.name == "reason" && label.value == reason) return m.counter.value;
        }
      }
    }
    return -1;
  }

  testing::TestKey key_{Algorithm::kHS256, kSecret, {}};
  std::shared_ptr<policy::PolicyServices> metrics_registry_;
  std::unique_ptr<JwtPolicy> policy_;
  gatehouse::testing_support::FakeRequestContext ctx_;
};

TEST_F(JwtPolicyTest, AValidTokenProceedsAndPublishesItsClaims) {
  build("  claims_to_headers: { sub: X-User-Id, role: X-User-Role, realm.groups: X-Groups }\n");
  const std::string t = token(claims({{"realm", boost::json::object{{"groups", boost::json::array{"a", "b"}}}}}));
  ctx_.request().headers.clear();
  ctx_.request().headers.add("Authorization", "Bearer " + t);
  ctx_.request().headers.add("X-User-Id", "1");          // forged
  ctx_.request().headers.add("x-user-role", "admin");    // forged, other case
  ctx_.request().headers.add("X-Groups", "root");
  policy::RequestOutcome out = policy_->on_request(ctx_);
  ASSERT_EQ(out.kind(), policy::RequestOutcome::Kind::kProceed) << out.error_message();
  const http::HeaderMap& h = ctx_.request().headers;
  EXPECT_EQ(h.count("X-User-Id"), 1u);
  EXPECT_EQ(*h.find("X-User-Id"), "42");
  EXPECT_EQ(*h.find("X-User-Role"), "admin");
  EXPECT_EQ(*h.find("X-Groups"), "a,b");
  EXPECT_TRUE(h.contains("Authorization"));  // forward_token defaults to true
  const policy::VerifiedClaims* published = policy::verified_claims(ctx_);
  ASSERT_NE(published, nullptr);
  EXPECT_EQ(policy::claim_text(published->claims, "sub").value(), "42");
  EXPECT_FALSE(respond().headers.contains("WWW-Authenticate"));
}

TEST_F(JwtPolicyTest, ForgedIdentityHeadersAreStrippedEvenWithoutAToken) {
  build("  optional: true\n  claims_to_headers: { sub: X-User-Id }\n");
  ctx_.request().headers.clear();
  ctx_.request().headers.add("X-User-Id", "1");
  EXPECT_EQ(policy_->on_request(ctx_).kind(), policy::RequestOutcome::Kind::kProceed);
  EXPECT_FALSE(ctx_.request().headers.contains("X-User-Id"));
  EXPECT_EQ(policy::verified_claims(ctx_), nullptr);
}

TEST_F(JwtPolicyTest, AClaimWithControlCharactersIsNotForwarded) {
  build("  claims_to_headers: { sub: X-User-Id }\n");
  EXPECT_EQ(run("Bearer " + token(claims({{"sub", "1\r\nX-Admin: yes"}}))).kind(),
            policy::RequestOutcome::Kind::kProceed);
  EXPECT_FALSE(ctx_.request().headers.contains("X-User-Id"));
}

TEST_F(JwtPolicyTest, ForwardTokenFalseRemovesTheAuthorizationHeader) {
  build("  forward_token: false\n");
  EXPECT_EQ(run("Bearer " + token(claims())).kind(), policy::RequestOutcome::Kind::kProceed);
  EXPECT_FALSE(ctx_.request().headers.contains("Authorization"));
}

TEST_F(JwtPolicyTest, AMissingTokenIsA401ChallengeWithoutError) {
  build();
  policy::RequestOutcome out = run("");
  ASSERT_EQ(out.kind(), policy::RequestOutcome::Kind::kRespond);
  EXPECT_EQ(out.error_code(), "unauthorized");
  EXPECT_EQ(out.take_reply()->status, 401);
  EXPECT_EQ(*respond().headers.find("WWW-Authenticate"), "Bearer realm=\"gatehouse\"");
  EXPECT_EQ(failures("missing"), 1);
  // Another scheme is no bearer token either.
  EXPECT_EQ(run("Basic YWxhZGRpbjpvcGVuc2VzYW1l").kind(), policy::RequestOutcome::Kind::kRespond);
  EXPECT_EQ(failures("missing"), 2);
}

TEST_F(JwtPolicyTest, EachBadTokenIsA401WithItsReason) {
  build();
  const std::string good = token(claims());
  const testing::TestKey es = testing::make_key(Algorithm::kES256);
  std::vector<std::pair<std::string, std::string>> cases = {
      {"garbage", "malformed"},
      {good.substr(0, good.size() - 3), "bad_signature"},
      {good + "!", "malformed"},
      {good.substr(0, good.size() - 1) + (good.back() == 'B' ? "C" : "B"), "malformed"},  // non-zero trailing bits
      {token(claims({{"exp", kPolicyTestNow - 61}})), "expired"},
      {token(claims({{"nbf", kPolicyTestNow + 120}})), "not_yet_valid"},
      {token(claims({{"iat", kPolicyTestNow + 120}})), "issued_in_future"},
      {token(claims({{"iss", "https://evil.test"}})), "bad_issuer"},
      {token(claims({{"aud", "other"}})), "bad_audience"},
      {testing::make_token(testing::TestKey{Algorithm::kHS256, std::string(40, 'x'), {}}, claims()), "bad_signature"},
      {testing::make_token(es, claims()), "alg_not_allowed"},
      {testing::make_token(key_, claims(), {{"alg", "HS256"}, {"crit", boost::json::array{"exp"}}}), "unsupported_crit"},
      {"eyJhbGciOiJub25lIn0." + base64url_encode(boost::json::serialize(claims())) + ".", "alg_not_allowed"},
  };
  for (const auto& [t, reason] : cases) {
    policy::RequestOutcome out = run("Bearer " + t);
    ASSERT_EQ(out.kind(), policy::RequestOutcome::Kind::kRespond) << reason;
    EXPECT_EQ(out.error_code(), "invalid_token") << reason;
    EXPECT_EQ(out.error_message().find(t), std::string::npos);
    EXPECT_EQ(out.take_reply()->status, 401) << reason;
    const std::string challenge = *respond().headers.find("WWW-Authenticate");
    EXPECT_TRUE(challenge.starts_with("Bearer realm=\"gatehouse\", error=\"invalid_token\", error_description=\""))
        << challenge;
    EXPECT_EQ(policy::verified_claims(ctx_), nullptr);
  }
  EXPECT_EQ(failures("expired"), 1);
  EXPECT_EQ(failures("bad_signature"), 2);
  EXPECT_EQ(failures("alg_not_allowed"), 2);
}

TEST_F(JwtPolicyTest, AKidSelectsAmongKeysWithIdsAndKeysWithoutOneStayCandidates) {
  build();  // a secret has no kid: a token's kid cannot contradict it
  EXPECT_EQ(run("Bearer " + testing::make_token(key_, claims(), {{"alg", "HS256"}, {"kid", "any"}})).kind(),
            policy::RequestOutcome::Kind::kProceed);
  const testing::TestKey es = testing::make_key(Algorithm::kES256);
  IssuerConfig issuer = policy_->config().issuers[0];
  issuer.algorithms = {Algorithm::kES256};
  issuer.keys = std::make_shared<const KeySet>(KeySet{testing::verification_key(es, "k1")});
  TokenVerifier verifier({{issuer, nullptr}}, 0);
  auto es_token = [&](const std::string& kid) {
    return testing::make_token(es, claims(), {{"alg", "ES256"}, {"kid", kid}});
  };
  EXPECT_EQ(verifier.verify(es_token("k1"), kPolicyTestNow, false).failure, Failure::kNone);
  EXPECT_EQ(verifier.verify(es_token("k2"), kPolicyTestNow, false).failure, Failure::kUnknownKid);
  EXPECT_EQ(verifier.verify(testing::make_token(es, claims()), kPolicyTestNow, false).failure, Failure::kNone);  // no kid
}

TEST_F(JwtPolicyTest, DuplicateHeaderMembersResolveToTheLastOne) {
  // RFC 7515 §4: reject duplicates or take the lexically last; Boost.JSON
  // takes the last, so `none` first and HS256 last is an HS256 token.
  build();
  const std::string input = base64url_encode(R"({"alg":"none","alg":"HS256"})") + "." +
                            base64url_encode(boost::json::serialize(claims()));
  const std::string t = input + "." + base64url_encode(testing::sign_bytes(key_, input));
  EXPECT_EQ(run("Bearer " + t).kind(), policy::RequestOutcome::Kind::kProceed);
  const std::string reverse = base64url_encode(R"({"alg":"HS256","alg":"none"})") + "." +
                              base64url_encode(boost::json::serialize(claims()));
  EXPECT_EQ(run("Bearer " + reverse + "." + base64url_encode(testing::sign_bytes(key_, reverse))).kind(),
            policy::RequestOutcome::Kind::kRespond);
  EXPECT_EQ(failures("alg_not_allowed"), 1);
}

TEST_F(JwtPolicyTest, TheSizeCapComesBeforeAnyParsing) {
  build("  max_token_size: 1KiB\n");
  EXPECT_EQ(run("Bearer " + std::string(1025, 'a')).kind(), policy::RequestOutcome::Kind::kRespond);
  EXPECT_EQ(failures("too_large"), 1);
  EXPECT_EQ(run("Bearer " + std::string(1024 * 1024, 'a')).kind(), policy::RequestOutcome::Kind::kRespond);
  EXPECT_EQ(failures("too_large"), 2);
}

TEST_F(JwtPolicyTest, AFailedRuleIsA403) {
  build("  require: { role: [admin, editor], scope: contains write:posts }\n");
  EXPECT_EQ(run("Bearer " + token(claims({{"scope", "read write:posts"}}))).kind(),
            policy::RequestOutcome::Kind::kProceed);
  policy::RequestOutcome out = run("Bearer " + token(claims({{"scope", "read"}})));
  ASSERT_EQ(out.kind(), policy::RequestOutcome::Kind::kRespond);
  EXPECT_EQ(out.take_reply()->status, 403);
  EXPECT_EQ(*respond().headers.find("WWW-Authenticate"), "Bearer realm=\"gatehouse\", error=\"insufficient_scope\"");
  EXPECT_EQ(policy::verified_claims(ctx_), nullptr);
  EXPECT_EQ(failures("forbidden"), 1);
}

TEST_F(JwtPolicyTest, OptionalLetsNoTokenThroughButNotABadOne) {
  build("  optional: true\n");
  EXPECT_EQ(run("").kind(), policy::RequestOutcome::Kind::kProceed);
  EXPECT_EQ(run("Bearer nonsense").kind(), policy::RequestOutcome::Kind::kRespond);
}

TEST_F(JwtPolicyTest, TokensComeFromCookiesAndQueryParameters) {
  build("  token_from: ['cookie:session', 'query:access_token']\n");
  const std::string t = token(claims());
  ctx_.request().headers.clear();
  ctx_.request().headers.add("Cookie", "a=b; session=" + t + "; c=d");
  EXPECT_EQ(policy_->on_request(ctx_).kind(), policy::RequestOutcome::Kind::kProceed);
  ctx_.clear_data();
  ctx_.request().headers.clear();
  ctx_.request().target = "/x?y=1&access_token=" + t;
  EXPECT_EQ(policy_->on_request(ctx_).kind(), policy::RequestOutcome::Kind::kProceed);
  ctx_.clear_data();
  ctx_.request().target = "/x";
  ctx_.request().headers.add("Authorization", "Bearer " + t);  // not a configured source
  EXPECT_EQ(policy_->on_request(ctx_).kind(), policy::RequestOutcome::Kind::kRespond);
}

TEST_F(JwtPolicyTest, TheCacheStillChecksExpiry) {
  build();
  const std::string t = token(claims({{"exp", kPolicyTestNow + 1}}));
  EXPECT_EQ(run("Bearer " + t).kind(), policy::RequestOutcome::Kind::kProceed);
  EXPECT_EQ(run("Bearer " + t).kind(), policy::RequestOutcome::Kind::kProceed);  // from the cache
  JwtConfig config = policy_->config();
  // A later clock: the cached entry must not let the expired token in.
  auto later = []() -> std::int64_t { return kPolicyTestNow + 120; };
  JwtPolicy late(config, std::make_shared<const TokenVerifier>(
                             std::vector<IssuerRuntime>{{config.issuers[0], nullptr}}, 10),
                 FailureCounters{}, later);
  ctx_.clear_data();
  EXPECT_EQ(late.on_request(ctx_).kind(), policy::RequestOutcome::Kind::kRespond);
}

// ---- remote keys: pausing until a fetch finishes ----

class FakeRemote final : public RemoteKeySource {
 public:
  std::shared_ptr<const KeySet> keys() const override { return keys_; }
  bool fetch(std::function<void()> on_done) override {
    ++fetches;
    // A fetch in flight ends between the policy's look at the keys and its
    // asking for a fetch; the next may not start yet.
    if (ended_meanwhile) {
      keys_ = std::move(ended_meanwhile);
      return false;
    }
    if (!allow) return false;
    waiting.push_back(std::move(on_done));
    return true;
  }
  void complete(std::shared_ptr<const KeySet> keys) {
    keys_ = std::move(keys);
    auto w = std::move(waiting);
    waiting.clear();
    for (auto& f : w) f();
  }
  std::shared_ptr<const KeySet> keys_;
  std::shared_ptr<const KeySet> ended_meanwhile;
  std::vector<std::function<void()>> waiting;
  bool allow = true;
  int fetches = 0;
};

class FakeExchange final : public policy::ResumeTarget {
 public:
  FakeExchange(const policy::PolicyChain& chain, policy::RequestContext& ctx) : chain_(chain), ctx_(ctx) {}
  void resume_request(std::uint64_t, policy::RequestOutcome outcome) override {
    result.emplace(chain_.resume(ctx_, cursor, std::move(outcome)));
  }
  std::size_t cursor = 0;
  std::optional<policy::RequestOutcome> result;

 private:
  const policy::PolicyChain& chain_;
  policy::RequestContext& ctx_;
};

class JwtRemotePolicyTest : public JwtPolicyTest {
 protected:
  void SetUp() override {
    remote_ = std::make_shared<FakeRemote>();
    build("", remote_);
    es_ = testing::make_key(Algorithm::kES256);
  }
  std::string es_token(const std::string& kid) {
    boost::json::object c = claims({{"iss", "https://remote.test"}});
    return testing::make_token(es_, c, {{"alg", "ES256"}, {"kid", kid}});
  }
  std::shared_ptr<const KeySet> key_set(const std::string& kid) {
    return std::make_shared<const KeySet>(KeySet{testing::verification_key(es_, kid)});
  }
  // Runs the policy in a one-policy chain, as the proxy does.
  policy::RequestOutcome start(const std::string& t, std::shared_ptr<FakeExchange>& exchange) {
    ctx_.clear_data();
    ctx_.request().headers.clear();
    ctx_.request().headers.add("Authorization", "Bearer " + t);
    std::vector<std::unique_ptr<const policy::Policy>> list;
    list.push_back(std::move(policy_));
    chain_ = std::make_unique<policy::PolicyChain>(std::move(list));
    exchange = std::make_shared<FakeExchange>(*chain_, ctx_);
    ctx_.target = exchange;
    return chain_->run_request(ctx_, exchange->cursor);
  }

  std::shared_ptr<FakeRemote> remote_;
  testing::TestKey es_;
  std::unique_ptr<policy::PolicyChain> chain_;
};

TEST_F(JwtRemotePolicyTest, ARequestWaitsForTheFirstFetchThenVerifies) {
  std::shared_ptr<FakeExchange> exchange;
  ASSERT_EQ(start(es_token("k1"), exchange).kind(), policy::RequestOutcome::Kind::kPause);
  EXPECT_EQ(remote_->fetches, 1);
  remote_->complete(key_set("k1"));
  ctx_.io.run();  // the resume is posted to the worker's executor
  ASSERT_TRUE(exchange->result.has_value());
  EXPECT_EQ(exchange->result->kind(), policy::RequestOutcome::Kind::kProceed);
  EXPECT_NE(policy::verified_claims(ctx_), nullptr);
}

TEST_F(JwtRemotePolicyTest, AnUnknownKidAsksOnceThenFails) {
  remote_->keys_ = key_set("k1");
  std::shared_ptr<FakeExchange> exchange;
  ASSERT_EQ(start(es_token("k2"), exchange).kind(), policy::RequestOutcome::Kind::kPause);
  remote_->complete(key_set("k1"));  // the key server still lacks k2
  ctx_.io.run();
  ASSERT_TRUE(exchange->result.has_value());
  ASSERT_EQ(exchange->result->kind(), policy::RequestOutcome::Kind::kRespond);
  EXPECT_EQ(exchange->result->take_reply()->status, 401);
  EXPECT_EQ(remote_->fetches, 1);
  EXPECT_EQ(failures("unknown_kid"), 1);
}

TEST_F(JwtRemotePolicyTest, NoFetchAllowedFailsAtOnce) {
  remote_->allow = false;
  std::shared_ptr<FakeExchange> exchange;
  policy::RequestOutcome out = start(es_token("k1"), exchange);
  ASSERT_EQ(out.kind(), policy::RequestOutcome::Kind::kRespond);
  EXPECT_EQ(out.take_reply()->status, 503);
  EXPECT_EQ(failures("keys_unavailable"), 1);
}

TEST_F(JwtRemotePolicyTest, KeysThatArriveBetweenTheLookAndTheAskAreUsed) {
  // The first load ends just after the policy found no keys.
  remote_->ended_meanwhile = key_set("k1");
  std::shared_ptr<FakeExchange> exchange;
  EXPECT_EQ(start(es_token("k1"), exchange).kind(), policy::RequestOutcome::Kind::kProceed);
  EXPECT_NE(policy::verified_claims(ctx_), nullptr);
  // A refetch that brought a new kid ends likewise.
  build("", remote_);
  remote_->ended_meanwhile = key_set("k2");
  EXPECT_EQ(start(es_token("k2"), exchange).kind(), policy::RequestOutcome::Kind::kProceed);
  EXPECT_EQ(remote_->fetches, 2);
  EXPECT_EQ(failures("keys_unavailable"), 0);
  EXPECT_EQ(failures("unknown_kid"), 0);
}

TEST_F(JwtRemotePolicyTest, RotationIsPickedUpThroughTheRefetch) {
  remote_->keys_ = key_set("old");
  std::shared_ptr<FakeExchange> exchange;
  ASSERT_EQ(start(es_token("new"), exchange).kind(), policy::RequestOutcome::Kind::kPause);
  remote_->complete(key_set("new"));
  ctx_.io.run();
  ASSERT_TRUE(exchange->result.has_value());
  EXPECT_EQ(exchange->result->kind(), policy::RequestOutcome::Kind::kProceed);
}

}  // namespace
}  // namespace gatehouse::policies::jwt
