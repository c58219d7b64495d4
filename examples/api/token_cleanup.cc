#include "examples/api/token_cleanup.h"

#include <string>

#include "examples/api/clock.h"
#include "proxy/common/log.h"

namespace gatehouse::api {

TokenCleanup::TokenCleanup(Database& db, boost::asio::io_context& io, std::chrono::milliseconds interval)
    : db_(db), interval_(interval), timer_(io) {}

void TokenCleanup::start() {
  stopped_ = false;
  schedule();
}

void TokenCleanup::stop() {
  stopped_ = true;
  timer_.cancel();
}

int TokenCleanup::run_once() {
  // A live token's replaced_by may still name an expired one (clocks
  // aside, not in practice); such rows stay so the foreign key holds.
  std::int64_t now = now_millis();
  db_.prepare("DELETE FROM refresh_tokens WHERE expires_at < ? AND id NOT IN"
              " (SELECT replaced_by FROM refresh_tokens WHERE replaced_by IS NOT NULL AND expires_at >= ?)")
      .bind(1, now)
      .bind(2, now)
      .run();
  return db_.changes();
}

void TokenCleanup::schedule() {
  if (stopped_) return;
  timer_.expires_after(interval_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    try {
      int deleted = run_once();
      if (deleted > 0) log_info("cleanup: deleted " + std::to_string(deleted) + " expired refresh token(s)");
    } catch (const DatabaseError& e) {
      log_error(std::string("cleanup: ") + e.what());
    }
    schedule();
  });
}

}  // namespace gatehouse::api
