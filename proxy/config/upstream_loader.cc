// `upstreams`: named groups of targets, resolved once here so that nothing
// is resolved while serving.

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstring>
#include <set>

#include "proxy/config/client_tls_loader.h"
#include "proxy/config/loader_sections.h"
#include "proxy/tls/client_context.h"

namespace gatehouse::config::detail {
namespace {

namespace ip = boost::asio::ip;

bool valid_upstream_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// RFC 1123 labels (plus '_', common in internal names), at most 253 bytes.
bool valid_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i <= host.size(); ++i) {
    if (i == host.size() || host[i] == '.') {
      if (label == 0 || label > 63) return false;
      if (host[i - 1] == '-' || host[i - label] == '-') return false;
      label = 0;
      continue;
    }
    const char c = host[i];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
    ++label;
  }
  return true;
}

// Resolves `host` synchronously; the first IPv4 address is preferred, as a
// backend on "localhost" usually listens on 127.0.0.1 only.
std::optional<ip::address> resolve(const std::string& host, std::string& why) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* results = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &results);
  if (rc != 0) {
    why = rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc);
    return std::nullopt;
  }
  std::optional<ip::address> v4, v6;
  for (const addrinfo* ai = results; ai; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET && !v4) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(ai->ai_addr);
      ip::address_v4::bytes_type bytes;
      std::memcpy(bytes.data(), &sin->sin_addr, bytes.size());
      v4 = ip::address_v4(bytes);
    } else if (ai->ai_family == AF_INET6 && !v6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr);
      ip::address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), &sin6->sin6_addr, bytes.size());
      v6 = ip::address_v6(bytes, sin6->sin6_scope_id);
    }
  }
  ::freeaddrinfo(results);
  if (v4) return v4;
  if (v6) return v6;
  why = "no IPv4 or IPv6 address";
  return std::nullopt;
}

std::optional<UpstreamTarget> read_target(const ConfigNode& node) {
  std::optional<std::string> written = node.as_string();
  if (!written) return std::nullopt;
  // An optional scheme: https:// turns TLS on (port 443 unless given).
  bool tls = false;
  std::optional<std::string> text = written;
  if (text->rfind("https://", 0) == 0) {
    tls = true;
    text = text->substr(8);
    if (text->find(':', text->find(']') == std::string::npos ? 0 : text->find(']')) == std::string::npos) {
      *text += ":443";
    }
  } else if (text->rfind("http://", 0) == 0) {
    text = text->substr(7);
  }
  if (!text->empty() && text->back() == '/') text->pop_back();
  const std::string expected = "expected `HOST:PORT` or `[IPv6]:PORT` such as `127.0.0.1:3000`";
  std::string host;
  std::string_view port;
  bool bracketed = false;
  if (!text->empty() && text->front() == '[') {
    const std::size_t close = text->find(']');
    if (close == std::string::npos || close + 1 >= text->size() || (*text)[close + 1] != ':') {
      node.error(expected + ", got `" + *text + "`");
      return std::nullopt;
    }
    host = text->substr(1, close - 1);
    port = std::string_view(*text).substr(close + 2);
    bracketed = true;
  } else {
    const std::size_t colon = text->rfind(':');
    if (colon == std::string::npos || text->find(':') != colon) {
      node.error(expected + ", got `" + *text + "`");
      return std::nullopt;
    }
    host = text->substr(0, colon);
    port = std::string_view(*text).substr(colon + 1);
  }
  unsigned port_number = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || port_number < 1 ||
      port_number > 65535) {
    node.error("expected a port from 1 to 65535 in `" + *text + "`");
    return std::nullopt;
  }

  boost::system::error_code parse_error;
  ip::address address = ip::make_address(host, parse_error);
  if (bracketed) {
    if (parse_error || !address.is_v6() || host.find('%') != std::string::npos) {
      node.error("`" + host + "` is not an IPv6 address");
      return std::nullopt;
    }
  } else if (parse_error) {
    if (!valid_host_name(host)) {
      node.error("`" + host + "` is neither an IP address nor a valid host name");
      return std::nullopt;
    }
    std::string why;
    std::optional<ip::address> resolved = resolve(host, why);
    if (!resolved) {
      node.error("cannot resolve `" + host + "`: " + why);
      return std::nullopt;
    }
    address = *resolved;
  }
  return UpstreamTarget{.text = *written,
                        .endpoint = Endpoint(address, static_cast<unsigned short>(port_number)),
                        .host = host,
                        .tls = tls};
}

// `tls:` (see client_tls_loader.h): every target speaks TLS. Without the
// block, only `https://` targets do, verified against the system trust store.
void load_upstream_tls(const ConfigNode& node, UpstreamConfig& u) {
  const bool any_https = std::any_of(u.targets.begin(), u.targets.end(), [](const UpstreamTarget& t) { return t.tls; });
  if (!node.defined() && !any_https) return;
  if (node.defined()) {
    if (!node.expect_map()) return;
    for (UpstreamTarget& t : u.targets) t.tls = true;
  }
  u.tls = load_client_tls(node);  // errors at the upstream when the block is absent
}

}  // namespace

std::vector<UpstreamConfig> load_upstreams(const ConfigNode& upstreams,
                                           std::vector<std::string>& names) {
  std::vector<UpstreamConfig> out;
  if (!upstreams.defined() || !upstreams.expect_map()) return out;
  upstreams.expect_unique_keys();
  std::set<std::string, std::less<>> seen;
  for (auto& [name, node] : upstreams.entries()) {
    if (!seen.insert(name).second) continue;  // duplicate: reported above
    names.push_back(name);
    if (!valid_upstream_name(name))
      node.error("upstream names may contain only letters, digits, `_`, `.` and `-`");
    if (!node.expect_map()) continue;
    node.expect_keys({"targets", "connect_timeout", "timeout", "idle_timeout", "max_idle_connections",
                      "fail_timeout", "tls"});
    UpstreamConfig u;
    u.name = name;

    const ConfigNode targets = require(node, "targets");
    if (targets.is_sequence() && targets.size() == 0) targets.error("at least one target is required");
    for (const ConfigNode& target : list_items(targets))
      if (std::optional<UpstreamTarget> t = read_target(target)) u.targets.push_back(*t);
    u.connect_timeout =
        node.duration_or("connect_timeout", u.connect_timeout, Duration{10}, Duration{60'000});
    u.timeout = node.duration_or("timeout", u.timeout, Duration{10}, Duration{3'600'000});
    u.idle_timeout =
        node.duration_or("idle_timeout", u.idle_timeout, Duration{1'000}, Duration{3'600'000});
    u.max_idle_connections = static_cast<std::uint32_t>(
        node.int_or("max_idle_connections", u.max_idle_connections, 0, 10'000));
    u.fail_timeout = node.duration_or("fail_timeout", u.fail_timeout, Duration{0}, Duration{3'600'000});
    load_upstream_tls(node["tls"], u);
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace gatehouse::config::detail
