#include "policies/jwt/remote_jwks.h"

#include <algorithm>
#include <charconv>

#include <boost/asio/post.hpp>

#include "policies/jwt/jwks.h"
#include "proxy/common/log.h"

namespace gatehouse::policies::jwt {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kDefaultTtl = std::chrono::minutes(5);

void count(prometheus::Counter* c) {
  if (c != nullptr) c->Increment();
}

}  // namespace

milliseconds jwks_cache_ttl(std::string_view cache_control, milliseconds min, milliseconds max) {
  std::optional<milliseconds> ttl;
  std::string_view rest = cache_control;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == "no-store" || item == "no-cache") {
      ttl = milliseconds(0);
      break;
    }
    if (item.size() > 8 && item.substr(0, 8) == "max-age=") {
      std::string_view digits = item.substr(8);
      if (digits.size() >= 2 && digits.front() == '"' && digits.back() == '"') digits = digits.substr(1, digits.size() - 2);
      std::uint64_t seconds = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seconds);
      if (ec == std::errc() && end == digits.data() + digits.size()) {
        seconds = std::min<std::uint64_t>(seconds, 10ull * 365 * 24 * 3600);
        ttl = milliseconds(static_cast<std::int64_t>(seconds) * 1000);
      } else if (ec == std::errc::result_out_of_range) {
        ttl = max;
      }
    }
  }
  return std::clamp(ttl.value_or(kDefaultTtl), min, max);
}

RemoteJwks::RemoteJwks(boost::asio::io_context& io, RemoteJwksSettings settings, Fetch fetch, FetchCounters counters)
    : io_(io),
      settings_(std::move(settings)),
      fetch_(std::move(fetch)),
      counters_(counters),
      timer_(std::make_shared<boost::asio::steady_timer>(io)) {}

RemoteJwks::~RemoteJwks() {
  // The timer belongs to io_'s thread: cancel it there. Its handler holds
  // only a weak reference to this object, and the shared_ptr keeps the
  // timer itself alive until then.
  boost::asio::post(io_, [timer = timer_]() { timer->cancel(); });
}

void RemoteJwks::start() {
  std::lock_guard lock(mutex_);
  if (!started_any_) begin_fetch_locked();
}

std::shared_ptr<const KeySet> RemoteJwks::keys() const {
  std::lock_guard lock(mutex_);
  return keys_;
}

bool RemoteJwks::fetch(std::function<void()> on_done) {
  std::lock_guard lock(mutex_);
  if (!in_flight_) {
    if (started_any_ && Clock::now() - last_start_ < settings_.refetch_interval) return false;
    begin_fetch_locked();
  }
  waiters_.push_back(std::move(on_done));
  return true;
}

void RemoteJwks::begin_fetch_locked() {
  in_flight_ = true;
  started_any_ = true;
  last_start_ = Clock::now();
  boost::asio::post(io_, [weak = weak_from_this()]() {
    std::shared_ptr<RemoteJwks> self = weak.lock();
    if (!self) return;
    self->fetch_([weak](JwksHttpResult result) {
      if (std::shared_ptr<RemoteJwks> s = weak.lock()) s->on_fetched(std::move(result));
    });
  });
}

void RemoteJwks::on_fetched(JwksHttpResult result) {
  std::string error = result.error;
  std::shared_ptr<const KeySet> fresh;
  if (result.ok) {
    JwksParseResult parsed = parse_jwks(result.body);
    if (!parsed.ok) error = parsed.error;
    else if (parsed.keys.empty()) error = "no usable key in the set";
    else fresh = std::make_shared<const KeySet>(std::move(parsed.keys));
    for (const std::string& why : parsed.skipped) {
      log_warn("jwt: " + settings_.uri.text() + ": skipped " + why);
    }
  }
  std::vector<std::function<void()>> waiters;
  milliseconds next = settings_.refetch_interval;
  {
    std::lock_guard lock(mutex_);
    in_flight_ = false;
    if (fresh) {
      keys_ = std::move(fresh);
      const milliseconds ttl = jwks_cache_ttl(result.cache_control, settings_.min_cache_ttl, settings_.max_cache_ttl);
      next = std::max(milliseconds(ttl.count() * 8 / 10), milliseconds(100));
    }
    waiters.swap(waiters_);
  }
  if (error.empty()) {
    count(counters_.ok);
  } else {
    count(counters_.failed);
    log_warn("jwt: fetching keys from " + settings_.uri.text() + " failed (" + error + "); " +
             (keys() ? "keeping the last good keys" : "no keys yet") + ", retrying in " +
             std::to_string(next.count()) + "ms");
  }
  schedule(next);
  for (auto& waiter : waiters) waiter();
}

void RemoteJwks::schedule(milliseconds delay) {
  timer_->expires_after(delay);
  timer_->async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    std::shared_ptr<RemoteJwks> self = weak.lock();
    if (!self) return;
    std::lock_guard lock(self->mutex_);
    if (!self->in_flight_) self->begin_fetch_locked();
  });
}

JwksFetcher::JwksFetcher(policy::PolicyServices& services)
    : work_(boost::asio::make_work_guard(io_)),
      fetches_(&prometheus::BuildCounter()
                    .Name("gatehouse_jwt_jwks_fetches_total")
                    .Help("Remote JWKS fetches by result (ok, failed)")
                    .Register(services.metrics_registry())),
      thread_([this]() { io_.run(); }) {
  // Waiting requests are resumed by posting to their worker: that must end
  // before the workers' io_contexts do, not when the services are freed.
  services.on_stop([this] { stop(); });
}

JwksFetcher::~JwksFetcher() { stop(); }

void JwksFetcher::stop() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<RemoteJwks> JwksFetcher::key_set(const RemoteJwksSettings& settings, std::string& error) {
  std::lock_guard lock(mutex_);
  const std::string id = settings.fingerprint();
  if (std::shared_ptr<RemoteJwks> existing = sets_[id].lock()) return existing;
  std::shared_ptr<const tls::ClientTlsContext> tls;
  if (settings.uri.https) {
    tls::ClientTlsSettings tls_settings;
    tls_settings.ca_file = settings.ca_file;
    tls = tls::ClientTlsContext::create(tls_settings, error);
    if (!tls) return nullptr;
  }
  auto fetch = [this, settings, tls](std::function<void(JwksHttpResult)> done) {
    fetch_jwks_document(io_, settings, tls, std::move(done));
  };
  const std::string uri = settings.uri.text();
  FetchCounters counters{.ok = &fetches_->Add({{"uri", uri}, {"result", "ok"}}),
                         .failed = &fetches_->Add({{"uri", uri}, {"result", "failed"}})};
  auto set = std::make_shared<RemoteJwks>(io_, settings, std::move(fetch), counters);
  set->start();
  sets_[id] = set;
  for (auto it = sets_.begin(); it != sets_.end();) {
    if (it->second.expired()) it = sets_.erase(it);
    else ++it;
  }
  return set;
}

}  // namespace gatehouse::policies::jwt
