#include "proxy/app.h"

#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proxy/access_log/access_log_writer.h"
#include "proxy/admin/admin_server.h"
#include "proxy/admin/metrics.h"
#include "proxy/common/log.h"
#include "proxy/config/loader.h"
#include "proxy/server/snapshot.h"
#include "proxy/server/worker.h"

namespace gatehouse {
namespace {

void print_errors(const std::vector<config::Diagnostic>& errors) {
  for (const config::Diagnostic& d : errors) std::fprintf(stderr, "%s\n", d.to_string().c_str());
}

// Waits for the workers to drain, polling: a drain is rare and short, and
// this keeps the workers free of any cross-thread signalling.
class DrainWatch {
 public:
  DrainWatch(boost::asio::io_context& io, std::vector<std::unique_ptr<Worker>>& workers,
             std::chrono::steady_clock::time_point deadline)
      : timer_(io), workers_(workers), deadline_(deadline) {}

  template <typename Done>
  void wait(Done done) {
    timer_.expires_after(std::chrono::milliseconds(20));
    timer_.async_wait([this, done](const boost::system::error_code& ec) {
      if (ec) return;
      bool all = true;
      for (auto& w : workers_) all = all && w->drained();
      if (all) return done(true);
      if (std::chrono::steady_clock::now() >= deadline_) return done(false);
      wait(done);
    });
  }

 private:
  boost::asio::steady_timer timer_;
  std::vector<std::unique_ptr<Worker>>& workers_;
  std::chrono::steady_clock::time_point deadline_;
};

// What a reload cannot change: sockets are bound and threads started once.
std::string restart_only_change(const config::Config& running, const config::Config& next) {
  if (running.workers != next.workers) return "`workers` changed";
  if (running.admin.address != next.admin.address) return "`admin.address` changed";
  if (running.listeners.size() != next.listeners.size()) return "the set of listeners changed";
  for (std::size_t i = 0; i < running.listeners.size(); ++i) {
    if (running.listeners[i].name != next.listeners[i].name ||
        running.listeners[i].address != next.listeners[i].address) {
      return "listener `" + next.listeners[i].name + "` changed its name or address";
    }
  }
  return {};
}

// Points the process's access-log writer at what `config` says; a config
// without `access_log` leaves it as it is (its exchanges log nothing).
bool apply_access_log(access_log::AccessLogWriter& writer, const config::Config& config, std::string& error) {
  if (!config.access_log.enabled) return true;
  return writer.configure(config.access_log.path, config.access_log.buffer_size, error);
}

}  // namespace

int check_config(const std::string& config_path) {
  config::LoadResult result = config::load_config_file(config_path);
  if (!result.errors.empty()) {
    print_errors(result.errors);
    std::fprintf(stderr, "gatehouse: configuration file %s test failed (%zu error%s)\n", config_path.c_str(),
                 result.errors.size(), result.errors.size() == 1 ? "" : "s");
    return 1;
  }
  std::fprintf(stderr, "gatehouse: configuration file %s test is successful\n", config_path.c_str());
  return 0;
}

int run_server(const std::string& config_path) {
  // Policies register their metrics while the config loads, so the registry
  // (and the services built on it, shared by every reload) comes first.
  Metrics metrics;
  auto services = std::make_shared<policy::PolicyServices>(metrics.registry());
  config::LoadResult loaded = config::load_config_file(config_path, services);
  if (!loaded.errors.empty()) {
    print_errors(loaded.errors);
    return 1;
  }
  loaded.activate();
  // A peer that closes while we write must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);

  auto snapshot = std::make_shared<const Snapshot>(loaded.config, metrics);
  const config::Config& config = snapshot->config();
  // The writer's thread is ended by services->stop(), after the workers, so
  // every line they queued is written before the process exits.
  access_log::AccessLogWriter& log_writer = services->shared<access_log::AccessLogWriter>();
  std::string error;
  if (!apply_access_log(log_writer, config, error)) {
    log_error(error);
    return 1;
  }

  boost::asio::io_context control{1};
  // Installed before any socket opens, so an early signal is never fatal.
  boost::asio::signal_set signals(control, SIGTERM, SIGINT);
  boost::asio::signal_set reload_signal(control, SIGHUP);
  boost::asio::signal_set reopen_signal(control, SIGUSR1);  // log rotation, as nginx
  bool draining = false;
  AdminServer admin(control, metrics, [&draining] { return !draining; }, services.get());
  if (!admin.listen(config.admin.address, error)) {
    log_error(error);
    return 1;
  }

  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned i = 0; i < config.workers; ++i) {
    workers.push_back(std::make_unique<Worker>(i, metrics, snapshot));
    if (!workers.back()->bind(error)) {
      log_error(error);
      return 1;
    }
  }
  for (auto& w : workers) w->start();
  for (const config::ListenerConfig& l : config.listeners) {
    log_info("listener `" + l.name + "` on " + l.address.address().to_string() + ":" +
             std::to_string(l.address.port()));
  }
  log_info("admin on " + config.admin.address.address().to_string() + ":" +
           std::to_string(config.admin.address.port()));
  log_info("gatehouse started with " + std::to_string(config.workers) + " worker(s)");

