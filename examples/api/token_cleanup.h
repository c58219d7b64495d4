#pragma once
// A periodic job on the API's io_context: deletes refresh tokens whose
// expires_at has passed (every 10 minutes by default) and logs how many (when any).

#include <chrono>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "examples/api/database.h"

namespace gatehouse::api {

class TokenCleanup {
 public:
  TokenCleanup(Database& db, boost::asio::io_context& io, std::chrono::milliseconds interval);
  TokenCleanup(const TokenCleanup&) = delete;
  TokenCleanup& operator=(const TokenCleanup&) = delete;

  void start();
  void stop();
  // One pass now; returns the rows deleted.
  int run_once();

 private:
  void schedule();

  Database& db_;
  std::chrono::milliseconds interval_;
  boost::asio::steady_timer timer_;
  bool stopped_ = true;
};

}  // namespace gatehouse::api
