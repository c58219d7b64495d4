#pragma once
// gatehouse-api's options, from the command line and an optional YAML file.
//
// Every option has a flag and, unless it exists only for tests, a config key
// of the same name in snake_case (`--webhook-url` / `webhook_url`). Flags win
// over the file. One table drives both (api_options.cc), so the two can
// never disagree about names, ranges or messages.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "examples/api/api_settings.h"
#include "proxy/common/cidr.h"

namespace gatehouse::api {

struct ApiOptions {
  std::string listen;
  std::string db;
  // Exactly one signing method: an EC P-256 key file (ES256; generated when
  // missing) or a file holding an HS256 shared secret of at least 32 bytes.
  std::string signing_key;
  std::string signing_secret_file;
  std::string issuer;
  std::string audience;
  bool trust_gateway_headers = false;
  std::vector<Cidr> gateway_networks = default_gateway_networks();
  int bcrypt_cost = 12;
  std::string webhook_url;
  std::int64_t outbox_max_attempts = 8;
  std::int64_t outbox_backoff_base_ms = 500;
  std::int64_t outbox_poll_ms = 200;
  std::int64_t cleanup_interval_ms = 10 * 60 * 1000;
};

// Parses argv (and the file named by --config). On failure, nullopt and
// `error` says why, naming the flag or file:line of the key.
std::optional<ApiOptions> parse_api_options(int argc, const char* const* argv, std::string& error);

// The usage text, for errors.
const char* api_usage();

}  // namespace gatehouse::api
