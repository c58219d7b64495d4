#include "examples/api/outbox_worker.h"

#include <algorithm>
#include <utility>

#include <boost/json.hpp>

#include "examples/api/clock.h"
#include "proxy/common/log.h"

namespace gatehouse::api {

std::int64_t enqueue_outbox_job(Database& db, std::string_view kind, const std::string& payload_json) {
  std::int64_t now = now_millis();
  db.prepare("INSERT INTO outbox (kind, payload, attempts, next_attempt_at, state, created_at)"
             " VALUES (?, ?, 0, ?, 'pending', ?)")
      .bind(1, kind)
      .bind(2, payload_json)
      .bind(3, now)
      .bind(4, now)
      .run();
  return db.last_insert_id();
}

OutboxWorker::OutboxWorker(Database& db, boost::asio::io_context& io, OutboxSettings settings)
    : db_(db), io_(io), settings_(std::move(settings)), timer_(io) {}

void OutboxWorker::start() {
  if (!settings_.webhook) return;
  stopped_ = false;
  schedule(std::chrono::milliseconds(0));
}

void OutboxWorker::stop() {
  stopped_ = true;
  timer_.cancel();
}

void OutboxWorker::schedule(std::chrono::milliseconds delay) {
  if (stopped_) return;
  timer_.expires_after(delay);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    poll();
  });
}

void OutboxWorker::poll() {
  if (in_flight_) return;
  std::int64_t id = 0;
  int attempts = 0;
  std::string body;
  try {
    Statement s = db_.prepare(
        "SELECT id, kind, payload, attempts FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?"
        " ORDER BY next_attempt_at, id LIMIT 1");
    s.bind(1, now_millis());
    if (!s.step()) return schedule(settings_.poll_interval);
    id = s.int64(0);
    std::string kind = s.text(1);
    std::string payload = s.text(2);
    attempts = static_cast<int>(s.int64(3));
    boost::json::object object;
    boost::system::error_code ec;
    boost::json::value parsed = boost::json::parse(payload, ec);
    if (!ec && parsed.is_object()) object = std::move(parsed.as_object());
    else object["payload"] = payload;  // not an object: sent as a string
    object["kind"] = kind;
    object["jobId"] = id;
    body = boost::json::serialize(object);
  } catch (const DatabaseError& e) {
    log_error(std::string("outbox: ") + e.what());
    return schedule(settings_.poll_interval);
  }
  in_flight_ = true;
  post_webhook(io_, *settings_.webhook, std::move(body), settings_.delivery_timeout,
               [this, id, attempts](WebhookResult result) {
                 in_flight_ = false;
                 if (stopped_) return;
                 delivered(id, attempts + 1, result);
                 schedule(std::chrono::milliseconds(0));  // more may be due
               });
}

void OutboxWorker::delivered(std::int64_t id, int attempts, const WebhookResult& result) {
  try {
    if (result.status >= 200 && result.status < 300) {
      db_.prepare("UPDATE outbox SET state = 'delivered', attempts = ?, last_error = NULL WHERE id = ?")
          .bind(1, std::int64_t{attempts})
          .bind(2, id)
          .run();
      log_info("outbox: job " + std::to_string(id) + " delivered after " + std::to_string(attempts) + " attempt(s)");
      return;
    }
    std::string error = result.status != 0 ? "HTTP " + std::to_string(result.status) : result.error;
    if (attempts >= settings_.max_attempts) {
      db_.prepare("UPDATE outbox SET state = 'dead', attempts = ?, last_error = ? WHERE id = ?")
          .bind(1, std::int64_t{attempts})
          .bind(2, error)
          .bind(3, id)
          .run();
      log_warn("outbox: job " + std::to_string(id) + " is dead after " + std::to_string(attempts) +
               " attempt(s): " + error);
      return;
    }
    // Full jitter: uniform in [0, min(cap, base * 2^(attempts-1))].
    std::int64_t ceiling = settings_.backoff_base_ms;
    for (int i = 1; i < attempts && ceiling < settings_.backoff_cap_ms; ++i) ceiling *= 2;
    ceiling = std::min(ceiling, settings_.backoff_cap_ms);
    std::int64_t delay = std::uniform_int_distribution<std::int64_t>(0, std::max<std::int64_t>(ceiling, 0))(random_);
    db_.prepare("UPDATE outbox SET attempts = ?, last_error = ?, next_attempt_at = ? WHERE id = ?")
        .bind(1, std::int64_t{attempts})
        .bind(2, error)
        .bind(3, now_millis() + delay)
        .bind(4, id)
        .run();
    log_warn("outbox: job " + std::to_string(id) + " attempt " + std::to_string(attempts) + " failed (" + error +
             "); retry in " + std::to_string(delay) + " ms");
  } catch (const DatabaseError& e) {
    log_error(std::string("outbox: ") + e.what());
  }
}

}  // namespace gatehouse::api
