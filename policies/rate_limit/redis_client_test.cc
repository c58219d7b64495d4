// The Redis client against a scripted RESP server on the same io_context:
// scripts are SCRIPT LOADed then run with EVALSHA, NOSCRIPT falls back to
// EVAL, AUTH goes first, calls time out, refused connections fail fast, and
// the client reconnects. Then against a real TLS-only redis-server (skipped
// when none is installed): EVAL over TLS, a server the CA does not vouch
// for, AUTH, and client certificates. Also the scripts' ARGV and replies.

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "policies/rate_limit/redis_client.h"
#include "policies/rate_limit/redis_scripts.h"
#include "policies/rate_limit/redis_store.h"
#include "proxy/tls/client_context.h"
#include "tests/unit/test_pki.h"

extern char** environ;

namespace gatehouse::policies::rate_limit {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using std::chrono::milliseconds;

// Answers commands as a test tells it to; records every command.
class FakeRedis {
 public:
  enum class Mode { kAnswer, kSilent, kNoScriptOnce };

  explicit FakeRedis(asio::io_context& io) : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    accept();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void close_all() {
    for (auto& s : sockets_) s->close();
    sockets_.clear();
  }

  Mode mode = Mode::kAnswer;
  std::vector<std::vector<std::string>> commands;
  int accepted = 0;

 private:
  struct Session {
    std::shared_ptr<tcp::socket> socket;
    std::string buffer;
    std::array<char, 4096> chunk{};
  };

  void accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
      if (ec) return;
      ++accepted;
      auto session = std::make_shared<Session>();
      session->socket = std::make_shared<tcp::socket>(std::move(socket));
      sockets_.push_back(session->socket);
      read(session);
      accept();
    });
  }

  void read(const std::shared_ptr<Session>& s) {
    s->socket->async_read_some(asio::buffer(s->chunk), [this, s](const boost::system::error_code& ec, std::size_t n) {
      if (ec) return;
      s->buffer.append(s->chunk.data(), n);
      std::string out;
      while (std::optional<std::vector<std::string>> cmd = parse(s->buffer)) {
        commands.push_back(*cmd);
        out += answer(*cmd);
      }
      if (!out.empty()) asio::write(*s->socket, asio::buffer(out));
      read(s);
    });
  }

  // One complete RESP array of bulk strings off the front of `buf`.
  static std::optional<std::vector<std::string>> parse(std::string& buf) {
    std::size_t pos = 0;
    auto line = [&]() -> std::optional<std::string> {
      std::size_t end = buf.find("\r\n", pos);
      if (end == std::string::npos) return std::nullopt;
      std::string l = buf.substr(pos, end - pos);
      pos = end + 2;
      return l;
    };
    std::optional<std::string> head = line();
    if (!head || head->empty() || (*head)[0] != '*') return std::nullopt;
    std::vector<std::string> args;
    for (int i = 0, n = std::stoi(head->substr(1)); i < n; ++i) {
      std::optional<std::string> len = line();
      if (!len) return std::nullopt;
      std::size_t size = std::stoul(len->substr(1));
      if (buf.size() < pos + size + 2) return std::nullopt;
      args.push_back(buf.substr(pos, size));
      pos += size + 2;
    }
    buf.erase(0, pos);
    return args;
  }

  std::string answer(const std::vector<std::string>& cmd) {
    if (cmd[0] == "AUTH") return "+OK\r\n";
    if (cmd[0] == "SCRIPT") return "$40\r\n0000000000000000000000000000000000000000\r\n";
    if (mode == Mode::kSilent) return "";
    if (cmd[0] == "EVALSHA" && mode == Mode::kNoScriptOnce) {
      mode = Mode::kAnswer;
      return "-NOSCRIPT No matching script. Please use EVAL.\r\n";
    }
    return "*3\r\n:1\r\n:" + std::to_string(commands.size()) + "\r\n:-5\r\n";
  }

  tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<tcp::socket>> sockets_;
};

