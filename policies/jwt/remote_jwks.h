#pragma once
// Remote JWKS: fetched, cached and refreshed off the request path.
//
// JwksFetcher is a process-wide service (PolicyServices::shared) that owns
// one thread running its own io_context: every fetch, timer and parse of a
// remote key set happens there, never on a worker. It hands out one
// RemoteJwks per distinct RemoteJwksSettings (URL, CA file, bounds), so
// routes naming the same URL share a cache, and a reload that keeps a URL
// keeps its keys (the service holds them weakly; a new config takes them
// over before the old one lets go).
//
// RemoteJwks (a RemoteKeySource):
// - The first fetch starts when it is created. Requests that come before it
//   completes wait for it (RemoteKeySource::fetch()).
// - A good response (200, a JWKS with at least one usable key) replaces the
//   key set; it is kept for the response's Cache-Control max-age clamped to
//   [min_cache_ttl, max_cache_ttl] (without max-age: 5 minutes, clamped),
//   and refreshed in the background at 80% of that time, so requests never
//   see it expire.
// - A failed fetch (network, TLS, status, bad JSON, no usable key) keeps the
//   last good set, logs why, and is retried after refetch_interval.
// - An unknown kid asks for a fetch; at most one fetch starts per
//   refetch_interval, whatever asks (a flood of kids gets one fetch).
// Thread-safe. When the last policy using a RemoteJwks is gone, its timers
// stop and it is freed.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <prometheus/counter.h>
#include <prometheus/family.h>

#include "policies/jwt/jwks_http_client.h"
#include "policies/jwt/key_source.h"
#include "policies/jwt/remote_jwks_settings.h"
#include "proxy/policy/services.h"

namespace gatehouse::policies::jwt {

// The cache lifetime for a Cache-Control value: max-age clamped to the
// bounds; no-store/no-cache count as 0; absent or unparsable: 5 minutes.
std::chrono::milliseconds jwks_cache_ttl(std::string_view cache_control, std::chrono::milliseconds min,
                                         std::chrono::milliseconds max);

// How a fetch ended, for gatehouse_jwt_jwks_fetches_total{result}.
struct FetchCounters {
  prometheus::Counter* ok = nullptr;
  prometheus::Counter* failed = nullptr;
};

class RemoteJwks final : public RemoteKeySource, public std::enable_shared_from_this<RemoteJwks> {
 public:
  using Fetch = std::function<void(std::function<void(JwksHttpResult)>)>;

  // `fetch` performs one GET on `io`'s thread (tests inject their own).
  RemoteJwks(boost::asio::io_context& io, RemoteJwksSettings settings, Fetch fetch, FetchCounters counters);
  ~RemoteJwks() override;

  // Starts the first fetch; call once, after construction.
  void start();

  std::shared_ptr<const KeySet> keys() const override;
  bool fetch(std::function<void()> on_done) override;

  const RemoteJwksSettings& settings() const noexcept { return settings_; }

 private:
  using Clock = std::chrono::steady_clock;
  // With mutex_ held: marks a fetch in flight and posts it to io_.
  void begin_fetch_locked();
  void on_fetched(JwksHttpResult result);
  void schedule(std::chrono::milliseconds delay);

  boost::asio::io_context& io_;
  const RemoteJwksSettings settings_;
  Fetch fetch_;
  FetchCounters counters_;
  std::shared_ptr<boost::asio::steady_timer> timer_;  // only touched on io_'s thread

  mutable std::mutex mutex_;
  std::shared_ptr<const KeySet> keys_;
  bool in_flight_ = false;
  bool started_any_ = false;
  Clock::time_point last_start_{};
  std::vector<std::function<void()>> waiters_;
};

class JwksFetcher {
 public:
  explicit JwksFetcher(policy::PolicyServices& services);
  ~JwksFetcher();
  JwksFetcher(const JwksFetcher&) = delete;
  JwksFetcher& operator=(const JwksFetcher&) = delete;

  // The shared key set for `settings`, created (and its first fetch
  // started) on first use. Null with `error` when the TLS client context
  // cannot be built (e.g. an unreadable ca_file).
  std::shared_ptr<RemoteJwks> key_set(const RemoteJwksSettings& settings, std::string& error);

  // Ends the fetch thread: fetches in flight are abandoned and no waiter is
  // resumed afterwards. Idempotent; called by PolicyServices::stop() and by
  // the destructor. Not from the fetch thread itself.
  void stop();

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  prometheus::Family<prometheus::Counter>* fetches_;
  std::mutex mutex_;
  std::map<std::string, std::weak_ptr<RemoteJwks>> sets_;
  std::thread thread_;  // last: started once everything it uses exists
};

}  // namespace gatehouse::policies::jwt
