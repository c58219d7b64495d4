#include "policies/rate_limit/redis_client.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <openssl/sha.h>

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/steady_timer.hpp>

namespace gatehouse::policies::rate_limit {
namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

using Clock = std::chrono::steady_clock;
constexpr milliseconds kFirstBackoff{50};
constexpr milliseconds kMaxBackoff{2000};

// hiredis's event hooks on an Asio descriptor. hiredis calls add* when it
// wants one readiness notification (like libevent's non-persistent events)
// and calls redisAsyncHandle* in return; del* withdraws the wish. The wait
// handlers hold the adapter, so it outlives the hiredis context that points
// at it; `closed_` tells them the context is gone.
class AsioEvents : public std::enable_shared_from_this<AsioEvents> {
 public:
  AsioEvents(const asio::any_io_executor& executor, redisAsyncContext* ac, std::function<void()> on_cleanup)
      : ac_(ac), descriptor_(executor), on_cleanup_(std::move(on_cleanup)) {}

  // Hooks the adapter into `ac`; false when the descriptor cannot be watched.
  bool attach() {
    boost::system::error_code ec;
    descriptor_.assign(ac_->c.fd, ec);
    if (ec) return false;
    ac_->ev.data = this;
    ac_->ev.addRead = [](void* self) { static_cast<AsioEvents*>(self)->arm(false); };
    ac_->ev.delRead = [](void* self) { static_cast<AsioEvents*>(self)->want_read_ = false; };
    ac_->ev.addWrite = [](void* self) { static_cast<AsioEvents*>(self)->arm(true); };
    ac_->ev.delWrite = [](void* self) { static_cast<AsioEvents*>(self)->want_write_ = false; };
    ac_->ev.cleanup = [](void* self) { static_cast<AsioEvents*>(self)->cleanup(); };
    return true;
  }

  void arm(bool write) {
    (write ? want_write_ : want_read_) = true;
    bool& waiting = write ? write_waiting_ : read_waiting_;
    if (waiting || closed_) return;
    waiting = true;
    descriptor_.async_wait(
        write ? asio::posix::stream_descriptor::wait_write : asio::posix::stream_descriptor::wait_read,
        [self = shared_from_this(), write](const boost::system::error_code& ec) { self->on_ready(write, ec); });
  }

 private:
  void on_ready(bool write, const boost::system::error_code& ec) {
    (write ? write_waiting_ : read_waiting_) = false;
    if (ec || closed_) return;
    bool& want = write ? want_write_ : want_read_;
    if (!want) return;
    want = false;  // one notification per add*; hiredis asks again
    if (write) {
      redisAsyncHandleWrite(ac_);
    } else {
      redisAsyncHandleRead(ac_);
    }
  }

  // hiredis is freeing the context and will close the fd itself: stop
  // watching it without closing it (pending waits end with operation_aborted).
  void cleanup() {
    std::shared_ptr<AsioEvents> keep = shared_from_this();
    closed_ = true;
    want_read_ = want_write_ = false;
    ac_ = nullptr;
    descriptor_.release();
    if (std::function<void()> done = std::move(on_cleanup_)) done();
  }

  redisAsyncContext* ac_;
  asio::posix::stream_descriptor descriptor_;
  std::function<void()> on_cleanup_;
  bool want_read_ = false;
  bool want_write_ = false;
  bool read_waiting_ = false;
  bool write_waiting_ = false;
  bool closed_ = false;
};

}  // namespace

// One pending script call. Owned by shared_ptrs held by hiredis's privdata
// (until the reply, or a NULL reply when the context is freed) and by the
// timer's handler.
struct RedisCall {
  RedisCall(const asio::any_io_executor& executor, const RedisScript& s, RedisClient::Done d)
      : script(&s), done(std::move(d)), timer(executor) {}
  const RedisScript* script;
  std::vector<std::string> keys;
  std::vector<std::string> args;
  RedisClient::Done done;
  asio::steady_timer timer;
  bool finished = false;
  bool resent = false;  // NOSCRIPT answered once already
};

