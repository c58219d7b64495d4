#include "policies/rate_limit/redis_connection.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream_base.hpp>

#include "proxy/tls/client_context.h"
#include "proxy/tls/stream.h"

namespace gatehouse::policies::rate_limit {
namespace asio = boost::asio;
using boost::system::error_code;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kFirstBackoff{50};
constexpr milliseconds kMaxBackoff{2000};

struct ReplyFree {
  void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};

}  // namespace

struct RedisConnection::Link {
  explicit Link(const asio::any_io_executor& executor) : stream(executor), reader(redisReaderCreate()) {}
  ~Link() {
    if (reader != nullptr) redisReaderFree(reader);
  }
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  tls::Stream stream;
  redisReader* reader;
  std::string writing;  // the bytes of the write in progress: they must stay put until it completes
  std::array<char, 16 * 1024> incoming{};
  bool ready = false;  // connected (and TLS established): writes may start
  bool write_pending = false;
};

RedisConnection::RedisConnection(asio::any_io_executor executor, std::shared_ptr<const RedisEndpoint> endpoint)
    : executor_(std::move(executor)), endpoint_(std::move(endpoint)), idle_timer_(executor_),
      backoff_(kFirstBackoff) {}

// Handlers hold this connection, so it only goes when none is pending (or
// the io_context is destroyed with them): nothing to cancel here.
RedisConnection::~RedisConnection() = default;

void RedisConnection::connect() {
  if (closing_ || link_ != nullptr) return;
  error_code ec;
  const asio::ip::address address = asio::ip::make_address(endpoint_->host, ec);
  if (ec) return back_off();  // the config lets only IP literals through: no DNS on a worker
  auto link = std::make_shared<Link>(executor_);
  if (link->reader == nullptr) return back_off();
  link_ = link;
  out_.clear();
  awaiting_.clear();
  loaded_.clear();
  last_active_ = Clock::now();
  // A connection opened for the pool but given no call must still close
  // when idle, or it would keep a draining worker's loop busy.
  arm_idle_timer(endpoint_->idle_close);
  if (!endpoint_->password.empty()) {
    std::vector<std::string_view> argv{"AUTH"};
    if (!endpoint_->username.empty()) argv.push_back(endpoint_->username);
    argv.push_back(endpoint_->password);
    queue(argv, nullptr);
  }
  link->stream.socket().async_connect(
      asio::ip::tcp::endpoint(address, endpoint_->port),
      [self = shared_from_this(), link](const error_code& e) { self->on_connected(link, e); });
}

void RedisConnection::on_connected(const std::shared_ptr<Link>& link, const error_code& ec) {
  if (link != link_) return;  // dropped meanwhile
  if (ec) return drop("connect: " + ec.message());
  error_code ignored;
  link->stream.socket().set_option(asio::ip::tcp::no_delay(true), ignored);  // pipelined small commands
  const std::shared_ptr<const tls::ClientTlsContext>& tls = endpoint_->tls;
  if (tls == nullptr) return on_handshake(link, {});
  SSL* ssl = tls->new_connection(endpoint_->host);
  if (ssl == nullptr) return drop("cannot set up TLS");
  link->stream.start_tls(ssl);
  link->stream.tls()->async_handshake(
      asio::ssl::stream_base::client,
      [self = shared_from_this(), link](const error_code& e) { self->on_handshake(link, e); });
}

void RedisConnection::on_handshake(const std::shared_ptr<Link>& link, const error_code& ec) {
  if (link != link_) return;
  if (ec) return drop("TLS handshake: " + ec.message());
  link->ready = true;
  read(link);
  flush();
}

void RedisConnection::close() {
  closing_ = true;
  cancel_idle_timer();
  close_link("client closed", true);
}

void RedisConnection::drop(std::string_view why) { close_link(why, false); }

void RedisConnection::close_link(std::string_view why, bool idle) {
  if (link_ == nullptr) return;
  // Pending operations end with operation_aborted; they hold `link` until then.
  std::shared_ptr<Link> link = std::exchange(link_, nullptr);
  link->stream.close();
  cancel_idle_timer();  // nothing left to close; let the loop run out of work
  out_.clear();
  loaded_.clear();
  std::deque<std::shared_ptr<RedisCall>> failed = std::exchange(awaiting_, {});
  for (const std::shared_ptr<RedisCall>& call : failed) {
    if (call) finish(call, {RedisResult::Status::kUnavailable, {}, std::string(why)});
  }
  if (!idle) back_off();
}

void RedisConnection::send(const std::shared_ptr<RedisCall>& call) {
  if (link_ == nullptr) return finish(call, {RedisResult::Status::kUnavailable, {}, "not connected"});
  const RedisScript& script = *call->script;
  if (!call->resent && loaded_.insert(script.sha1()).second) {
    // Pipelined before the EVALSHA on the same connection, so the script is
    // known when the EVALSHA runs.
    queue({"SCRIPT", "LOAD", script.source()}, nullptr);
  }
  std::vector<std::string_view> argv;
  argv.reserve(3 + call->keys.size() + call->args.size());
  argv.push_back(call->resent ? "EVAL" : "EVALSHA");
  argv.push_back(call->resent ? std::string_view(script.source()) : std::string_view(script.sha1()));
  const std::string numkeys = std::to_string(call->keys.size());
  argv.push_back(numkeys);
  for (const std::string& k : call->keys) argv.push_back(k);
  for (const std::string& a : call->args) argv.push_back(a);
  queue(argv, call);
  last_active_ = Clock::now();
  arm_idle_timer(endpoint_->idle_close);
}

