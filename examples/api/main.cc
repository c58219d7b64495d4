// gatehouse-api: the sample REST service that Gatehouse fronts in the demo,
// the integration tests and the benchmarks.
//
//   gatehouse-api --listen HOST:PORT --db PATH --signing-key PEM
//                 [--issuer URL] [--audience NAME] [--trust-gateway-headers]
//                 [--config FILE]
//
// The optional YAML config takes the same keys (`listen`, `db`,
// `signing_key`, `issuer`, `audience`, `trust_gateway_headers`); flags given
// on the command line win over it. A signing key file that does not exist is
// generated (EC P-256, mode 0600) on start. One io_context thread serves
// everything; bcrypt runs on a small thread pool.
//
// Hidden: `--bcrypt-cost N` (default 12, at least 4) lets tests hash fast.
//
// Background work: `--webhook-url http://HOST:PORT/path` turns on the outbox
// worker (welcome-email jobs POSTed there), `--outbox-max-attempts N`
// (default 8) before a job is dead. Hidden, for tests:
// `--outbox-backoff-base-ms`, `--outbox-poll-ms`, `--cleanup-interval-ms`
// (expired refresh tokens are deleted every 10 minutes by default).

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <yaml-cpp/yaml.h>

#include "examples/api/api_service.h"
#include "examples/api/api_settings.h"
#include "examples/api/auth/jwt_signer.h"
#include "examples/api/auth/key_files.h"
#include "examples/api/database.h"
#include "examples/api/migrations.h"
#include "examples/api/outbox_worker.h"
#include "examples/api/token_cleanup.h"
#include "examples/api/webhook_client.h"
#include "proxy/common/listen_address.h"
#include "proxy/common/log.h"
#include "proxy/server/buffered_http_server.h"

