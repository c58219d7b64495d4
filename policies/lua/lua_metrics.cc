#include "policies/lua/lua_metrics.h"

#include <string>

#include "proxy/common/log.h"

namespace gatehouse::policies::lua {

LuaMetrics::LuaMetrics(policy::PolicyServices& services)
    : errors_(&prometheus::BuildCounter()
                   .Name("gatehouse_lua_errors_total")
                   .Help("Lua hook calls that failed (error, instruction or memory limit), by route and phase")
                   .Register(services.metrics_registry())) {}

LuaErrorCounters LuaMetrics::for_route(std::string_view route) {
  LuaErrorCounters out;
  if (route.empty()) return out;
  const std::string name(route);
  out.request = &errors_->Add({{"route", name}, {"phase", "request"}});
  out.response = &errors_->Add({{"route", name}, {"phase", "response"}});
  return out;
}

void LuaErrorLog::report(std::string_view route, HookPhase phase, std::string_view request_id,
                         std::string_view message) {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  std::int64_t due = next_line_at_.load(std::memory_order_relaxed);
  if (now < due || !next_line_at_.compare_exchange_strong(
                       due, now + std::chrono::nanoseconds(kLogInterval).count(), std::memory_order_relaxed)) {
    left_out_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  constexpr std::size_t kMaxMessage = 512;
  std::string line = "lua: route `" + std::string(route) + "`: " +
                     (phase == HookPhase::kRequest ? "on_request" : "on_response") + " failed (request " +
                     std::string(request_id) + "): ";
  for (char c : message.substr(0, kMaxMessage)) {
    auto byte = static_cast<unsigned char>(c);
    line += byte < 0x20 || byte == 0x7f ? '?' : c;
  }
  if (message.size() > kMaxMessage) line += "...";
  if (const std::uint64_t left_out = left_out_.exchange(0, std::memory_order_relaxed); left_out > 0) {
    line += " (" + std::to_string(left_out) + " more failures of this route's script were not logged)";
  }
  log_warn(line);
}

}  // namespace gatehouse::policies::lua
