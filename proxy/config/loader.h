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

namespace gatehouse::config {

struct LoadResult {
  std::shared_ptr<const Config> config;  // null when errors is not empty
  std::vector<Diagnostic> errors;
};

LoadResult load_config_file(const std::string& path);
// `file_name` is used in diagnostics only.
LoadResult load_config_string(std::string_view yaml, const std::string& file_name);

}  // namespace gatehouse::config