namespace {

using tcp = boost::asio::ip::tcp;
using namespace gatehouse;

int usage(const char* why) {
  std::fprintf(stderr, "gatehouse-api: %s\n", why);
  std::fprintf(stderr,
               "usage: gatehouse-api --listen HOST:PORT --db PATH --signing-key PEM [--issuer URL]\n"
               "                     [--audience NAME] [--trust-gateway-headers] [--config FILE]\n"
               "                     [--webhook-url http://HOST:PORT/PATH] [--outbox-max-attempts N]\n");
  return 2;
}

struct Options {
  std::string listen;
  std::string db;
  std::string signing_key;
  std::string issuer;
  std::string audience;
  std::optional<bool> trust_gateway_headers;
  int bcrypt_cost = gatehouse::api::auth::kBcryptCost;
  std::string webhook_url;
  std::int64_t outbox_max_attempts = 8;
  std::int64_t outbox_backoff_base_ms = 500;
  std::int64_t outbox_poll_ms = 200;
  std::int64_t cleanup_interval_ms = 10 * 60 * 1000;
};

// A whole decimal number in [min, max].
bool parse_number(const std::string& value, std::int64_t min, std::int64_t max, std::int64_t& out) {
  std::int64_t n = 0;
  auto r = std::from_chars(value.data(), value.data() + value.size(), n);
  if (r.ec != std::errc() || r.ptr != value.data() + value.size() || n < min || n > max) return false;
  out = n;
  return true;
}

bool is_config_key(const std::string& key) {
  return key == "listen" || key == "db" || key == "signing_key" || key == "issuer" || key == "audience" ||
         key == "trust_gateway_headers";
}

// Fills what the command line left empty from the YAML file.
bool load_config(const std::string& path, Options& options, std::string& error) {
  try {
    YAML::Node root = YAML::LoadFile(path);
    if (!root.IsMap()) {
      error = path + ": the config must be a mapping";
      return false;
    }
    for (const auto& entry : root) {
      std::string key = entry.first.as<std::string>();
      if (!is_config_key(key)) {
        error = path + ":" + std::to_string(entry.first.Mark().line + 1) + ": unknown key `" + key + "`";
        return false;
      }
    }
    if (options.listen.empty() && root["listen"]) options.listen = root["listen"].as<std::string>();
    if (options.db.empty() && root["db"]) options.db = root["db"].as<std::string>();
    if (options.signing_key.empty() && root["signing_key"]) {
      options.signing_key = root["signing_key"].as<std::string>();
    }
    if (options.issuer.empty() && root["issuer"]) options.issuer = root["issuer"].as<std::string>();
    if (options.audience.empty() && root["audience"]) options.audience = root["audience"].as<std::string>();
    if (!options.trust_gateway_headers && root["trust_gateway_headers"]) {
      options.trust_gateway_headers = root["trust_gateway_headers"].as<bool>();
    }
    return true;
  } catch (const YAML::Exception& e) {
    error = path + ": " + e.what();
    return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--trust-gateway-headers") {
      options.trust_gateway_headers = true;
      continue;
    }
    if (i + 1 >= argc) return usage("missing value after an option");
    std::string value = argv[++i];
    if (arg == "--listen") {
      options.listen = value;
    } else if (arg == "--db") {
      options.db = value;
    } else if (arg == "--signing-key") {
      options.signing_key = value;
    } else if (arg == "--issuer") {
      options.issuer = value;
    } else if (arg == "--audience") {
      options.audience = value;
    } else if (arg == "--bcrypt-cost") {
      auto r = std::from_chars(value.data(), value.data() + value.size(), options.bcrypt_cost);
      if (r.ec != std::errc() || r.ptr != value.data() + value.size() || options.bcrypt_cost < 4 ||
          options.bcrypt_cost > 31) {
        return usage("--bcrypt-cost must be 4..31");
      }
    } else if (arg == "--webhook-url") {
      options.webhook_url = value;
    } else if (arg == "--outbox-max-attempts") {
      if (!parse_number(value, 1, 1000, options.outbox_max_attempts)) {
        return usage("--outbox-max-attempts must be 1..1000");
      }
    } else if (arg == "--outbox-backoff-base-ms") {
      if (!parse_number(value, 0, 3'600'000, options.outbox_backoff_base_ms)) {
        return usage("--outbox-backoff-base-ms must be 0..3600000");
      }
    } else if (arg == "--outbox-poll-ms") {
      if (!parse_number(value, 1, 3'600'000, options.outbox_poll_ms)) {
        return usage("--outbox-poll-ms must be 1..3600000");
      }
    } else if (arg == "--cleanup-interval-ms") {
      if (!parse_number(value, 1, 86'400'000, options.cleanup_interval_ms)) {
        return usage("--cleanup-interval-ms must be 1..86400000");
      }
    } else if (arg == "--config") {
      config_path = value;
    } else {
      return usage("unknown option");
    }
  }
  if (!config_path.empty()) {
    std::string error;
    if (!load_config(config_path, options, error)) {
      std::fprintf(stderr, "gatehouse-api: %s\n", error.c_str());
      return 2;
    }
  }
  if (options.listen.empty()) return usage("--listen is required");
  if (options.db.empty()) return usage("--db is required");
  if (options.signing_key.empty()) return usage("--signing-key is required");
  api::ApiSettings settings;
  if (!options.issuer.empty()) settings.tokens.issuer = options.issuer;
  if (!options.audience.empty()) settings.tokens.audience = options.audience;
  settings.bcrypt_cost = options.bcrypt_cost;
  settings.trust_gateway_headers = options.trust_gateway_headers.value_or(false);
  api::OutboxSettings outbox_settings;
  if (!options.webhook_url.empty()) {
    outbox_settings.webhook = api::parse_webhook_url(options.webhook_url);
    if (!outbox_settings.webhook) return usage("--webhook-url must be http://HOST[:PORT][/PATH]");
  }
  outbox_settings.max_attempts = static_cast<int>(options.outbox_max_attempts);
  outbox_settings.backoff_base_ms = options.outbox_backoff_base_ms;
  outbox_settings.backoff_cap_ms = std::max<std::int64_t>(60'000, options.outbox_backoff_base_ms);
  outbox_settings.poll_interval = std::chrono::milliseconds(options.outbox_poll_ms);

  // The demo relies on a key appearing on first start.
  std::error_code exists_error;
  if (!std::filesystem::exists(options.signing_key, exists_error)) {
    if (!api::auth::generate_ec_key_pem(options.signing_key)) {
      std::fprintf(stderr, "gatehouse-api: cannot create the signing key %s\n", options.signing_key.c_str());
      return 1;
    }
    log_info("generated a new EC P-256 signing key at " + options.signing_key);
  }
  std::optional<api::auth::JwtSigner> signer =
      api::auth::JwtSigner::from_ec_private_key(api::auth::load_ec_private_key_file(options.signing_key));
  if (!signer) {
    std::fprintf(stderr, "gatehouse-api: %s does not hold an unencrypted EC P-256 private key\n",
                 options.signing_key.c_str());
    return 1;
  }
  std::optional<tcp::endpoint> endpoint = resolve_listen_address(options.listen);
  if (!endpoint) return usage("cannot resolve the --listen address");

  // A peer that closes while we write must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  boost::asio::io_context io{1};
  // Installed before the socket opens, so an early signal is never fatal.
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);

  try {
    api::Database db(options.db);
    int applied = api::migrate(db, api::schema_migrations());
    if (applied > 0) log_info("applied " + std::to_string(applied) + " schema migration(s) to " + options.db);

    api::ApiService service(db, io, *signer, settings);
    http::BufferedHttpServer server(
        io, [&service](http::ServerRequest& request, http::Respond respond) { service.handle(request, respond); });
    std::string error;
    if (!server.listen(*endpoint, error)) {
      log_error(error);
      return 1;
    }
    tcp::endpoint bound = server.local_endpoint();
    std::string address = bound.address().to_string();
    if (bound.address().is_v6()) address = "[" + address + "]";
    log_info("gatehouse-api listening on " + address + ":" + std::to_string(bound.port()) + ", database " +
             options.db + ", key id " + signer->kid() +
             (settings.trust_gateway_headers ? ", trusting X-User-* headers from the gateway" : ""));

    api::OutboxWorker outbox(db, io, outbox_settings);
    outbox.start();
    if (outbox_settings.webhook) log_info("outbox: delivering to " + options.webhook_url);
    api::TokenCleanup cleanup(db, io, std::chrono::milliseconds(options.cleanup_interval_ms));
    cleanup.start();

    signals.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      log_info("stopping");
      outbox.stop();
      cleanup.stop();
      server.stop();
      io.stop();
    });
    io.run();
  } catch (const api::DatabaseError& e) {
    log_error(std::string("database: ") + e.what());
    return 1;
  }
  log_info("gatehouse-api stopped");
  return 0;
}