class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
 public:
  RedisConnection(asio::any_io_executor executor, const RedisEndpoint& endpoint)
      : executor_(std::move(executor)), endpoint_(endpoint), idle_timer_(executor_) {}

  ~RedisConnection() {
    closing_ = true;
    if (redisAsyncContext* ac = std::exchange(ac_, nullptr)) redisAsyncFree(ac);
  }

  bool usable() const noexcept { return ac_ != nullptr; }
  // Down, and its backoff has passed: connect() may try again.
  bool may_connect(Clock::time_point now) const noexcept {
    return ac_ == nullptr && !closing_ && now >= retry_at_;
  }

  void connect() {
    if (closing_ || ac_ != nullptr) return;
    redisAsyncContext* ac = redisAsyncConnect(endpoint_.host.c_str(), endpoint_.port);
    if (ac == nullptr) return back_off();
    if (ac->err != 0) {
      redisAsyncFree(ac);
      return back_off();
    }
    auto events = std::make_shared<AsioEvents>(executor_, ac, [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->on_gone();
    });
    if (!events->attach()) {
      redisAsyncFree(ac);
      return back_off();
    }
    ac_ = ac;
    ac->data = this;  // for on_reply; the context is freed before this connection is
    loaded_.clear();
    events->arm(true);  // a non-blocking connect completes as writability
    if (!endpoint_.password.empty()) {
      std::vector<std::string_view> argv{"AUTH"};
      if (!endpoint_.username.empty()) argv.push_back(endpoint_.username);
      argv.push_back(endpoint_.password);
      send_argv(argv, nullptr, nullptr);  // a refusal shows in every later reply (NOAUTH/WRONGPASS)
    }
  }

  void close() {
    closing_ = true;
    idle_timer_.cancel();
    drop();
  }

  // Frees the hiredis context: pending calls get NULL replies, then the
  // cleanup hook calls on_gone(). Never from inside a hiredis callback.
  void drop() {
    if (ac_ != nullptr) redisAsyncFree(ac_);
  }

  void send(const std::shared_ptr<RedisCall>& call) {
    if (ac_ == nullptr) return finish(call, {RedisResult::Status::kUnavailable, {}, "not connected"});
    const RedisScript& script = *call->script;
    if (!call->resent && loaded_.insert(script.sha1()).second) {
      // Pipelined before the EVALSHA on the same connection, so the script is
      // known when the EVALSHA runs.
      send_argv({"SCRIPT", "LOAD", script.source()}, nullptr, nullptr);
    }
    std::vector<std::string_view> argv;
    argv.reserve(3 + call->keys.size() + call->args.size());
    argv.push_back(call->resent ? "EVAL" : "EVALSHA");
    argv.push_back(call->resent ? std::string_view(script.source()) : std::string_view(script.sha1()));
    const std::string numkeys = std::to_string(call->keys.size());
    argv.push_back(numkeys);
    for (const std::string& k : call->keys) argv.push_back(k);
    for (const std::string& a : call->args) argv.push_back(a);
    auto* holder = new std::shared_ptr<RedisCall>(call);
    if (!send_argv(argv, &RedisConnection::on_reply, holder)) {
      delete holder;
      return finish(call, {RedisResult::Status::kUnavailable, {}, "connection closing"});
    }
    ++in_flight_;
    last_active_ = Clock::now();
    arm_idle_timer(endpoint_.idle_close);
  }

  void on_success() noexcept { backoff_ = kFirstBackoff; }

  static void finish(const std::shared_ptr<RedisCall>& call, RedisResult result) {
    if (call->finished) return;
    call->finished = true;
    call->timer.cancel();
    asio::post(call->timer.get_executor(), [done = std::move(call->done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
  }

 private:
  bool send_argv(const std::vector<std::string_view>& argv, redisCallbackFn* fn, void* privdata) {
    std::vector<const char*> ptrs;
    std::vector<std::size_t> lens;
    ptrs.reserve(argv.size());
    lens.reserve(argv.size());
    for (std::string_view a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    return redisAsyncCommandArgv(ac_, fn, privdata, static_cast<int>(argv.size()), ptrs.data(), lens.data()) ==
           REDIS_OK;
  }

  static void on_reply(redisAsyncContext* ac, void* raw_reply, void* privdata) {
    std::unique_ptr<std::shared_ptr<RedisCall>> holder(static_cast<std::shared_ptr<RedisCall>*>(privdata));
    const std::shared_ptr<RedisCall>& call = *holder;
    const auto* reply = static_cast<const redisReply*>(raw_reply);
    if (auto* self = static_cast<RedisConnection*>(ac->data); self != nullptr) {
      --self->in_flight_;
      self->last_active_ = Clock::now();
    }
    if (reply == nullptr) {
      std::string why = ac->errstr[0] != '\0' ? ac->errstr : "connection closed";
      return finish(call, {RedisResult::Status::kUnavailable, {}, std::move(why)});
    }
    auto* self = static_cast<RedisConnection*>(ac->data);
    if (reply->type == REDIS_REPLY_ERROR) {
      std::string message(reply->str, reply->len);
      if (message.starts_with("NOSCRIPT") && !call->resent && self != nullptr && !call->finished) {
        call->resent = true;  // the script cache was flushed: EVAL sends (and caches) the source
        return self->send(call);
      }
      return finish(call, {RedisResult::Status::kError, {}, std::move(message)});
    }
    if (self != nullptr) self->on_success();
    if (reply->type != REDIS_REPLY_ARRAY) {
      return finish(call, {RedisResult::Status::kError, {}, "unexpected reply type " + std::to_string(reply->type)});
    }
    RedisResult result{RedisResult::Status::kOk, {}, {}};
    result.integers.reserve(reply->elements);
    for (std::size_t i = 0; i < reply->elements; ++i) {
      const redisReply* item = reply->element[i];
      if (item->type != REDIS_REPLY_INTEGER) {
        return finish(call, {RedisResult::Status::kError, {}, "unexpected reply element"});
      }
      result.integers.push_back(item->integer);
    }
    finish(call, std::move(result));
  }

  void on_gone() {
    ac_ = nullptr;
    in_flight_ = 0;
    idle_timer_.cancel();  // nothing left to close; let the loop run out of work
    loaded_.clear();
    if (!std::exchange(idle_closing_, false)) back_off();
  }

  // Reconnection is lazy: the next call after `retry_at_` connects. No
  // timer runs while Redis is down, so a worker's loop can finish draining.
  void back_off() {
    retry_at_ = Clock::now() + backoff_;
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  }

  // An idle connection is closed (and reopened by the next call): a
  // connection with nothing pending would otherwise keep the worker's
  // io_context from ever running out of work when the server drains.
  void arm_idle_timer(Clock::duration after) {
    if (idle_armed_) return;
    idle_armed_ = true;
    idle_timer_.expires_after(after);
    idle_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (!self) return;
      self->idle_armed_ = false;
      if (ec || self->ac_ == nullptr) return;
      const Clock::duration idle = Clock::now() - self->last_active_;
      if (self->in_flight_ > 0 || idle < self->endpoint_.idle_close) {
        return self->arm_idle_timer(self->endpoint_.idle_close - std::min(idle, self->endpoint_.idle_close) +
                                    milliseconds(1));
      }
      self->idle_closing_ = true;
      self->drop();
    });
  }

 private:
  asio::any_io_executor executor_;
  const RedisEndpoint& endpoint_;  // the owning client's
  asio::steady_timer idle_timer_;
  redisAsyncContext* ac_ = nullptr;
  std::set<std::string> loaded_;  // scripts SCRIPT LOADed on this connection
  milliseconds backoff_ = kFirstBackoff;
  Clock::time_point retry_at_{};
  Clock::time_point last_active_{};
  std::size_t in_flight_ = 0;
  bool idle_armed_ = false;
  bool idle_closing_ = false;
  bool closing_ = false;
};

namespace {

// The clients of one io_context, destroyed with it. Registered after the
// reactor (see for_executor), so it shuts down first and can still release
// its descriptors.
class RedisClients final : public asio::execution_context::service {
 public:
  static asio::execution_context::id id;
  explicit RedisClients(asio::execution_context& context) : asio::execution_context::service(context) {}
  std::map<std::string, std::shared_ptr<RedisClient>, std::less<>> clients;

 private:
  void shutdown() override {
    for (auto& [id, client] : clients) client->close();
    clients.clear();
  }
};

asio::execution_context::id RedisClients::id;

}  // namespace

std::string RedisEndpoint::id() const {
  return host + '\0' + std::to_string(port) + '\0' + username + '\0' + password + '\0' +
         std::to_string(timeout.count()) + '\0' + std::to_string(pool_size);
}

RedisScript::RedisScript(std::string source) : source_(std::move(source)) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(source_.data()), source_.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char b : digest) {
    sha1_ += kHex[b >> 4];
    sha1_ += kHex[b & 0xf];
  }
}

