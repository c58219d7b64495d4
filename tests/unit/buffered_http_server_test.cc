#include "proxy/server/buffered_http_server.h"

#include <gtest/gtest.h>

#include <thread>

#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace gatehouse::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// A server on 127.0.0.1 (kernel-chosen port) run by a background thread,
// and a blocking client socket that speaks raw bytes to it.
class BufferedHttpServerTest : public ::testing::Test {
 protected:
  void start(RequestHandler handler, BufferedServerOptions options = {}) {
    server_ = std::make_unique<BufferedHttpServer>(io_, std::move(handler), options);
    std::string error;
    ASSERT_TRUE(server_->listen(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), error)) << error;
    port_ = server_->local_endpoint().port();
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    asio::post(io_, [this] { server_->stop(); });
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  // Sends `bytes`, then reads until `until` has arrived, or until the peer
  // closes when `until` is empty.
  std::string exchange(const std::string& bytes, std::string_view until = {}) {
    asio::io_context client_io;
    tcp::socket s(client_io);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    asio::write(s, asio::buffer(bytes));
    std::string got;
    char buf[4096];
    boost::system::error_code ec;
    while (true) {
      std::size_t n = s.read_some(asio::buffer(buf), ec);
      if (ec) break;
      got.append(buf, n);
      if (!until.empty() && got.find(until) != std::string::npos) break;
    }
    return got;
  }

  asio::io_context io_;
  std::unique_ptr<BufferedHttpServer> server_;
  std::thread thread_;
  unsigned short port_ = 0;
};

ServerResponse text(std::string body) {
  ServerResponse r;
  r.headers.add("Content-Type", "text/plain");
  r.body = std::move(body);
  return r;
}

TEST_F(BufferedHttpServerTest, HandlerSeesTheWholeBodyAndAnswersWithLength) {
  start([](ServerRequest& req, Respond respond) {
    respond(text(std::string(req.head.method) + " " + std::string(req.head.path()) + " " + req.body));
  });
  std::string got = exchange("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
                             "POST /echo abcde");
  EXPECT_NE(got.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << got;
  EXPECT_NE(got.find("Content-Length: 16\r\n"), std::string::npos) << got;
}

TEST_F(BufferedHttpServerTest, PipelinedRequestsAreAnsweredInOrderEvenWhenTheFirstIsSlow) {
  start([this](ServerRequest& req, Respond respond) {
    std::string path(req.head.path());
    if (path == "/slow") {
      auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
      timer->async_wait([timer, respond](const boost::system::error_code&) { respond(text("slow")); });
      return;
    }
    respond(text(path));
  });
  std::string got = exchange("GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n", "/fast");
  std::size_t slow = got.find("slow");
  std::size_t fast = got.find("/fast");
  ASSERT_NE(slow, std::string::npos) << got;
  ASSERT_NE(fast, std::string::npos) << got;
  EXPECT_LT(slow, fast);
}

TEST_F(BufferedHttpServerTest, BodyOverTheLimitIs413AndCloses) {
  BufferedServerOptions options;
  options.max_body_size = 4;
  bool called = false;
  start([&called](ServerRequest&, Respond respond) {
    called = true;
    respond(text("no"));
  }, options);
  std::string got = exchange("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789");
  EXPECT_NE(got.find("HTTP/1.1 413 "), std::string::npos) << got;
  EXPECT_NE(got.find("Connection: close"), std::string::npos) << got;
  EXPECT_FALSE(called);
}

TEST_F(BufferedHttpServerTest, MalformedRequestIs400WithJsonAndCloses) {
  start([](ServerRequest&, Respond respond) { respond(text("no")); });
  std::string got = exchange("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab");
  EXPECT_NE(got.find("HTTP/1.1 400 "), std::string::npos) << got;
  EXPECT_NE(got.find("\"code\":\"bad_request\""), std::string::npos) << got;
}

TEST_F(BufferedHttpServerTest, UpgradeHandsTheSocketAndTheRestOver) {
  std::string handed_rest;
  start([&handed_rest](ServerRequest&, Respond respond) {
    ServerResponse r;
    r.upgrade = [&handed_rest](tcp::socket socket, std::string rest) {
      handed_rest = rest;
      asio::write(socket, asio::buffer(std::string("taken over")));
    };
    respond(std::move(r));
  });
  std::string got = exchange("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\nhello", "taken over");
  EXPECT_EQ(got, "taken over");
}

}  // namespace
}  // namespace gatehouse::http
