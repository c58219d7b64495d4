// gatehouse-api: the sample REST service that Gatehouse fronts in the demo,
// the integration tests and the benchmarks.
//
//   gatehouse-api --listen HOST:PORT --db PATH [--config FILE]
//
// The optional YAML config takes the same keys (`listen`, `db`); flags given
// on the command line win over it. One io_context thread serves everything.

#include <csignal>
#include <cstdio>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <yaml-cpp/yaml.h>

#include "examples/api/api_service.h"
#include "examples/api/database.h"
#include "examples/api/migrations.h"
#include "proxy/common/log.h"
#include "proxy/server/buffered_http_server.h"

namespace {

using tcp = boost::asio::ip::tcp;
using namespace gatehouse;

int usage(const char* why) {
  std::fprintf(stderr, "gatehouse-api: %s\n", why);
  std::fprintf(stderr, "usage: gatehouse-api --listen HOST:PORT --db PATH [--config FILE]\n");
  return 2;
}

// "127.0.0.1:8080", "[::1]:8080" or "localhost:8080".
bool resolve(std::string_view listen, tcp::endpoint& out) {
  std::size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string host(listen.substr(0, colon));
  std::string port(listen.substr(colon + 1));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  boost::asio::io_context io;
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(host, port, tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) return false;
  out = results.begin()->endpoint();
  return true;
}

struct Options {
  std::string listen;
  std::string db;
};

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
      if (key != "listen" && key != "db") {
        error = path + ":" + std::to_string(entry.first.Mark().line + 1) + ": unknown key `" + key + "`";
        return false;
      }
    }
    if (options.listen.empty() && root["listen"]) options.listen = root["listen"].as<std::string>();
    if (options.db.empty() && root["db"]) options.db = root["db"].as<std::string>();
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
    if (i + 1 >= argc) return usage("missing value after an option");
    std::string value = argv[++i];
    if (arg == "--listen") {
      options.listen = value;
    } else if (arg == "--db") {
      options.db = value;
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
  tcp::endpoint endpoint;
  if (!resolve(options.listen, endpoint)) return usage("cannot resolve the --listen address");

  // A peer that closes while we write must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  boost::asio::io_context io{1};
  // Installed before the socket opens, so an early signal is never fatal.
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);

  try {
    api::Database db(options.db);
    int applied = api::migrate(db, api::schema_migrations());
    if (applied > 0) log_info("applied " + std::to_string(applied) + " schema migration(s) to " + options.db);

    api::ApiService service(db);
    http::BufferedHttpServer server(
        io, [&service](http::ServerRequest& request, http::Respond respond) { service.handle(request, respond); });
    std::string error;
    if (!server.listen(endpoint, error)) {
      log_error(error);
      return 1;
    }
    tcp::endpoint bound = server.local_endpoint();
    std::string address = bound.address().to_string();
    if (bound.address().is_v6()) address = "[" + address + "]";
    log_info("gatehouse-api listening on " + address + ":" + std::to_string(bound.port()) + ", database " +
             options.db);

    signals.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      log_info("stopping");
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