const char* to_string(RedisResult::Status status) noexcept {
  switch (status) {
    case RedisResult::Status::kOk: return "ok";
    case RedisResult::Status::kTimeout: return "timeout";
    case RedisResult::Status::kUnavailable: return "unavailable";
    case RedisResult::Status::kError: return "error";
  }
  return "?";
}

std::shared_ptr<RedisClient> RedisClient::for_executor(const asio::any_io_executor& executor,
                                                       const RedisEndpoint& endpoint) {
  return for_executor(executor, endpoint, endpoint.id());
}

std::shared_ptr<RedisClient> RedisClient::for_executor(const asio::any_io_executor& executor,
                                                       const RedisEndpoint& endpoint, std::string_view id) {
  asio::execution_context& context = asio::query(executor, asio::execution::context);
  if (!asio::has_service<RedisClients>(context)) {
    // Makes sure the descriptor service and reactor exist before our
    // service, so they are shut down after it.
    asio::posix::stream_descriptor probe(executor);
  }
  RedisClients& clients = asio::use_service<RedisClients>(context);
  auto it = clients.clients.find(id);
  if (it == clients.clients.end()) {
    it = clients.clients.emplace(std::string(id), std::make_shared<RedisClient>(executor, endpoint)).first;
  }
  return it->second;
}