class RedisClientTest : public ::testing::Test {
 protected:
  RedisEndpoint endpoint(std::uint16_t port) {
    RedisEndpoint e;
    e.port = port;
    e.timeout = milliseconds(200);
    e.pool_size = 1;
    return e;
  }

  // Runs the loop until `done` or 2s.
  template <typename Pred>
  void run_until(Pred done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io.restart();  // run_for() stops the loop when it runs out of work
      io.run_for(milliseconds(5));
    }
  }

  std::optional<RedisResult> eval(RedisClient& client) {
    std::optional<RedisResult> result;
    client.eval(script, {"k"}, {"1", "2"}, [&](RedisResult r) { result = std::move(r); });
    run_until([&] { return result.has_value(); });
    return result;
  }

  asio::io_context io;
  RedisScript script{"return {1}"};
};

TEST_F(RedisClientTest, ScriptsAreLoadedThenRunWithEvalshaPipelined) {
  FakeRedis server(io);
  RedisEndpoint e = endpoint(server.port());
  e.password = "pw";
  e.username = "gh";
  auto client = std::make_shared<RedisClient>(io.get_executor(), e);
  std::vector<RedisResult> results;
  for (int i = 0; i < 3; ++i) {
    client->eval(script, {"key"}, {"a"}, [&](RedisResult r) { results.push_back(std::move(r)); });
  }
  run_until([&] { return results.size() == 3; });
  ASSERT_EQ(results.size(), 3u);
  for (const RedisResult& r : results) {
    EXPECT_EQ(r.status, RedisResult::Status::kOk) << r.error;
    ASSERT_EQ(r.integers.size(), 3u);
    EXPECT_EQ(r.integers[0], 1);
    EXPECT_EQ(r.integers[2], -5);
  }
  ASSERT_EQ(server.commands.size(), 5u);
  EXPECT_EQ(server.commands[0], (std::vector<std::string>{"AUTH", "gh", "pw"}));
  EXPECT_EQ(server.commands[1], (std::vector<std::string>{"SCRIPT", "LOAD", "return {1}"}));
  EXPECT_EQ(server.commands[2], (std::vector<std::string>{"EVALSHA", script.sha1(), "1", "key", "a"}));
  EXPECT_EQ(server.commands[4][0], "EVALSHA");  // loaded once per connection
  EXPECT_EQ(server.accepted, 1);
  EXPECT_EQ(script.sha1(), "9c8545b8579e405965831fc6d1e3d0b3ac248d51");
}

TEST_F(RedisClientTest, NoscriptFallsBackToEval) {
  FakeRedis server(io);
  server.mode = FakeRedis::Mode::kNoScriptOnce;
  RedisClient client(io.get_executor(), endpoint(server.port()));
  std::optional<RedisResult> r = eval(client);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RedisResult::Status::kOk) << r->error;
  ASSERT_EQ(server.commands.size(), 3u);
  EXPECT_EQ(server.commands[1][0], "EVALSHA");
  EXPECT_EQ(server.commands[2], (std::vector<std::string>{"EVAL", "return {1}", "1", "k", "1", "2"}));
}

TEST_F(RedisClientTest, ACallWithoutAnswerTimesOutAndTheConnectionIsReplaced) {
  FakeRedis server(io);
  server.mode = FakeRedis::Mode::kSilent;
  RedisEndpoint e = endpoint(server.port());
  e.timeout = milliseconds(30);
  RedisClient client(io.get_executor(), e);
  const auto start = std::chrono::steady_clock::now();
  std::optional<RedisResult> r = eval(client);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RedisResult::Status::kTimeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(30));
  // Dropped; the first call after the first backoff step (50ms) reconnects.
  EXPECT_EQ(client.live_connections(), 0u);
  server.mode = FakeRedis::Mode::kAnswer;
  std::this_thread::sleep_for(milliseconds(80));  // the first backoff step
  r = eval(client);
  EXPECT_EQ(server.accepted, 2);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RedisResult::Status::kOk) << r->error;
}

