// Building counter keys from requests, including verified JWT claims, and
// what a missing part leads to.

#include <memory>
#include <string>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "policies/rate_limit/rate_limit_key.h"
#include "proxy/policy/verified_claims.h"
#include "tests/unit/fake_request_context.h"

namespace gatehouse::policies::rate_limit {
namespace {

using testing_support::FakeRequestContext;

KeySpec spec(std::vector<KeyPart> parts, OnMissingKey on_missing = OnMissingKey::kShared) {
  return KeySpec{std::move(parts), on_missing};
}

void publish_claims(FakeRequestContext& ctx, const std::string& json) {
  ctx.set_data(&policy::kVerifiedClaimsKey,
               std::make_unique<policy::VerifiedClaims>(boost::json::parse(json).as_object()));
}

const KeyPart kIp{KeyPart::Kind::kClientIp, {}};
const KeyPart kApiKey{KeyPart::Kind::kHeader, "X-Api-Key"};

TEST(RateLimitKeyTest, PartsAreLengthPrefixedSoNoValueForgesAnother) {
  FakeRequestContext ctx;
  ctx.set_client_address("203.0.113.9");
  ctx.request().headers.add("x-api-key", "k1");
  KeyResult r = build_key(spec({kIp, kApiKey}), ctx);
  EXPECT_EQ(r.kind, KeyResult::Kind::kLimit);
  EXPECT_EQ(r.key, "11:203.0.113.92:k1");
  EXPECT_EQ(build_key(spec({KeyPart{KeyPart::Kind::kRoute, {}}}), ctx).key, "10:test-route");
}

TEST(RateLimitKeyTest, AMissingPartIsDeniedAllowedOrShared) {
  FakeRequestContext ctx;
  KeyResult denied = build_key(spec({kIp, kApiKey}, OnMissingKey::kDeny), ctx);
  EXPECT_EQ(denied.kind, KeyResult::Kind::kDeny);
  EXPECT_EQ(denied.missing, "header:X-Api-Key");
  EXPECT_EQ(build_key(spec({kIp, kApiKey}, OnMissingKey::kAllow), ctx).kind, KeyResult::Kind::kAllow);
  KeyResult shared = build_key(spec({kIp, kApiKey}, OnMissingKey::kShared), ctx);
  EXPECT_EQ(shared.kind, KeyResult::Kind::kLimit);
  EXPECT_EQ(shared.key, "9:192.0.2.1-");
  // An empty value identifies nobody: missing too. And a value "-" is not the marker.
  ctx.request().headers.add("X-Api-Key", "");
  EXPECT_EQ(build_key(spec({kIp, kApiKey}), ctx).key, "9:192.0.2.1-");
  ctx.request().headers.set("X-Api-Key", "-");
  EXPECT_EQ(build_key(spec({kIp, kApiKey}), ctx).key, "9:192.0.2.11:-");
}

TEST(RateLimitKeyTest, ClaimsComeFromTheVerifiedClaimsOfTheRequest) {
  FakeRequestContext ctx;
  const KeySpec by_sub = spec({KeyPart{KeyPart::Kind::kClaim, "sub"}}, OnMissingKey::kDeny);
  EXPECT_EQ(build_key(by_sub, ctx).kind, KeyResult::Kind::kDeny);  // nothing verified
  publish_claims(ctx, R"({"sub":"alice","realm":{"role":"admin","level":3},"roles":["a","b"],"n":42,
                         "ok":true,"https://x.test/tenant":"t1","none":null})");
  EXPECT_EQ(build_key(by_sub, ctx).key, "5:alice");
  EXPECT_EQ(build_key(spec({KeyPart{KeyPart::Kind::kClaim, "realm.role"}}), ctx).key, "5:admin");
  EXPECT_EQ(build_key(spec({KeyPart{KeyPart::Kind::kClaim, "realm.level"}}), ctx).key, "1:3");
  EXPECT_EQ(build_key(spec({KeyPart{KeyPart::Kind::kClaim, "roles"}}), ctx).key, "3:a,b");
  EXPECT_EQ(build_key(spec({KeyPart{KeyPart::Kind::kClaim, "https://x.test/tenant"}}), ctx).key, "2:t1");
  EXPECT_EQ(build_key(spec({KeyPart{KeyPart::Kind::kClaim, "none"}}, OnMissingKey::kDeny), ctx).kind,
            KeyResult::Kind::kDeny);
  EXPECT_EQ(build_key(spec({KeyPart{KeyPart::Kind::kClaim, "realm.nope"}}, OnMissingKey::kAllow), ctx).kind,
            KeyResult::Kind::kAllow);
}

TEST(RateLimitKeyTest, ClaimTextRendersEveryJsonKind) {
  boost::json::object claims = boost::json::parse(
      R"({"s":"x","i":-3,"u":18446744073709551615,"d":1.5,"t":true,"f":false,"a":[1,"two",null,[3]],"o":{"k":"v"}})")
      .as_object();
  EXPECT_EQ(policy::claim_text(claims, "s"), "x");
  EXPECT_EQ(policy::claim_text(claims, "i"), "-3");
  EXPECT_EQ(policy::claim_text(claims, "u"), "18446744073709551615");
  EXPECT_EQ(policy::claim_text(claims, "d"), "1.5E0");
  EXPECT_EQ(policy::claim_text(claims, "t"), "true");
  EXPECT_EQ(policy::claim_text(claims, "f"), "false");
  EXPECT_EQ(policy::claim_text(claims, "a"), "1,two,3");
  EXPECT_EQ(policy::claim_text(claims, "o"), R"({"k":"v"})");
  EXPECT_EQ(policy::claim_text(claims, "o.k"), "v");
  EXPECT_EQ(policy::claim_text(claims, "s.k"), std::nullopt);
  EXPECT_EQ(policy::claim_text(claims, "missing"), std::nullopt);
}

}  // namespace
}  // namespace gatehouse::policies::rate_limit
