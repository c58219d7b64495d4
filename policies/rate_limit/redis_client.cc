#include "policies/rate_limit/redis_client.h"

#include <openssl/sha.h>

#include <algorithm>
#include <map>
#include <string_view>
#include <utility>

#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/query.hpp>

#include "policies/rate_limit/redis_connection.h"
#include "proxy/tls/client_context.h"

namespace gatehouse::policies::rate_limit {
namespace asio = boost::asio;

namespace {

// The clients of one io_context, destroyed with it. Registered after the
// socket service (see for_executor), so it shuts down first, while its
// connections' sockets can still be closed.
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
  std::string id = host + '\0' + std::to_string(port) + '\0' + username + '\0' + password + '\0' +
                   std::to_string(timeout.count()) + '\0' + std::to_string(pool_size);
  // The TLS settings, not the context: each config load builds a new context,
  // and a reload that keeps the settings keeps the client (for_executor hands
  // it the newer context).
  if (tls != nullptr) {
    const tls::ClientTlsSettings& s = tls->settings();
    id += "\0tls\0" + s.ca_file + '\0' + (s.verify ? "1" : "0") + '\0' + s.server_name + '\0' + s.cert_file +
          '\0' + s.key_file;
  }
  return id;
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
    // Makes sure the socket service and reactor exist before our service,
    // so they are shut down after it.
    asio::ip::tcp::socket probe(executor);
  }
  RedisClients& clients = asio::use_service<RedisClients>(context);
  auto it = clients.clients.find(id);
  if (it == clients.clients.end()) {
    it = clients.clients.emplace(std::string(id), std::make_shared<RedisClient>(executor, endpoint)).first;
  }
  RedisClient& client = *it->second;
  // Same settings, but perhaps re-read files (a reload): connections opened
  // from now on use the newest context. Only this thread reads it.
  if (client.endpoint_->tls != endpoint.tls) client.endpoint_->tls = endpoint.tls;
  return it->second;
}

RedisClient::RedisClient(asio::any_io_executor executor, RedisEndpoint endpoint)
    : executor_(std::move(executor)), endpoint_(std::make_shared<RedisEndpoint>(std::move(endpoint))) {
  const std::size_t n = std::max<std::size_t>(endpoint_->pool_size, 1);
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
  // those that are up (or connecting: the connection queues the commands).
  const RedisConnection::Clock::time_point now = RedisConnection::Clock::now();
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
  call->timer.expires_after(endpoint_->timeout);
  call->timer.async_wait([call, weak](const boost::system::error_code& ec) {
    if (ec || call->finished) return;
    RedisConnection::finish(call, {RedisResult::Status::kTimeout, {}, "timed out"});
    // The late reply would hold up everything pipelined behind it.
    if (auto c = weak.lock()) c->drop("a call timed out");
  });
  connection->send(call);
}

}  // namespace gatehouse::policies::rate_limit