TEST_F(RedisClientTest, ARefusedConnectionFailsCallsAtOnceAndReconnects) {
  std::uint16_t port = 0;
  {
    tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }
  RedisClient client(io.get_executor(), endpoint(port));
  std::optional<RedisResult> r = eval(client);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RedisResult::Status::kUnavailable);
  run_until([&] { return client.live_connections() == 0; });
  const auto start = std::chrono::steady_clock::now();
  r = eval(client);  // backing off: no waiting
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RedisResult::Status::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(100));
}

TEST_F(RedisClientTest, AServerClosingTheConnectionFailsPendingCallsAndTheClientReconnects) {
  FakeRedis server(io);
  server.mode = FakeRedis::Mode::kSilent;
  RedisClient client(io.get_executor(), endpoint(server.port()));
  std::optional<RedisResult> r;
  client.eval(script, {"k"}, {}, [&](RedisResult x) { r = std::move(x); });
  run_until([&] { return server.commands.size() >= 2; });
  server.close_all();
  run_until([&] { return r.has_value(); });
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RedisResult::Status::kUnavailable);
  server.mode = FakeRedis::Mode::kAnswer;
  std::this_thread::sleep_for(milliseconds(80));  // the first backoff step
  r = eval(client);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RedisResult::Status::kOk) << r->error;
  EXPECT_EQ(server.accepted, 2);
}

TEST_F(RedisClientTest, IdleConnectionsCloseSoTheLoopRunsOutOfWork) {
  FakeRedis server(io);
  RedisEndpoint e = endpoint(server.port());
  e.idle_close = milliseconds(50);
  RedisClient client(io.get_executor(), e);
  std::optional<RedisResult> r = eval(client);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RedisResult::Status::kOk);
  EXPECT_EQ(client.live_connections(), 1u);
  run_until([&] { return client.live_connections() == 0; });
  EXPECT_EQ(client.live_connections(), 0u);
  r = eval(client);  // reopened on demand, without backoff
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RedisResult::Status::kOk) << r->error;
  EXPECT_EQ(server.accepted, 2);
}

TEST_F(RedisClientTest, ClientsArePerIoContextAndEndpoint) {
  asio::io_context other;
  RedisEndpoint e = endpoint(1);
  auto a = RedisClient::for_executor(io.get_executor(), e);
  EXPECT_EQ(a, RedisClient::for_executor(io.get_executor(), e));
  EXPECT_NE(a, RedisClient::for_executor(other.get_executor(), e));
  e.password = "x";
  EXPECT_NE(a, RedisClient::for_executor(io.get_executor(), e));
}

// A real redis-server listening on TLS only, with certificates from `pki`;
// stopped with the object.
class TlsRedisServer {
 public:
  TlsRedisServer(const testing_support::TestPki& pki, const std::pair<std::string, std::string>& cert,
                 std::vector<std::string> extra) {
    {
      asio::io_context io;
      tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
      port_ = probe.local_endpoint().port();
    }
    std::vector<std::string> args{"redis-server", "--port", "0", "--tls-port", std::to_string(port_), "--bind",
                                  "127.0.0.1", "--tls-cert-file", cert.first, "--tls-key-file", cert.second,
                                  "--tls-ca-cert-file", pki.ca(), "--save", "", "--appendonly", "no",
                                  "--logfile", pki.path("redis-" + std::to_string(port_) + ".log")};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawnp(&pid_, "redis-server", nullptr, nullptr, argv.data(), environ) != 0) pid_ = 0;
    // Up once it accepts TCP connections.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (pid_ != 0 && std::chrono::steady_clock::now() < deadline) {
      asio::io_context io;
      tcp::socket probe(io);
      boost::system::error_code ec;
      probe.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
      if (!ec) {
        up_ = true;
        break;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
  }
  ~TlsRedisServer() {
    if (pid_ == 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  TlsRedisServer(const TlsRedisServer&) = delete;
  TlsRedisServer& operator=(const TlsRedisServer&) = delete;

  bool up() const noexcept { return up_; }
  std::uint16_t port() const noexcept { return port_; }

 private:
  pid_t pid_ = 0;
  std::uint16_t port_ = 0;
  bool up_ = false;
};

class RedisClientTlsTest : public RedisClientTest {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists("/usr/bin/redis-server") && std::system("command -v redis-server >/dev/null") != 0) {
      GTEST_SKIP() << "redis-server is not installed";
    }
    server_cert = pki.issue("redis", "redis.test", "IP:127.0.0.1,DNS:redis.test");
    ASSERT_TRUE(pki.ok()) << "openssl failed";
  }

