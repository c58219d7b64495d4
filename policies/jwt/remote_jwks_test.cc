// Remote JWKS caching, refresh, unknown-kid refetch limits and keeping the
// last good keys, with the HTTP GET replaced by a scripted one on a test
// io_context (no sockets). The real GET is covered by the integration tests.

#include <chrono>
#include <deque>
#include <thread>

#include <gtest/gtest.h>

#include "policies/jwt/jwt_test_support.h"
#include "policies/jwt/remote_jwks.h"

namespace gatehouse::policies::jwt {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(JwksCacheTtlTest, MaxAgeIsClampedToTheBounds) {
  const milliseconds min = seconds(60);
  const milliseconds max = seconds(3600);
  EXPECT_EQ(jwks_cache_ttl("max-age=600", min, max), seconds(600));
  EXPECT_EQ(jwks_cache_ttl("public, max-age=10", min, max), seconds(60));
  EXPECT_EQ(jwks_cache_ttl("max-age=86400, must-revalidate", min, max), seconds(3600));
  EXPECT_EQ(jwks_cache_ttl("no-store", min, max), seconds(60));
  EXPECT_EQ(jwks_cache_ttl("", min, max), seconds(300));
  EXPECT_EQ(jwks_cache_ttl("max-age=abc", min, max), seconds(300));
  EXPECT_EQ(jwks_cache_ttl("max-age=99999999999999999999999", min, max), seconds(3600));
}

TEST(JwksUriTest, HttpsOrLoopbackHttpOnly) {
  std::string error;
  std::optional<JwksUri> u = parse_jwks_uri("https://idp.test/.well-known/jwks.json", error);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/.well-known/jwks.json");
  u = parse_jwks_uri("https://[::1]:8443", error);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->target, "/");
  EXPECT_TRUE(parse_jwks_uri("http://127.0.0.1:3000/.well-known/jwks.json", error));
  EXPECT_TRUE(parse_jwks_uri("http://localhost/jwks", error));
  EXPECT_FALSE(parse_jwks_uri("http://10.0.0.1/jwks", error));
  EXPECT_FALSE(parse_jwks_uri("ftp://idp.test/jwks", error));
  EXPECT_FALSE(parse_jwks_uri("https://user:pw@idp.test/jwks", error));
  EXPECT_FALSE(parse_jwks_uri("https://idp.test:0/jwks", error));
  EXPECT_FALSE(parse_jwks_uri("https://:443/jwks", error));
}

// A key server played by the test: each GET takes the next scripted answer.
class RemoteJwksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = testing::make_key(Algorithm::kES256);
    settings_.refetch_interval = milliseconds(200);
    settings_.min_cache_ttl = seconds(1);
    settings_.max_cache_ttl = seconds(60);
    jwks_ = std::make_shared<RemoteJwks>(
        io_, settings_,
        [this](std::function<void(JwksHttpResult)> done) {
          ++gets_;
          JwksHttpResult r;
          if (!answers_.empty()) {
            r = answers_.front();
            answers_.pop_front();
          } else {
            r.error = "connection refused";
          }
          done(r);
        },
        FetchCounters{});
  }

  JwksHttpResult answer(const std::string& kid, const std::string& cache_control = "max-age=30") {
    boost::json::object jwk = testing::public_jwk(key_);
    jwk["kid"] = kid;
    JwksHttpResult r;
    r.ok = true;
    r.status = 200;
    r.cache_control = cache_control;
    r.body = boost::json::serialize(boost::json::object{{"keys", boost::json::array{jwk}}});
    return r;
  }

  // Runs the io_context until nothing is ready (timers further away stay).
  void drain() {
    io_.restart();
    io_.poll();
  }

  std::string kid() {
    auto keys = jwks_->keys();
    return keys && !keys->empty() ? keys->front().kid : "";
  }

  boost::asio::io_context io_;
  RemoteJwksSettings settings_;
  testing::TestKey key_;
  std::deque<JwksHttpResult> answers_;
  int gets_ = 0;
  std::shared_ptr<RemoteJwks> jwks_;
};

TEST_F(RemoteJwksTest, TheFirstFetchLoadsTheKeysAndWakesWaiters) {
  answers_.push_back(answer("k1"));
  jwks_->start();
  EXPECT_EQ(jwks_->keys(), nullptr);
  int woken = 0;
  EXPECT_TRUE(jwks_->fetch([&] { ++woken; }));  // joins the fetch in flight
  EXPECT_TRUE(jwks_->fetch([&] { ++woken; }));
  drain();
  EXPECT_EQ(gets_, 1);
  EXPECT_EQ(woken, 2);
  EXPECT_EQ(kid(), "k1");
}

TEST_F(RemoteJwksTest, UnknownKidRefetchesAreRateLimited) {
  answers_.push_back(answer("k1"));
  jwks_->start();
  drain();
  ASSERT_EQ(gets_, 1);
  // A flood of unknown kids right after a fetch: no new GET.
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(jwks_->fetch([] {}));
  drain();
  EXPECT_EQ(gets_, 1);
  // After the interval one may go, and the others join or are refused.
  std::this_thread::sleep_for(settings_.refetch_interval + milliseconds(20));
  answers_.push_back(answer("k2"));
  int woken = 0;
  EXPECT_TRUE(jwks_->fetch([&] { ++woken; }));
  EXPECT_TRUE(jwks_->fetch([&] { ++woken; }));
  drain();
  EXPECT_EQ(gets_, 2);
  EXPECT_EQ(woken, 2);
  EXPECT_EQ(kid(), "k2");  // the rotation is picked up
  EXPECT_FALSE(jwks_->fetch([] {}));
}

TEST_F(RemoteJwksTest, TheLastGoodKeysAreKeptWhenTheServerFails) {
  answers_.push_back(answer("k1"));
  jwks_->start();
  drain();
  ASSERT_EQ(kid(), "k1");
  std::this_thread::sleep_for(settings_.refetch_interval + milliseconds(20));
  JwksHttpResult down;
  down.error = "connection refused";
  JwksHttpResult bad = answer("x");
  bad.body = "<html>oops</html>";
  JwksHttpResult empty = answer("x");
  empty.body = "{\"keys\":[]}";
  JwksHttpResult status = answer("x");
  status.ok = false;
  status.status = 500;
  for (const JwksHttpResult& r : {down, bad, empty, status}) {
    answers_.push_back(r);
    EXPECT_TRUE(jwks_->fetch([] {}));
    drain();
    EXPECT_EQ(kid(), "k1");
    std::this_thread::sleep_for(settings_.refetch_interval + milliseconds(20));
  }
}

TEST_F(RemoteJwksTest, AFailedFirstFetchIsRetriedInTheBackground) {
  jwks_->start();  // no answer scripted: fails
  drain();
  EXPECT_EQ(jwks_->keys(), nullptr);
  answers_.push_back(answer("k1"));
  io_.restart();
  io_.run_for(milliseconds(400));  // the retry timer fires
  EXPECT_EQ(kid(), "k1");
}

TEST_F(RemoteJwksTest, KeysAreRefreshedBeforeTheyExpire) {
  answers_.push_back(answer("k1", "max-age=1"));  // min_cache_ttl is 1s: refresh at 800ms
  jwks_->start();
  drain();
  answers_.push_back(answer("k2", "max-age=1"));
  io_.restart();
  io_.run_for(milliseconds(1200));
  EXPECT_EQ(kid(), "k2");
  EXPECT_GE(gets_, 2);
}

}  // namespace
}  // namespace gatehouse::policies::jwt
