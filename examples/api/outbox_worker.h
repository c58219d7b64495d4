#pragma once
// The outbox: jobs written in the same transaction as the change that
// caused them (enqueue_outbox_job), delivered later by OutboxWorker to a
// webhook. Jobs are rows, so they survive restarts; delivery is at least
// once (a job in flight when the process stops is sent again).
//
// The worker runs on the API's io_context thread: a timer polls for due
// jobs (state 'pending', next_attempt_at <= now) and POSTs one at a time
// as JSON (the payload plus "kind" and "jobId"). A 2xx marks the job
// 'delivered'; anything else counts an attempt and schedules a retry with
// exponential backoff and full jitter (a random delay in
// [0, min(cap, base * 2^(attempts-1))]); after max_attempts the job is
// 'dead' with last_error kept.

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "examples/api/database.h"
#include "examples/api/webhook_client.h"

namespace gatehouse::api {

// Inserts a pending job due now; call inside the caller's transaction.
std::int64_t enqueue_outbox_job(Database& db, std::string_view kind, const std::string& payload_json);

struct OutboxSettings {
  std::optional<WebhookUrl> webhook;  // unset: the worker stays off
  std::chrono::milliseconds poll_interval{200};
  std::int64_t backoff_base_ms = 500;
  std::int64_t backoff_cap_ms = 60'000;
  int max_attempts = 8;
  std::chrono::milliseconds delivery_timeout{5'000};
};

class OutboxWorker {
 public:
  // `db` and `io` must outlive the worker.
  OutboxWorker(Database& db, boost::asio::io_context& io, OutboxSettings settings);
  OutboxWorker(const OutboxWorker&) = delete;
  OutboxWorker& operator=(const OutboxWorker&) = delete;

  void start();  // no-op without a webhook
  void stop();

 private:
  void schedule(std::chrono::milliseconds delay);
  void poll();
  void delivered(std::int64_t id, int attempts, const WebhookResult& result);

  Database& db_;
  boost::asio::io_context& io_;
  OutboxSettings settings_;
  boost::asio::steady_timer timer_;
  std::mt19937_64 random_{std::random_device{}()};
  bool stopped_ = true;
  bool in_flight_ = false;
};

}  // namespace gatehouse::api
