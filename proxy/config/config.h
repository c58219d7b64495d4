#pragma once
// The validated, immutable configuration snapshot. Built once by the loader
// (config/loader.h) and shared read-only as std::shared_ptr<const Config>;
// nothing in it is parsed or resolved while serving.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "proxy/access_log/access_log_config.h"
#include "proxy/common/cidr.h"
#include "proxy/config/config_node.h"
#include "proxy/http/message.h"
#include "proxy/policy/chain.h"
#include "proxy/policy/services.h"
#include "proxy/tls/tls_metrics.h"

namespace gatehouse::tls {
class ClientTlsContext;
class ServerTlsContext;
}

namespace re2 {
class RE2;
}

namespace gatehouse::config {

using Endpoint = boost::asio::ip::tcp::endpoint;

struct ListenerConfig {
  std::string name;
  Endpoint address;
  std::uint64_t max_header_size = 32 * 1024;   // request line + headers, else 431
  std::uint64_t max_uri_size = 8 * 1024;       // request-target, else 414
  Duration header_timeout{10'000};             // whole head must arrive, else 408
  Duration idle_timeout{60'000};               // keep-alive wait for the next request
  std::vector<Cidr> trusted_proxies;           // X-Forwarded-* accepted only from these
  // TLS: null for a plain listener.
  std::shared_ptr<const tls::ServerTlsContext> tls;
  tls::ListenerTlsCounters tls_counters;  // set when `tls` is
  // With client certificates: the header that carries the verified subject
  // upstream (always stripped from what the client sent); empty: none.
  std::string client_subject_header;
  // A plain listener that answers every request with 308 to https://
  // on this port (443 is left out of the Location).
  std::optional<std::uint16_t> redirect_to_https_port;
};

struct AdminConfig {
  Endpoint address{boost::asio::ip::make_address("127.0.0.1"), 9901};
};

struct UpstreamTarget {
  std::string text;  // "host:port" as written, for logs and metrics
  Endpoint endpoint; // resolved at load time
  std::string host;  // as written (name or IP): SNI and the certificate check
  bool tls = false;  // `https://` target, or the upstream has a `tls` block
};

struct UpstreamConfig {
  std::string name;
  std::vector<UpstreamTarget> targets;
  Duration connect_timeout{2'000};
  Duration timeout{30'000};       // response head, and each body read, must arrive within it
  Duration idle_timeout{60'000};  // pooled keep-alive connections are closed after it
  std::uint32_t max_idle_connections = 64;  // per worker and target
  // A target that refused or timed out a connection is skipped for this long
  // when the group has other targets; 0 turns passive marking off.
  Duration fail_timeout{10'000};
  // Set when any target speaks TLS.
  std::shared_ptr<const tls::ClientTlsContext> tls;
};

struct RouteMatch {
  enum class PathKind : std::uint8_t { kAny, kExact, kPrefix, kRegex };
  // "*" (any), "*.example.com" (any subdomain) or an exact host; lowercase.
  std::string host = "*";
  PathKind path_kind = PathKind::kAny;
  std::string path;                      // exact path or prefix
  std::shared_ptr<const re2::RE2> path_regex;  // full match against the path
  std::array<bool, http::kMethodCount> methods{};  // all false = any method
  bool any_method = true;
};

struct RouteConfig {
  std::string name;
  RouteMatch match;
  std::string upstream;
  std::size_t upstream_index = 0;  // into Config::upstreams
  std::uint64_t max_body_size = 1024 * 1024;  // else 413
  bool access_log = true;  // `access_log: off` leaves this route's exchanges out of the access log
  policy::PolicyChain policies;
};

struct Config {
  // What the policies were built with; declared first so that it outlives
  // the routes whose policies refer to it.
  std::shared_ptr<policy::PolicyServices> services;
  std::string source_file;
  unsigned workers = 0;  // resolved: never 0 after loading ("auto" = hardware threads)
  Duration drain_timeout{10'000};
  std::vector<ListenerConfig> listeners;
  AdminConfig admin;
  std::vector<UpstreamConfig> upstreams;  // in file order
  std::vector<RouteConfig> routes;        // in file order; first match wins
  access_log::AccessLogConfig access_log;
};

}  // namespace gatehouse::config