  std::shared_ptr<const tls::ClientTlsContext> context(const std::string& ca_file, const std::string& cert = "",
                                                       const std::string& key = "") {
    tls::ClientTlsSettings s;
    s.ca_file = ca_file;
    s.cert_file = cert;
    s.key_file = key;
    s.alpn = "";
    std::string error;
    std::shared_ptr<const tls::ClientTlsContext> out = tls::ClientTlsContext::create(s, error);
    EXPECT_NE(out, nullptr) << error;
    return out;
  }

  RedisEndpoint tls_endpoint(const TlsRedisServer& server, std::shared_ptr<const tls::ClientTlsContext> tls) {
    RedisEndpoint e = endpoint(server.port());
    e.timeout = milliseconds(1500);  // a handshake on a loaded test machine
    e.tls = std::move(tls);
    return e;
  }

  // One call whose result depends on the arguments, so it must come from Redis.
  std::optional<RedisResult> sum(RedisClient& client, int a, int b) {
    std::optional<RedisResult> result;
    client.eval(adder, {"k"}, {std::to_string(a), std::to_string(b)}, [&](RedisResult r) { result = std::move(r); });
    run_until([&] { return result.has_value(); });
    return result;
  }

  testing_support::TestPki pki{"redis-client"};
  std::pair<std::string, std::string> server_cert;
  RedisScript adder{"return {tonumber(ARGV[1]) + tonumber(ARGV[2]), #KEYS}"};
};

TEST_F(RedisClientTlsTest, ScriptsRunOverTls) {
  TlsRedisServer server(pki, server_cert, {"--tls-auth-clients", "no"});
  ASSERT_TRUE(server.up());
  RedisClient client(io.get_executor(), tls_endpoint(server, context(pki.ca())));
  std::optional<RedisResult> r = sum(client, 2, 40);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status, RedisResult::Status::kOk) << r->error;
  EXPECT_EQ(r->integers, (std::vector<long long>{42, 1}));
  // Pipelined on the one connection (SCRIPT LOAD went first; EVALSHA now).
  std::vector<RedisResult> results;
  for (int i = 0; i < 5; ++i) {
    client.eval(adder, {"k"}, {std::to_string(i), "100"}, [&](RedisResult x) { results.push_back(std::move(x)); });
  }
  run_until([&] { return results.size() == 5; });
  ASSERT_EQ(results.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(results[i].status, RedisResult::Status::kOk) << results[i].error;
    EXPECT_EQ(results[i].integers[0], 100 + i);
  }
  EXPECT_EQ(client.live_connections(), 1u);
}

TEST_F(RedisClientTlsTest, AnIdleTlsConnectionClosesSoTheLoopRunsOutOfWork) {
  TlsRedisServer server(pki, server_cert, {"--tls-auth-clients", "no"});
  ASSERT_TRUE(server.up());
  RedisEndpoint e = tls_endpoint(server, context(pki.ca()));
  e.idle_close = milliseconds(50);
  RedisClient client(io.get_executor(), e);
  std::optional<RedisResult> r = sum(client, 1, 2);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status, RedisResult::Status::kOk) << r->error;
  // run_for() returns early only once nothing is pending: no read, timer
  // or TLS operation is left behind by the closed connection.
  const auto start = std::chrono::steady_clock::now();
  io.restart();
  io.run_for(std::chrono::seconds(3));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(client.live_connections(), 0u);
  r = sum(client, 2, 2);  // reopened on demand, without backoff
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RedisResult::Status::kOk) << r->error;
}