RedisClient::RedisClient(asio::any_io_executor executor, RedisEndpoint endpoint)
    : executor_(std::move(executor)), endpoint_(std::move(endpoint)) {
  const std::size_t n = std::max<std::size_t>(endpoint_.pool_size, 1);
  for (std::size_t i = 0; i < n; ++i) pool_.push_back(std::make_shared<RedisConnection>(executor_, endpoint_));
}

RedisClient::~RedisClient() { close(); }

void RedisClient::close() {
  for (const auto& connection : pool_) connection->close();
}

std::size_t RedisClient::live_connections() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(pool_.begin(), pool_.end(), [](const auto& c) { return c->usable(); }));
}

void RedisClient::eval(const RedisScript& script, std::vector<std::string> keys, std::vector<std::string> args,
                       Done done) {
  auto call = std::make_shared<RedisCall>(executor_, script, std::move(done));
  call->keys = std::move(keys);
  call->args = std::move(args);
  // Connections are opened on demand (first use, after an idle close, or
  // once a failed one's backoff has passed); calls go round robin over
  // those that are up (or connecting: hiredis queues the commands).
  const Clock::time_point now = Clock::now();
  for (const auto& c : pool_) {
    if (c->may_connect(now)) c->connect();
  }
  RedisConnection* connection = nullptr;
  for (std::size_t i = 0; i < pool_.size() && connection == nullptr; ++i) {
    RedisConnection* candidate = pool_[(next_ + i) % pool_.size()].get();
    if (candidate->usable()) connection = candidate;
  }
  next_ = (next_ + 1) % pool_.size();
  if (connection == nullptr) {
    return RedisConnection::finish(call, {RedisResult::Status::kUnavailable, {}, "no connection (reconnecting)"});
  }
  std::weak_ptr<RedisConnection> weak = connection->weak_from_this();
  call->timer.expires_after(endpoint_.timeout);
  call->timer.async_wait([call, weak](const boost::system::error_code& ec) {
    if (ec || call->finished) return;
    RedisConnection::finish(call, {RedisResult::Status::kTimeout, {}, "timed out"});
    // The late reply would hold up everything pipelined behind it.
    if (auto c = weak.lock()) c->drop();
  });
  connection->send(call);
}

}  // namespace gatehouse::policies::rate_limit
