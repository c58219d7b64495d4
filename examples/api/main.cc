// gatehouse-api: the sample REST service that Gatehouse fronts in the demo,
// the integration tests and the benchmarks.
//
//   gatehouse-api --listen HOST:PORT --db PATH
//                 (--signing-key PEM | --signing-secret-file FILE)
//                 [--issuer URL] [--audience NAME] [--trust-gateway-headers]
//                 [--webhook-url URL] [--outbox-max-attempts N] [--config FILE]
//
// Options and their YAML keys are in api_options.h. Tokens are signed ES256
// with the EC P-256 key file (generated, mode 0600, when it does not exist)
// or HS256 with the shared secret in --signing-secret-file. One io_context
// thread serves everything; bcrypt runs on a small thread pool.
//
// Background work: with a webhook URL the outbox worker POSTs welcome-email
// jobs there; expired refresh tokens are deleted every 10 minutes.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>

#include "examples/api/api_options.h"
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

int usage(const std::string& why) {
  std::fprintf(stderr, "gatehouse-api: %s\n%s", why.c_str(), api::api_usage());
  return 2;
}

// The HS256 secret: the file's bytes without a trailing newline.
std::optional<std::string> read_secret_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  return secret;
}

// The signer the options ask for; logs why when there is none.
std::optional<api::auth::JwtSigner> make_signer(const api::ApiOptions& options) {
  if (!options.signing_secret_file.empty()) {
    std::optional<std::string> secret = read_secret_file(options.signing_secret_file);
    if (!secret) {
      log_error("cannot read the signing secret " + options.signing_secret_file);
      return std::nullopt;
    }
    std::optional<api::auth::JwtSigner> signer = api::auth::JwtSigner::from_hs256_secret(*secret);
    if (!signer) log_error(options.signing_secret_file + ": an HS256 secret must be at least 32 bytes");
    return signer;
  }
  // The demo relies on a key appearing on first start.
  std::error_code exists_error;
  if (!std::filesystem::exists(options.signing_key, exists_error)) {
    if (!api::auth::generate_ec_key_pem(options.signing_key)) {
      log_error("cannot create the signing key " + options.signing_key);
      return std::nullopt;
    }
    log_info("generated a new EC P-256 signing key at " + options.signing_key);
  }
  std::optional<api::auth::JwtSigner> signer =
      api::auth::JwtSigner::from_ec_private_key(api::auth::load_ec_private_key_file(options.signing_key));
  if (!signer) log_error(options.signing_key + " does not hold an unencrypted EC P-256 private key");
  return signer;
}

}  // namespace

int main(int argc, char** argv) {
  std::string error;
  std::optional<api::ApiOptions> parsed = api::parse_api_options(argc, argv, error);
  if (!parsed) return usage(error);
  const api::ApiOptions& options = *parsed;
  api::ApiSettings settings;
  if (!options.issuer.empty()) settings.tokens.issuer = options.issuer;
  if (!options.audience.empty()) settings.tokens.audience = options.audience;
  settings.bcrypt_cost = options.bcrypt_cost;
  settings.trust_gateway_headers = options.trust_gateway_headers;
  settings.gateway_networks = options.gateway_networks;
  api::OutboxSettings outbox_settings;
  if (!options.webhook_url.empty()) {
    outbox_settings.webhook = api::parse_webhook_url(options.webhook_url);
    if (!outbox_settings.webhook) return usage("--webhook-url must be http://HOST[:PORT][/PATH]");
  }
  outbox_settings.max_attempts = static_cast<int>(options.outbox_max_attempts);
  outbox_settings.backoff_base_ms = options.outbox_backoff_base_ms;
  outbox_settings.backoff_cap_ms = std::max<std::int64_t>(60'000, options.outbox_backoff_base_ms);
  outbox_settings.poll_interval = std::chrono::milliseconds(options.outbox_poll_ms);

  std::optional<api::auth::JwtSigner> signer = make_signer(options);
  if (!signer) return 1;
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
    if (!server.listen(*endpoint, error)) {
      log_error(error);
      return 1;
    }
    tcp::endpoint bound = server.local_endpoint();
    std::string address = bound.address().to_string();
    if (bound.address().is_v6()) address = "[" + address + "]";
    log_info("gatehouse-api listening on " + address + ":" + std::to_string(bound.port()) + ", database " +
             options.db +
             (signer->algorithm() == api::auth::JwtAlgorithm::kHS256 ? ", signing HS256"
                                                                     : ", signing ES256 with key id " + signer->kid()) +
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
