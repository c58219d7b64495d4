#pragma once
// An asynchronous Redis client for the worker threads, driven by the
// worker's own io_context. Asio owns the sockets and does the I/O, with TLS
// when the endpoint asks for it; hiredis (0.14, Debian 12, which has no TLS
// of its own) only encodes commands and parses replies. The connections are
// in redis_connection.h.
//
// - Ownership: one RedisClient per (io_context, endpoint), kept in an Asio
//   service of that io_context (RedisClient::for_executor), so it is created
//   on first use on that worker's thread, used only there, and destroyed with
//   the io_context. The lookup takes the io_context's own service-registry
//   lock, which only that worker ever contends for.
// - A client holds `pool_size` connections used round-robin; commands are
//   pipelined on them. Each call has its own timer (`timeout`); a call that
//   times out completes with kTimeout and its connection is dropped (a
//   pipelined connection whose reply is late would delay every later call).
//   Reconnection is lazy, with exponential backoff (50ms doubling to 2s): a
//   call made once the backoff has passed reconnects; calls before that fail
//   at once (kUnavailable), so a dead Redis costs no waiting. A refused
//   connect, a failed TLS handshake and a dropped connection all count as
//   unavailable. Connections idle for `idle_close` (500ms) are closed, so
//   that nothing keeps a draining worker's io_context busy (no timer runs
//   while Redis is down or unused).
// - TLS (`tls` set): the TCP connect, then the handshake, both asynchronous;
//   commands issued meanwhile wait in the connection's queue. The context
//   verifies the server (CA file or system store, name or IP checked, SNI
//   for names) and may present a client certificate, as for upstreams.
// - AUTH (password, optional username: Redis 6 ACL) is pipelined first on
//   every connection; scripts are run with EVALSHA and re-sent with EVAL when
//   the server answers NOSCRIPT (EVAL also caches them).
// - Completions are posted to the worker's executor, never run inside the
//   client's own processing, so a completion may issue calls or drop
//   connections.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

namespace gatehouse::tls {
class ClientTlsContext;
}

namespace gatehouse::policies::rate_limit {

struct RedisEndpoint {
  std::string host = "127.0.0.1";  // an IP literal: a worker never waits for DNS
  std::uint16_t port = 6379;
  std::string username;            // empty: AUTH with the password only
  std::string password;            // empty: no AUTH
  std::chrono::nanoseconds timeout{std::chrono::milliseconds(20)};
  std::size_t pool_size = 2;
  // A connection with nothing in flight for this long is closed (the next
  // call reopens it). Not configurable: it bounds how long an idle worker's
  // loop stays busy after the server drains.
  std::chrono::nanoseconds idle_close{std::chrono::milliseconds(500)};
  // Null: plain TCP. Built at config load (files read then), shared by every
  // worker.
  std::shared_ptr<const tls::ClientTlsContext> tls;

  std::string address() const { return host + ":" + std::to_string(port); }
  // Identifies a client: two endpoints with equal ids share connections.
  std::string id() const;
};

// A Lua script, with its SHA1 (what EVALSHA names it by).
class RedisScript {
 public:
  explicit RedisScript(std::string source);
  const std::string& source() const noexcept { return source_; }
  const std::string& sha1() const noexcept { return sha1_; }

 private:
  std::string source_;
  std::string sha1_;
};

struct RedisResult {
  enum class Status : std::uint8_t {
    kOk,           // the script answered an array of integers
    kTimeout,      // no answer within the endpoint's timeout
    kUnavailable,  // no connection (refused, dropped, backing off)
    kError,        // Redis answered an error (e.g. WRONGPASS), or an unexpected reply
  };
  Status status = Status::kUnavailable;
  std::vector<long long> integers;  // kOk
  std::string error;                // otherwise: what happened, for logs
};

const char* to_string(RedisResult::Status status) noexcept;

class RedisConnection;

class RedisClient {
 public:
  using Done = std::function<void(RedisResult)>;

  // The client of `endpoint` for the io_context behind `executor`; must be
  // called on that io_context's thread.
  static std::shared_ptr<RedisClient> for_executor(const boost::asio::any_io_executor& executor,
                                                   const RedisEndpoint& endpoint);
  // The same, with `endpoint.id()` computed once by the caller (per request).
  static std::shared_ptr<RedisClient> for_executor(const boost::asio::any_io_executor& executor,
                                                   const RedisEndpoint& endpoint, std::string_view id);

  RedisClient(boost::asio::any_io_executor executor, RedisEndpoint endpoint);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Runs `script` with KEYS and ARGV; `done` runs later on the executor,
  // exactly once (unless the io_context is destroyed first). Never throws
  // beyond allocation failure.
  void eval(const RedisScript& script, std::vector<std::string> keys, std::vector<std::string> args, Done done);

  // Drops every connection; pending calls complete with kUnavailable.
  void close();

  const RedisEndpoint& endpoint() const noexcept { return *endpoint_; }
  // Connections currently established or connecting (tests).
  std::size_t live_connections() const noexcept;

 private:
  boost::asio::any_io_executor executor_;
  // Shared with the connections, which may outlive the client while their
  // cancelled operations complete.
  std::shared_ptr<RedisEndpoint> endpoint_;
  std::vector<std::shared_ptr<RedisConnection>> pool_;
  std::size_t next_ = 0;
};

}  // namespace gatehouse::policies::rate_limit
