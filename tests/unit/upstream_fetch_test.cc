// fetch_from_upstream against real sockets: a BufferedHttpServer as the
// upstream, a refused port, and a server that never answers.
#include "proxy/upstream/upstream_fetch.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "proxy/server/buffered_http_server.h"

namespace gatehouse {
namespace {

using boost::asio::ip::tcp;

class UpstreamFetchTest : public ::testing::Test {
 protected:
  // Starts the upstream; its handler counts requests and echoes the target.
  void start_upstream() {
    upstream_ = std::make_unique<http::BufferedHttpServer>(io_, [this](http::ServerRequest& request,
                                                                      http::Respond respond) {
      ++requests_;
      http::ServerResponse response;
      response.headers.add("X-Target", request.head.target);
      const std::string* probe = request.head.headers.find("x-probe");
      if (probe != nullptr) response.headers.add("X-Probe", *probe);
      response.body = request.head.target == "/big" ? std::string(5000, 'b') : "hello";
      respond(std::move(response));
    });
    std::string error;
    ASSERT_TRUE(upstream_->listen(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0), error)) << error;
    add_target(upstream_->local_endpoint());
  }

  void add_target(const tcp::endpoint& endpoint) {
    config::UpstreamTarget target;
    target.text = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
    target.endpoint = endpoint;
    target.host = endpoint.address().to_string();
    config_.targets.push_back(target);
  }

  // Runs one fetch to completion; false when `done` never ran.
  bool fetch(http::FetchRequest request, http::FetchResult& result) {
    if (!pool_) pool_ = std::make_unique<UpstreamPool>(io_.get_executor(), config_);
    bool ran = false;
    fetch_from_upstream(*pool_, nullptr, std::move(request), [&](http::FetchResult r) {
      ran = true;
      result = std::move(r);
    });
    io_.restart();
    while (!ran && io_.run_one_for(std::chrono::seconds(5)) > 0) {
    }
    return ran;
  }

  static http::FetchRequest get(std::string target) {
    http::FetchRequest request;
    request.target = std::move(target);
    request.headers.add("Host", "example.test");
    return request;
  }

  boost::asio::io_context io_;
  config::UpstreamConfig config_;
  std::unique_ptr<http::BufferedHttpServer> upstream_;
  std::unique_ptr<UpstreamPool> pool_;
  int requests_ = 0;
};

TEST_F(UpstreamFetchTest, ReadsTheWholeResponseAndReusesTheConnection) {
  start_upstream();
  http::FetchRequest request = get("/items?page=2");
  request.headers.add("X-Probe", "42");
  http::FetchResult result;
  ASSERT_TRUE(fetch(std::move(request), result));
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "hello");
  ASSERT_NE(result.headers.find("x-target"), nullptr);
  EXPECT_EQ(*result.headers.find("x-target"), "/items?page=2");
  ASSERT_NE(result.headers.find("x-probe"), nullptr);
  EXPECT_EQ(*result.headers.find("x-probe"), "42");

  // The connection went back to the pool: the next fetch takes it.
  std::unique_ptr<UpstreamConnection> pooled = pool_->acquire(0, /*retryable=*/true);
  ASSERT_TRUE(pooled);
  EXPECT_TRUE(pooled->socket().is_open());
  EXPECT_EQ(pooled->requests_served(), 1U);
  pool_->release(std::move(pooled));
  ASSERT_TRUE(fetch(get("/second"), result));
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(requests_, 2);

  // Idle for a second or more, the connection is handed only to a request
  // that could be resent; another gets a new (unconnected) one.
  pooled = pool_->acquire(0, /*retryable=*/false);
  ASSERT_TRUE(pooled);
  EXPECT_TRUE(pooled->socket().is_open());  // idle for a moment only
  pool_->release(std::move(pooled));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  std::unique_ptr<UpstreamConnection> fresh = pool_->acquire(0, /*retryable=*/false);
  ASSERT_TRUE(fresh);
  EXPECT_FALSE(fresh->socket().is_open());
  pooled = pool_->acquire(0, /*retryable=*/true);
  ASSERT_TRUE(pooled);
  EXPECT_TRUE(pooled->socket().is_open());
  EXPECT_EQ(pooled->requests_served(), 2U);
}

TEST_F(UpstreamFetchTest, HeadHasNoBody) {
  start_upstream();
  http::FetchRequest request = get("/head");
  request.method = http::Method::kHead;
  http::FetchResult result;
  ASSERT_TRUE(fetch(std::move(request), result));
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.status, 200);
  EXPECT_TRUE(result.body.empty());
}

TEST_F(UpstreamFetchTest, ABodyOverTheLimitFails) {
  start_upstream();
  http::FetchRequest request = get("/big");
  request.max_body = 4096;
  http::FetchResult result;
  ASSERT_TRUE(fetch(std::move(request), result));
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("larger"), std::string::npos) << result.error;
}

TEST_F(UpstreamFetchTest, ARefusedTargetIsSkippedForTheNextOne) {
  // A port that is bound but not listening refuses connections.
  tcp::socket holder(io_);
  holder.open(tcp::v4());
  holder.bind(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  add_target(holder.local_endpoint());
  start_upstream();
  http::FetchResult result;
  ASSERT_TRUE(fetch(get("/after-refusal"), result));
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.body, "hello");
  EXPECT_EQ(requests_, 1);
}

TEST_F(UpstreamFetchTest, NoReachableTargetFails) {
  tcp::socket holder(io_);
  holder.open(tcp::v4());
  holder.bind(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  add_target(holder.local_endpoint());
  http::FetchResult result;
  ASSERT_TRUE(fetch(get("/"), result));
  EXPECT_FALSE(result.ok);
  EXPECT_FALSE(result.error.empty());
}

TEST_F(UpstreamFetchTest, AnUpstreamThatNeverAnswersTimesOut) {
  // Accepts connections (the kernel's backlog) but never reads or writes.
  tcp::acceptor silent(io_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  add_target(silent.local_endpoint());
  config_.timeout = std::chrono::milliseconds(100);
  http::FetchResult result;
  ASSERT_TRUE(fetch(get("/slow"), result));
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("in time"), std::string::npos) << result.error;
}

}  // namespace
}  // namespace gatehouse
