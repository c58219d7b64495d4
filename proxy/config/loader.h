#pragma once
// Loads and validates a Gatehouse YAML file into an immutable Config.
//
// Contract: validation is complete and strict (unknown keys, wrong types,
// out-of-range values, bad regexes, missing upstream references, duplicate
// names); every error found is reported, each as file:line:column + key path.
// On any error no Config is returned. Upstream host names are resolved here,
// so loading may block: call it from the control thread, never a worker.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/config.h"
#include "proxy/config/diagnostics.h"
#include "proxy/policy/services.h"

namespace gatehouse::config {

struct LoadResult {
  std::shared_ptr<const Config> config;  // null when errors is not empty
  std::vector<Diagnostic> errors;
  // What the policies deferred until the config is put in service (see
  // policy::Activations): the server runs them, once, when it accepts the
  // config, before the workers get it. Empty when errors is not.
  policy::Activations activations;
  void activate() { activations.run(); }
};

// Policies are built with `services` (a fresh instance when null); the
// Config keeps them alive.
LoadResult load_config_file(const std::string& path, std::shared_ptr<policy::PolicyServices> services = nullptr);
// `file_name` is used in diagnostics only.
LoadResult load_config_string(std::string_view yaml, const std::string& file_name,
                              std::shared_ptr<policy::PolicyServices> services = nullptr);

}  // namespace gatehouse::config