TEST_F(RedisClientTlsTest, AServerTheCaDoesNotVouchForFailsTheCallAndBacksOff) {
  TlsRedisServer server(pki, server_cert, {"--tls-auth-clients", "no"});
  ASSERT_TRUE(server.up());
  testing_support::TestPki other("redis-other-ca");
  ASSERT_TRUE(other.ok());
  RedisClient client(io.get_executor(), tls_endpoint(server, context(other.ca())));
  std::optional<RedisResult> r = sum(client, 1, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RedisResult::Status::kUnavailable);
  EXPECT_NE(r->error.find("TLS handshake"), std::string::npos) << r->error;
  EXPECT_EQ(client.live_connections(), 0u);
  // Backing off: the next call fails at once, without a new handshake.
  const auto start = std::chrono::steady_clock::now();
  r = sum(client, 1, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RedisResult::Status::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(100));
}

TEST_F(RedisClientTlsTest, TheNameCheckedIsTheServerName) {
  TlsRedisServer server(pki, server_cert, {"--tls-auth-clients", "no"});
  ASSERT_TRUE(server.up());
  tls::ClientTlsSettings s;
  s.ca_file = pki.ca();
  s.server_name = "other.test";  // not in the certificate
  s.alpn = "";
  std::string error;
  RedisClient wrong(io.get_executor(), tls_endpoint(server, tls::ClientTlsContext::create(s, error)));
  std::optional<RedisResult> r = sum(wrong, 1, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RedisResult::Status::kUnavailable) << r->error;
  s.server_name = "redis.test";
  RedisClient right(io.get_executor(), tls_endpoint(server, tls::ClientTlsContext::create(s, error)));
  r = sum(right, 1, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RedisResult::Status::kOk) << r->error;
}

TEST_F(RedisClientTlsTest, AuthGoesFirstOverTls) {
  TlsRedisServer server(pki, server_cert, {"--tls-auth-clients", "no", "--requirepass", "s3cret"});
  ASSERT_TRUE(server.up());
  RedisEndpoint e = tls_endpoint(server, context(pki.ca()));
  e.password = "s3cret";
  RedisClient client(io.get_executor(), e);
  std::optional<RedisResult> r = sum(client, 3, 4);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status, RedisResult::Status::kOk) << r->error;
  EXPECT_EQ(r->integers[0], 7);

  e.password = "wrong";
  RedisClient refused(io.get_executor(), e);
  r = sum(refused, 3, 4);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RedisResult::Status::kError);
  EXPECT_NE(r->error.find("NOAUTH"), std::string::npos) << r->error;
}

TEST_F(RedisClientTlsTest, AClientCertificateIsPresentedWhenTheServerWantsOne) {
  TlsRedisServer server(pki, server_cert, {"--tls-auth-clients", "yes"});
  ASSERT_TRUE(server.up());
  const auto [cert, key] = pki.issue("client", "gatehouse", "", true);
  ASSERT_TRUE(pki.ok());
  RedisClient with(io.get_executor(), tls_endpoint(server, context(pki.ca(), cert, key)));
  std::optional<RedisResult> r = sum(with, 5, 6);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status, RedisResult::Status::kOk) << r->error;
  EXPECT_EQ(r->integers[0], 11);

  RedisClient without(io.get_executor(), tls_endpoint(server, context(pki.ca())));
  r = sum(without, 5, 6);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RedisResult::Status::kUnavailable) << r->error;
}

