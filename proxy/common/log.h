#pragma once
// Process log lines on stderr: "2026-11-25T19:00:00.123Z level message".
// For the control plane (start, reload, shutdown, errors); the request path
// does not log per request.

#include <string_view>

namespace gatehouse {

void log_info(std::string_view message);
void log_warn(std::string_view message);
void log_error(std::string_view message);

}  // namespace gatehouse
