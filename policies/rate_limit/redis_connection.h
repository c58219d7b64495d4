#pragma once
// One connection of a RedisClient's pool (see redis_client.h for the
// contract): Asio owns the socket and does the I/O, optionally through TLS
// (tls::Stream); hiredis only encodes commands (redisFormatCommandArgv) and
// parses replies (redisReader).
//
// - Commands are queued from the moment connect() is called and written,
//   pipelined, once the TCP connect (and TLS handshake) has completed;
//   replies are matched to them in order.
// - Everything one attempt uses (socket, TLS state, buffers, reader) lives in
//   a Link shared with its pending handlers, so a dropped link outlives its
//   cancelled operations; handlers of a dropped link see it is no longer
//   current and return.
// - Used only on its io_context's thread.

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "policies/rate_limit/redis_client.h"

struct redisReply;

namespace gatehouse::policies::rate_limit {

// One pending script call, shared by the connection's reply queue and the
// call's timer handler.
struct RedisCall {
  RedisCall(const boost::asio::any_io_executor& executor, const RedisScript& s, RedisClient::Done d)
      : script(&s), done(std::move(d)), timer(executor) {}
  const RedisScript* script;
  std::vector<std::string> keys;
  std::vector<std::string> args;
  RedisClient::Done done;
  boost::asio::steady_timer timer;
  bool finished = false;
  bool resent = false;  // NOSCRIPT answered once already
};

class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
 public:
  using Clock = std::chrono::steady_clock;

  // `endpoint` is the owning client's, shared so that it outlives the client
  // while handlers still hold this connection.
  RedisConnection(boost::asio::any_io_executor executor, std::shared_ptr<const RedisEndpoint> endpoint);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connected or connecting: send() queues.
  bool usable() const noexcept { return link_ != nullptr; }
  // Down, and its backoff has passed: connect() may try again.
  bool may_connect(Clock::time_point now) const noexcept {
    return link_ == nullptr && !closing_ && now >= retry_at_;
  }

  void connect();
  // For good: pending calls complete with kUnavailable.
  void close();
  // Closes the link: pending calls complete with kUnavailable, and the next
  // connect waits out the backoff (unless the link was idle).
  void drop(std::string_view why);
  void send(const std::shared_ptr<RedisCall>& call);

  // Completes `call` once, on its executor (never inside this connection's
  // own processing, so a completion may issue calls or drop connections).
  static void finish(const std::shared_ptr<RedisCall>& call, RedisResult result);

 private:
  struct Link;

  void on_connected(const std::shared_ptr<Link>& link, const boost::system::error_code& ec);
  void on_handshake(const std::shared_ptr<Link>& link, const boost::system::error_code& ec);
  void flush();
  void read(const std::shared_ptr<Link>& link);
  void on_read(const std::shared_ptr<Link>& link, const boost::system::error_code& ec, std::size_t n);
  void on_reply(const std::shared_ptr<RedisCall>& call, const redisReply& reply);
  // `idle`: closed for want of work, not failure, so no backoff follows.
  void close_link(std::string_view why, bool idle);
  void queue(const std::vector<std::string_view>& argv, std::shared_ptr<RedisCall> call);
  void back_off();
  void arm_idle_timer(Clock::duration after);
  void cancel_idle_timer();

  boost::asio::any_io_executor executor_;
  std::shared_ptr<const RedisEndpoint> endpoint_;
  boost::asio::steady_timer idle_timer_;
  std::shared_ptr<Link> link_;  // null: down
  // Commands encoded but not yet handed to a write.
  std::string out_;
  // One entry per command sent, in order; null for AUTH and SCRIPT LOAD,
  // whose replies are not waited for (a refused AUTH shows in every later
  // reply as NOAUTH/WRONGPASS).
  std::deque<std::shared_ptr<RedisCall>> awaiting_;
  std::set<std::string> loaded_;  // scripts SCRIPT LOADed on this link
  std::chrono::milliseconds backoff_;
  Clock::time_point retry_at_{};
  Clock::time_point last_active_{};
  std::uint64_t idle_generation_ = 0;
  bool idle_armed_ = false;
  bool closing_ = false;
};

}  // namespace gatehouse::policies::rate_limit
