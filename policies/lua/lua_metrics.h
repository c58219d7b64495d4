#pragma once
// gatehouse_lua_errors_total{route,phase}: hook calls of the `lua` policy
// that failed (a Lua error, the instruction or memory limit, a state that
// could not be built), by route and phase (`request`, `response`). A
// process-wide service so the family is registered once however many
// routes and reloads build policies.
//
// LuaErrorLog: failures are also logged, but the request path does not log
// per request, so each policy logs at most one line per kLogInterval, with
// the number of failures it left out.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>

#include "proxy/policy/services.h"

namespace gatehouse::policies::lua {

enum class HookPhase : std::uint8_t { kRequest, kResponse };

// One route's counters; null for a `defaults` entry (built only to be
// validated).
struct LuaErrorCounters {
  prometheus::Counter* request = nullptr;
  prometheus::Counter* response = nullptr;

  void count(HookPhase phase) const noexcept {
    if (prometheus::Counter* c = phase == HookPhase::kRequest ? request : response) c->Increment();
  }
};

class LuaMetrics {
 public:
  explicit LuaMetrics(policy::PolicyServices& services);
  LuaErrorCounters for_route(std::string_view route);

 private:
  prometheus::Family<prometheus::Counter>* errors_;
};

class LuaErrorLog {
 public:
  static constexpr std::chrono::seconds kLogInterval{10};

  // Logs "lua: route `r`: on_request failed (request <id>): <message>"
  // unless this log wrote a line less than kLogInterval ago. Control
  // characters in the message are replaced (it may quote client data).
  // Thread-safe.
  void report(std::string_view route, HookPhase phase, std::string_view request_id, std::string_view message);

 private:
  std::atomic<std::int64_t> next_line_at_{0};  // steady_clock, nanoseconds
  std::atomic<std::uint64_t> left_out_{0};
};

}  // namespace gatehouse::policies::lua
