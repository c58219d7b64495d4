// Registered-claim checks and `require` rules.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "policies/jwt/claim_rules.h"
#include "policies/jwt/claims_check.h"

namespace gatehouse::policies::jwt {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;

boost::json::object claims(std::string_view json) { return boost::json::parse(json).as_object(); }

ClaimRequirements requirements() {
  ClaimRequirements r;
  r.issuer = "https://issuer.test";
  r.audiences = {"api", "other"};
  r.leeway = std::chrono::seconds(60);
  return r;
}

boost::json::object good() {
  boost::json::object c{{"iss", "https://issuer.test"}, {"aud", "api"}, {"sub", "42"}, {"exp", kNow + 300},
                        {"iat", kNow - 10}, {"nbf", kNow - 10}};
  return c;
}

Failure check_with(std::initializer_list<std::pair<std::string_view, boost::json::value>> changes,
                   ClaimRequirements r = requirements()) {
  boost::json::object c = good();
  for (const auto& [k, v] : changes) {
    if (v.is_null()) c.erase(k);
    else c[k] = v;
  }
  return check_claims(c, r, kNow);
}

TEST(JwtClaimsTest, AGoodTokenPasses) { EXPECT_EQ(check_with({}), Failure::kNone); }

TEST(JwtClaimsTest, ExpiryHonoursTheLeeway) {
  EXPECT_EQ(check_with({{"exp", kNow - 59}}), Failure::kNone);
  EXPECT_EQ(check_with({{"exp", kNow - 60}}), Failure::kExpired);
  EXPECT_EQ(check_with({{"exp", kNow - 3600}}), Failure::kExpired);
  ClaimRequirements strict = requirements();
  strict.leeway = std::chrono::seconds(0);
  EXPECT_EQ(check_with({{"exp", kNow}}, strict), Failure::kExpired);
  EXPECT_EQ(check_with({{"exp", kNow + 1}}, strict), Failure::kNone);
  EXPECT_EQ(check_with({{"exp", nullptr}}), Failure::kMissingClaim);
  EXPECT_EQ(check_with({{"exp", "tomorrow"}}), Failure::kMalformed);
  EXPECT_EQ(check_with({{"exp", static_cast<double>(kNow + 10) + 0.5}}), Failure::kNone);
}

TEST(JwtClaimsTest, NotBeforeAndIssuedAtHonourTheLeeway) {
  EXPECT_EQ(check_with({{"nbf", kNow + 60}}), Failure::kNone);
  EXPECT_EQ(check_with({{"nbf", kNow + 61}}), Failure::kNotYetValid);
  EXPECT_EQ(check_with({{"iat", kNow + 60}}), Failure::kNone);
  EXPECT_EQ(check_with({{"iat", kNow + 61}}), Failure::kIssuedInFuture);
  EXPECT_EQ(check_with({{"nbf", nullptr}, {"iat", nullptr}}), Failure::kNone);
  EXPECT_EQ(check_with({{"nbf", "soon"}}), Failure::kMalformed);
}

TEST(JwtClaimsTest, IssuerIsExact) {
  EXPECT_EQ(check_with({{"iss", "https://issuer.test/"}}), Failure::kUnknownIssuer);
  EXPECT_EQ(check_with({{"iss", "HTTPS://issuer.test"}}), Failure::kUnknownIssuer);
  EXPECT_EQ(check_with({{"iss", nullptr}}), Failure::kUnknownIssuer);
}

TEST(JwtClaimsTest, AudienceIsAStringOrAnArrayContainingAnAcceptedOne) {
  EXPECT_EQ(check_with({{"aud", "other"}}), Failure::kNone);
  EXPECT_EQ(check_with({{"aud", "nope"}}), Failure::kBadAudience);
  EXPECT_EQ(check_with({{"aud", boost::json::array{"x", "api"}}}), Failure::kNone);
  EXPECT_EQ(check_with({{"aud", boost::json::array{"x", "y"}}}), Failure::kBadAudience);
  EXPECT_EQ(check_with({{"aud", boost::json::array{}}}), Failure::kBadAudience);
  EXPECT_EQ(check_with({{"aud", nullptr}}), Failure::kBadAudience);
  EXPECT_EQ(check_with({{"aud", 5}}), Failure::kBadAudience);
}

TEST(JwtClaimsTest, RequiredClaimsMustBePresent) {
  ClaimRequirements r = requirements();
  r.required = {"sub", "realm.role"};
  EXPECT_EQ(check_with({}, r), Failure::kMissingClaim);
  EXPECT_EQ(check_with({{"realm", boost::json::object{{"role", "admin"}}}}, r), Failure::kNone);
  EXPECT_EQ(check_with({{"realm", boost::json::object{{"role", nullptr}}}}, r), Failure::kMissingClaim);
  EXPECT_EQ(check_with({{"realm", boost::json::object{{"role", "x"}}}, {"sub", nullptr}}, r), Failure::kMissingClaim);
}

TEST(JwtClaimsTest, LifetimeIsBounded) {
  ClaimRequirements r = requirements();
  r.max_lifetime = std::chrono::seconds(600);
  EXPECT_EQ(check_with({{"iat", kNow}, {"exp", kNow + 600}}, r), Failure::kNone);
  EXPECT_EQ(check_with({{"iat", kNow}, {"exp", kNow + 601}}, r), Failure::kLifetimeTooLong);
  EXPECT_EQ(check_with({{"iat", nullptr}, {"exp", kNow + 3600}}, r), Failure::kLifetimeTooLong);
}

ClaimRule leaf(ClaimRule::Kind kind, std::string claim, std::vector<std::string> values) {
  ClaimRule r;
  r.kind = kind;
  r.claim = std::move(claim);
  r.values = std::move(values);
  return r;
}

ClaimRule group(ClaimRule::Kind kind, std::vector<ClaimRule> children) {
  ClaimRule r;
  r.kind = kind;
  r.children = std::move(children);
  return r;
}

TEST(JwtRulesTest, LeavesTestEqualityAndMembership) {
  const auto c = claims(R"({"role":"admin","roles":["a","b"],"scope":"read write:posts","n":5,
                            "realm":{"role":"ops"},"flag":true,"nul":null})");
  using K = ClaimRule::Kind;
  EXPECT_TRUE(leaf(K::kEquals, "role", {"admin"}).holds(c));
  EXPECT_FALSE(leaf(K::kEquals, "role", {"Admin"}).holds(c));
  EXPECT_FALSE(leaf(K::kEquals, "roles", {"a"}).holds(c));  // an array is not equal to a scalar
  EXPECT_TRUE(leaf(K::kEquals, "n", {"5"}).holds(c));
  EXPECT_TRUE(leaf(K::kEquals, "flag", {"true"}).holds(c));
  EXPECT_TRUE(leaf(K::kEquals, "realm.role", {"ops"}).holds(c));
  EXPECT_TRUE(leaf(K::kOneOf, "role", {"user", "admin"}).holds(c));
  EXPECT_FALSE(leaf(K::kOneOf, "role", {"user"}).holds(c));
  EXPECT_TRUE(leaf(K::kOneOf, "roles", {"x", "b"}).holds(c));
  EXPECT_TRUE(leaf(K::kContainsAll, "roles", {"a", "b"}).holds(c));
  EXPECT_FALSE(leaf(K::kContainsAll, "roles", {"a", "c"}).holds(c));
  EXPECT_TRUE(leaf(K::kContainsAll, "scope", {"write:posts"}).holds(c));
  EXPECT_FALSE(leaf(K::kContainsAll, "scope", {"write"}).holds(c));
  EXPECT_FALSE(leaf(K::kOneOf, "missing", {"x"}).holds(c));
  EXPECT_FALSE(leaf(K::kEquals, "nul", {"null"}).holds(c));
}

TEST(JwtRulesTest, GroupsCombineAnyOfAndAllOf) {
  const auto admin = claims(R"({"role":"admin","scope":"read"})");
  const auto writer = claims(R"({"role":"user","scope":"read write:posts"})");
  const auto reader = claims(R"({"role":"user","scope":"read"})");
  using K = ClaimRule::Kind;
  ClaimRule rule = group(K::kAnyOf, {group(K::kAllOf, {leaf(K::kOneOf, "role", {"admin"})}),
                                     group(K::kAllOf, {leaf(K::kEquals, "role", {"user"}),
                                                       leaf(K::kContainsAll, "scope", {"write:posts"})})});
  EXPECT_TRUE(rule.holds(admin));
  EXPECT_TRUE(rule.holds(writer));
  EXPECT_FALSE(rule.holds(reader));
  ClaimRule both = group(K::kAllOf, {leaf(K::kOneOf, "role", {"user"}), leaf(K::kContainsAll, "scope", {"read"})});
  EXPECT_TRUE(both.holds(reader));
  EXPECT_FALSE(both.holds(admin));
}

}  // namespace
}  // namespace gatehouse::policies::jwt