void RedisConnection::queue(const std::vector<std::string_view>& argv, std::shared_ptr<RedisCall> call) {
  std::vector<const char*> ptrs;
  std::vector<std::size_t> lens;
  ptrs.reserve(argv.size());
  lens.reserve(argv.size());
  for (std::string_view a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  char* command = nullptr;
  const int length = redisFormatCommandArgv(&command, static_cast<int>(argv.size()), ptrs.data(), lens.data());
  if (length < 0 || command == nullptr) {  // out of memory only
    if (call) finish(call, {RedisResult::Status::kError, {}, "cannot encode the command"});
    return;
  }
  out_.append(command, static_cast<std::size_t>(length));
  redisFreeCommand(command);
  awaiting_.push_back(std::move(call));
  flush();
}

// One write at a time; commands queued meanwhile go out together in the next.
void RedisConnection::flush() {
  if (link_ == nullptr || !link_->ready || link_->write_pending || out_.empty()) return;
  std::shared_ptr<Link> link = link_;
  link->writing.swap(out_);
  out_.clear();
  link->write_pending = true;
  link->stream.async_write(asio::buffer(link->writing),
                           [self = shared_from_this(), link](const error_code& ec, std::size_t) {
                             if (link != self->link_) return;
                             link->write_pending = false;
                             if (ec) return self->drop("write: " + ec.message());
                             link->writing.clear();
                             self->flush();
                           });
}

void RedisConnection::read(const std::shared_ptr<Link>& link) {
  link->stream.async_read_some(asio::buffer(link->incoming),
                               [self = shared_from_this(), link](const error_code& ec, std::size_t n) {
                                 self->on_read(link, ec, n);
                               });
}

void RedisConnection::on_read(const std::shared_ptr<Link>& link, const error_code& ec, std::size_t n) {
  if (link != link_) return;
  if (ec) return drop(ec == asio::error::eof ? std::string("connection closed by Redis") : "read: " + ec.message());
  if (redisReaderFeed(link->reader, link->incoming.data(), n) != REDIS_OK) {
    return drop(std::string("bad reply: ") + link->reader->errstr);
  }
  for (;;) {
    void* raw = nullptr;
    if (redisReaderGetReply(link->reader, &raw) != REDIS_OK) {
      return drop(std::string("bad reply: ") + link->reader->errstr);
    }
    if (raw == nullptr) break;  // incomplete: wait for more bytes
    std::unique_ptr<redisReply, ReplyFree> reply(static_cast<redisReply*>(raw));
    if (awaiting_.empty()) return drop("a reply to no command");
    std::shared_ptr<RedisCall> call = std::move(awaiting_.front());
    awaiting_.pop_front();
    last_active_ = Clock::now();
    if (call) on_reply(call, *reply);
    if (link != link_) return;
  }
  read(link);
}

void RedisConnection::on_reply(const std::shared_ptr<RedisCall>& call, const redisReply& reply) {
  if (reply.type == REDIS_REPLY_ERROR) {
    std::string message(reply.str, reply.len);
    if (message.starts_with("NOSCRIPT") && !call->resent && !call->finished) {
      call->resent = true;  // the script cache was flushed: EVAL sends (and caches) the source
      return send(call);
    }
    return finish(call, {RedisResult::Status::kError, {}, std::move(message)});
  }
  backoff_ = kFirstBackoff;  // the server answers: the next failure starts over
  if (reply.type != REDIS_REPLY_ARRAY) {
    return finish(call, {RedisResult::Status::kError, {}, "unexpected reply type " + std::to_string(reply.type)});
  }
  RedisResult result{RedisResult::Status::kOk, {}, {}};
  result.integers.reserve(reply.elements);
  for (std::size_t i = 0; i < reply.elements; ++i) {
    const redisReply* item = reply.element[i];
    if (item->type != REDIS_REPLY_INTEGER) {
      return finish(call, {RedisResult::Status::kError, {}, "unexpected reply element"});
    }
    result.integers.push_back(item->integer);
  }
  finish(call, std::move(result));
}

void RedisConnection::finish(const std::shared_ptr<RedisCall>& call, RedisResult result) {
  if (call->finished) return;
  call->finished = true;
  call->timer.cancel();
  asio::post(call->timer.get_executor(), [done = std::move(call->done), result = std::move(result)]() mutable {
    done(std::move(result));
  });
}

// Reconnection is lazy: the next call after `retry_at_` connects. No timer
// runs while Redis is down, so a worker's loop can finish draining.
void RedisConnection::back_off() {
  retry_at_ = Clock::now() + backoff_;
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
}

// An idle connection is closed (and reopened by the next call): its pending
// read would otherwise keep the worker's io_context from ever running out of
// work when the server drains.
void RedisConnection::arm_idle_timer(Clock::duration after) {
  if (idle_armed_) return;
  idle_armed_ = true;
  idle_timer_.expires_after(after);
  idle_timer_.async_wait([weak = weak_from_this(), generation = idle_generation_](const error_code& ec) {
    std::shared_ptr<RedisConnection> self = weak.lock();
    // A cancelled wait may complete after a newer one was armed: only the
    // current one may touch the state.
    if (!self || generation != self->idle_generation_) return;
    self->idle_armed_ = false;
    if (ec || self->link_ == nullptr) return;
    const Clock::duration limit = self->endpoint_->idle_close;
    if (!self->awaiting_.empty()) return self->arm_idle_timer(limit);  // the call's own timer bounds the wait
    const Clock::duration idle = Clock::now() - self->last_active_;
    if (idle < limit) return self->arm_idle_timer(limit - idle + milliseconds(1));
    self->close_link("idle", true);
  });
}

void RedisConnection::cancel_idle_timer() {
  ++idle_generation_;
  idle_armed_ = false;
  idle_timer_.cancel();
}

}  // namespace gatehouse::policies::rate_limit
