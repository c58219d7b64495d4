#pragma once
// The top-level `access_log` section, as loaded (see docs/configuration.md).
// Part of the immutable Config; the writer it names is the process-wide one
// in the Config's PolicyServices, started by the server (not by loading).

#include <cstdint>
#include <string>

#include "proxy/access_log/access_log_format.h"
#include "proxy/access_log/access_log_writer.h"

namespace gatehouse::access_log {

struct AccessLogConfig {
  bool enabled = false;  // the section is present
  std::string path;      // "stdout", or a file path (relative ones resolved against the config's directory)
  AccessLogFormat format;
  std::uint64_t buffer_size = AccessLogWriter::kDefaultBufferBytes;
  AccessLogWriter* writer = nullptr;  // set when enabled; lives as long as the Config's services
};

}  // namespace gatehouse::access_log
