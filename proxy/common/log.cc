#include "proxy/common/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace gatehouse {
namespace {

void write(std::string_view level, std::string_view message) {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t seconds = system_clock::to_time_t(now);
  auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::fprintf(stderr, "%s.%03lldZ %.*s %.*s\n", stamp, static_cast<long long>(millis),
               static_cast<int>(level.size()), level.data(), static_cast<int>(message.size()), message.data());
}

}  // namespace

void log_info(std::string_view message) { write("info", message); }
void log_warn(std::string_view message) { write("warn", message); }
void log_error(std::string_view message) { write("error", message); }

}  // namespace gatehouse