TEST_F(RedisClientTlsTest, ATlsClientIsNotSharedWithAPlainOne) {
  RedisEndpoint plain = endpoint(6379);
  RedisEndpoint secure = plain;
  secure.tls = context(pki.ca());
  EXPECT_NE(RedisClient::for_executor(io.get_executor(), plain), RedisClient::for_executor(io.get_executor(), secure));
  // A reload with the same settings keeps the client, with the newer context.
  RedisEndpoint reloaded = plain;
  reloaded.tls = context(pki.ca());
  auto client = RedisClient::for_executor(io.get_executor(), secure);
  EXPECT_EQ(client, RedisClient::for_executor(io.get_executor(), reloaded));
  EXPECT_EQ(client->endpoint().tls, reloaded.tls);
}

LimitSpec redis_limit_spec(Algorithm a, std::uint64_t quota, Nanos window, std::uint64_t burst) {
  LimitSpec s;
  s.algorithm = a;
  s.quota = quota;
  s.window = window;
  s.burst = burst;
  return s;
}

TEST(RedisScriptsTest, ArgumentsCarryEachLimitInMicroseconds) {
  using std::chrono::hours;
  using std::chrono::seconds;
  EXPECT_EQ(redis_script_args({redis_limit_spec(Algorithm::kTokenBucket, 10, seconds(1), 20),
                               redis_limit_spec(Algorithm::kTokenBucket, 3, seconds(1), 3)}),
            (std::vector<std::string>{"2", "100000", "20", "333333", "3"}));
  EXPECT_EQ(redis_script_args({redis_limit_spec(Algorithm::kTokenBucket, 1000000000, seconds(1), 5)}),
            (std::vector<std::string>{"1", "1", "5"}));  // at least 1us
  EXPECT_EQ(redis_script_args({redis_limit_spec(Algorithm::kSlidingWindow, 100, hours(1), 100)}),
            (std::vector<std::string>{"1", "100", "3600000000"}));
  EXPECT_NE(redis_script(Algorithm::kTokenBucket).sha1(), redis_script(Algorithm::kFixedWindow).sha1());
  EXPECT_NE(redis_script(Algorithm::kSlidingWindow).sha1(), redis_script(Algorithm::kFixedWindow).sha1());
}

TEST(RedisScriptsTest, RepliesBecomeVerdicts) {
  using std::chrono::minutes;
  std::vector<LimitSpec> limits{redis_limit_spec(Algorithm::kTokenBucket, 10, minutes(1), 20),
                                redis_limit_spec(Algorithm::kTokenBucket, 100, minutes(60), 100)};
  std::optional<Verdict> v = verdict_from_redis_reply(limits, {0, 1, 5, 1500, 0, 0, 0, 36000000, 2000000});
  ASSERT_TRUE(v.has_value());
  EXPECT_FALSE(v->allowed);
  EXPECT_EQ(v->count, 2u);
  EXPECT_TRUE(v->decisions[0].allowed);
  EXPECT_EQ(v->decisions[0].limit, 20u);  // the advertised quota: the burst
  EXPECT_EQ(v->decisions[0].remaining, 5u);
  EXPECT_EQ(v->decisions[0].reset, std::chrono::microseconds(1500));
  EXPECT_FALSE(v->decisions[1].allowed);
  EXPECT_EQ(v->decisions[1].retry_after, std::chrono::seconds(2));
  EXPECT_FALSE(verdict_from_redis_reply(limits, {1, 1, 5, 1500, 0}).has_value());
}

TEST(RedisStoreTest, TheFallbackDividesEachLimitByTheExpectedInstances) {
  using std::chrono::seconds;
  std::vector<LimitSpec> limits = fallback_limits({redis_limit_spec(Algorithm::kTokenBucket, 100, seconds(1), 150),
                                                   redis_limit_spec(Algorithm::kTokenBucket, 3, seconds(1), 3)}, 4);
  EXPECT_EQ(limits[0].quota, 25u);
  EXPECT_EQ(limits[0].burst, 37u);
  EXPECT_EQ(limits[1].quota, 1u);  // never below one request
  EXPECT_EQ(limits[1].burst, 1u);
}

}  // namespace
}  // namespace gatehouse::policies::rate_limit