  // SIGHUP reloads: a file with errors, or one that changes what only a
  // restart can change, is reported and the running config stays.
  std::shared_ptr<const Snapshot> running = snapshot;
  std::function<void()> wait_for_reload = [&] {
    reload_signal.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      config::LoadResult next = config::load_config_file(config_path, services);
      if (!next.errors.empty()) {
        for (const config::Diagnostic& d : next.errors) log_error(d.to_string());
        log_error("reload rejected: " + std::to_string(next.errors.size()) +
                  " error(s); still serving the previous configuration");
      } else if (std::string why = restart_only_change(running->config(), *next.config); !why.empty()) {
        log_error("reload rejected: " + why + " (needs a restart); still serving the previous configuration");
      } else if (std::string log_error_text; !apply_access_log(log_writer, *next.config, log_error_text)) {
        log_error("reload rejected: " + log_error_text + "; still serving the previous configuration");
      } else {
        next.activate();
        running = std::make_shared<const Snapshot>(next.config, metrics);
        for (auto& w : workers) w->update(running);
        log_info("configuration reloaded from " + config_path);
      }
      wait_for_reload();
    });
  };
  wait_for_reload();

  // SIGUSR1 reopens the access log file by its path: after a rotation
  // (`mv access.log access.log.1`), lines go to a new access.log.
  std::function<void()> wait_for_reopen = [&] {
    reopen_signal.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      std::string reopen_error;
      if (!log_writer.reopen(reopen_error)) {
        log_error(reopen_error + "; still writing to the previous file");
      } else if (!log_writer.path().empty() && log_writer.path() != access_log::AccessLogWriter::kStdout) {
        log_info("access log `" + log_writer.path() + "` reopened");
      }
      wait_for_reopen();
    });
  };
  wait_for_reopen();

  std::unique_ptr<DrainWatch> watch;
  int exit_code = 0;
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log_info(std::string("received ") + (signal == SIGTERM ? "SIGTERM" : "SIGINT") + ", draining for up to " +
             std::to_string(config.drain_timeout.count()) + "ms");
    draining = true;
    for (auto& w : workers) w->begin_drain();
    watch = std::make_unique<DrainWatch>(control, workers, std::chrono::steady_clock::now() + config.drain_timeout);
    watch->wait([&](bool clean) {
      if (!clean) log_warn("drain timeout reached; closing the remaining connections");
      // Stopped even when drained: a drained loop can still hold background
      // work that never ends by itself (a policy's idle store connection
      // waiting for readability), and nothing is left that needs finishing.
      for (auto& w : workers) w->stop_now();
      admin.stop();
      signals.cancel();
      reload_signal.cancel();
      reopen_signal.cancel();
      control.stop();
    });
  });
  control.run();
  for (auto& w : workers) w->join();
  // While the workers' io_contexts still exist: services that post to them
  // (a JWKS fetch completing) end here. The access log writes out what the
  // workers queued, the lines of the drained requests included.
  services->stop();
  log_info("gatehouse stopped");
  return exit_code;
}

}  // namespace gatehouse
