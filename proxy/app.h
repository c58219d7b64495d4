#pragma once
// The Gatehouse process: loads the config, starts the workers and the admin
// listener, and owns the control thread (signals, shutdown). The control
// thread is the only one that loads config or resolves names.

#include <string>

namespace gatehouse {

// Runs until SIGTERM/SIGINT, then drains (stop accepting, finish in-flight
// requests within drain_timeout) and returns the process exit code.
int run_server(const std::string& config_path);

// Validates a config file like `nginx -t`: prints every error, returns 0 or 1.
int check_config(const std::string& config_path);

}  // namespace gatehouse
