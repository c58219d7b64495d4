// Unit tests for the sample API's identity (bearer tokens vs the gateway's
// claim headers), the user field rules and the users/refresh-token store.

#include "examples/api/identity.h"

#include <gtest/gtest.h>

#include "examples/api/api_settings.h"
#include "examples/api/auth/access_token.h"
#include "examples/api/migrations.h"
#include "examples/api/user_json.h"
#include "examples/api/user_store.h"

namespace gatehouse::api {
namespace {

auth::TokenSettings settings() { return auth::TokenSettings{"https://iss.test", "aud-test"}; }

auth::JwtSigner signer() { return *auth::JwtSigner::from_hs256_secret("identity-test-secret-0123456789abcdef"); }

http::ServerRequest request_with(std::initializer_list<std::pair<std::string, std::string>> headers,
                                 const char* peer = "127.0.0.1") {
  http::ServerRequest r;
  r.peer = boost::asio::ip::make_address(peer);
  for (const auto& [name, value] : headers) r.head.headers.add(name, value);
  return r;
}

std::string token_for(const auth::JwtSigner& s, std::int64_t user, std::string_view role,
                      const auth::TokenSettings& ts = settings()) {
  return *s.sign(auth::access_token_claims(user, role, ts, std::chrono::system_clock::now()));
}

TEST(ApiIdentityTest, BearerTokenIsTheIdentity) {
  auth::JwtSigner s = signer();
  Identity identity(s, auth::access_token_expectations(settings()), false);
  auto caller = identity.current_user(request_with({{"Authorization", "Bearer " + token_for(s, 7, "admin")}}));
  ASSERT_TRUE(caller);
  EXPECT_EQ(caller->user_id, 7);
  EXPECT_TRUE(caller->is_admin());
  caller = identity.current_user(request_with({{"Authorization", "bearer  " + token_for(s, 8, "user")}}));
  ASSERT_TRUE(caller);
  EXPECT_EQ(caller->user_id, 8);
  EXPECT_FALSE(caller->is_admin());
}

TEST(ApiIdentityTest, BadTokensAreNoIdentity) {
  auth::JwtSigner s = signer();
  Identity identity(s, auth::access_token_expectations(settings()), false);
  auth::TokenSettings other = settings();
  other.audience = "someone-else";
  for (const std::string& header :
       {std::string("Bearer"), std::string("Bearer "), std::string("Basic abc"), "Bearer " + token_for(s, 7, "user") + "x",
        "Bearer " + token_for(s, 7, "user", other), "Token " + token_for(s, 7, "user")}) {
    EXPECT_FALSE(identity.current_user(request_with({{"Authorization", header}}))) << header;
  }
  EXPECT_FALSE(identity.current_user(request_with({})));
}

TEST(ApiIdentityTest, GatewayHeadersOnlyWhenTrusted) {
  auth::JwtSigner s = signer();
  Identity strict(s, auth::access_token_expectations(settings()), false);
  Identity behind_gateway(s, auth::access_token_expectations(settings()), true, default_gateway_networks());
  http::ServerRequest r = request_with({{"X-User-Id", "5"}, {"X-User-Role", "admin"}});
  EXPECT_FALSE(strict.current_user(r));
  auto caller = behind_gateway.current_user(r);
  ASSERT_TRUE(caller);
  EXPECT_EQ(caller->user_id, 5);
  EXPECT_TRUE(caller->is_admin());
  EXPECT_FALSE(behind_gateway.current_user(request_with({{"X-User-Id", "abc"}})));
  EXPECT_FALSE(behind_gateway.current_user(request_with({{"X-User-Id", "0"}})));
  // Only from the gateway's networks (loopback by default).
  EXPECT_TRUE(behind_gateway.current_user(request_with({{"X-User-Id", "5"}}, "::1")));
  EXPECT_FALSE(behind_gateway.current_user(request_with({{"X-User-Id", "5"}}, "10.1.2.3")));
  Identity private_gateway(s, auth::access_token_expectations(settings()), true, {*Cidr::parse("10.0.0.0/8")});
  EXPECT_TRUE(private_gateway.current_user(request_with({{"X-User-Id", "5"}}, "10.1.2.3")));
  EXPECT_FALSE(private_gateway.current_user(request_with({{"X-User-Id", "5"}})));
  // Without the headers a bearer token still works behind the gateway.
  caller = behind_gateway.current_user(request_with({{"Authorization", "Bearer " + token_for(s, 9, "user")}}));
  ASSERT_TRUE(caller);
  EXPECT_EQ(caller->user_id, 9);
}

std::vector<std::string> fields_failing(void (*check)(std::string_view, std::vector<FieldError>&),
                                        std::string_view value) {
  std::vector<FieldError> errors;
  check(value, errors);
  std::vector<std::string> out;
  for (const FieldError& e : errors) out.push_back(e.field);
  return out;
}

TEST(ApiUserFieldsTest, Rules) {
  for (std::string_view ok : {"a@b.co", "first.last+tag@sub.example.org"}) {
    EXPECT_TRUE(fields_failing(check_email, ok).empty()) << ok;
  }
  for (std::string_view bad : {"", "plain", "@b.co", "a@", "a@b", "a@@b.co", "a b@c.de", "a@.co", "a@b.co.", "a@b..co"}) {
    EXPECT_EQ(fields_failing(check_email, bad), std::vector<std::string>{"email"}) << bad;
  }
  EXPECT_TRUE(fields_failing(check_username, "abc").empty());
  EXPECT_TRUE(fields_failing(check_username, std::string(30, 'x')).empty());
  for (std::string_view bad : {"ab", "a-b-c", "spa ce", "ünï"}) {
    EXPECT_FALSE(fields_failing(check_username, bad).empty()) << bad;
  }
  EXPECT_FALSE(fields_failing(check_username, std::string(31, 'x')).empty());
  EXPECT_TRUE(fields_failing(check_password, "12345678").empty());
  EXPECT_TRUE(fields_failing(check_password, std::string(128, 'p')).empty());
  EXPECT_FALSE(fields_failing(check_password, "1234567").empty());
  EXPECT_FALSE(fields_failing(check_password, std::string(129, 'p')).empty());
  EXPECT_FALSE(fields_failing(check_password, std::string("1234\0" "5678", 9)).empty());
}

TEST(ApiUserStoreTest, UsersAndRefreshTokens) {
  Database db(":memory:");
  migrate(db, schema_migrations());
  UserStore users(db);
  User alice = users.create("alice@example.com", "alice", "$2b$04$hash");
  EXPECT_GT(alice.id, 0);
  EXPECT_EQ(users.find_by_email("ALICE@example.com")->id, alice.id);  // case-insensitive
  try {
    users.create("Alice@Example.com", "alice2", "h");
    ADD_FAILURE() << "duplicate email accepted";
  } catch (const DatabaseError& e) {
    EXPECT_TRUE(e.is_constraint());
  }
  RefreshTokenStore tokens(db);
  std::int64_t first = tokens.insert(alice.id, std::string(64, 'a'), 1000);
  std::int64_t second = tokens.insert(alice.id, std::string(64, 'b'), 2000);
  EXPECT_TRUE(tokens.revoke(first, second));
  EXPECT_FALSE(tokens.revoke(first, std::nullopt));  // already revoked
  EXPECT_TRUE(tokens.find_by_hash(std::string(64, 'a'))->revoked_at);
  tokens.revoke_all_for_user(alice.id);
  EXPECT_TRUE(tokens.find_by_hash(std::string(64, 'b'))->revoked_at);
  EXPECT_FALSE(tokens.find_by_hash(std::string(64, 'c')));
  EXPECT_TRUE(users.remove(alice.id));
  EXPECT_FALSE(tokens.find_by_hash(std::string(64, 'b')));  // cascaded
  EXPECT_FALSE(users.find(alice.id));
}

}  // namespace
}  // namespace gatehouse::api
