// `listeners`, and the IP-literal addresses shared with `admin`.

#include <charconv>
#include <map>

#include "proxy/config/loader_sections.h"

namespace gatehouse::config::detail {
namespace {

namespace ip = boost::asio::ip;

// Splits "host:port" / "[v6]:port"; the port is checked for syntax only.
struct HostPort {
  std::string host;
  unsigned port = 0;
  bool bracketed = false;
};

std::optional<HostPort> split_host_port(std::string_view text) {
  HostPort out;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    out.host = std::string(text.substr(1, close - 1));
    out.bracketed = true;
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    out.host = std::string(text.substr(0, colon));
    // An unbracketed IPv6 address is ambiguous ("::1:80"): refuse it.
    if (out.host.find(':') != std::string::npos) return std::nullopt;
    port = text.substr(colon + 1);
  }
  if (out.host.empty() || port.empty() || port.size() > 5) return std::nullopt;
  for (char c : port)
    if (c < '0' || c > '9') return std::nullopt;
  std::from_chars(port.data(), port.data() + port.size(), out.port);
  return out;
}

std::optional<Cidr> read_trusted_proxy(const ConfigNode& item) {
  std::optional<std::string> text = item.as_string();
  if (!text) return std::nullopt;
  std::optional<Cidr> cidr = Cidr::parse(*text);
  if (!cidr) {
    item.error("expected an IP address or CIDR network (e.g. `10.0.0.0/8`, `::1`), got `" + *text +
               "`");
    return std::nullopt;
  }
  // parse() clears host bits; a typo must not silently widen the network.
  boost::system::error_code ec;
  ip::address written = ip::make_address(text->substr(0, text->find('/')), ec);
  if (!ec && written.is_v6() && written.to_v6().is_v4_mapped() && cidr->network().is_v4())
    written = ip::make_address_v4(ip::v4_mapped, written.to_v6());
  if (ec || written != cidr->network()) {
    item.error("`" + *text + "` has bits set after the prefix; did you mean `" + cidr->to_string() +
               "`?");
    return std::nullopt;
  }
  return cidr;
}

}  // namespace

std::string endpoint_text(const Endpoint& e) {
  const ip::address a = e.address();
  if (a.is_v6()) return "[" + a.to_string() + "]:" + std::to_string(e.port());
  return a.to_string() + ":" + std::to_string(e.port());
}

std::optional<Endpoint> read_ip_endpoint(const ConfigNode& node) {
  std::optional<std::string> text = node.as_string();
  if (!text) return std::nullopt;
  const std::string expected = "expected `IP:PORT` or `[IPv6]:PORT` such as `0.0.0.0:8080` or `[::]:8080`";
  std::optional<HostPort> hp = split_host_port(*text);
  if (!hp) {
    node.error(expected + ", got `" + *text + "`");
    return std::nullopt;
  }
  boost::system::error_code ec;
  ip::address address = ip::make_address(hp->host, ec);
  if (ec || hp->host.find('%') != std::string::npos || address.is_v6() != hp->bracketed) {
    if (ec && !hp->bracketed)
      node.error("`" + hp->host + "` is not an IP address: listening addresses are IP literals " +
                 "such as `0.0.0.0:8080` or `[::]:8080`");
    else
      node.error(expected + ", got `" + *text + "`");
    return std::nullopt;
  }
  if (hp->port > 65535) {
    node.error("port " + std::to_string(hp->port) + " is out of range (0 to 65535)");
    return std::nullopt;
  }
  return Endpoint(address, static_cast<unsigned short>(hp->port));
}

bool endpoints_conflict(const Endpoint& a, const Endpoint& b) {
  if (a.port() == 0 || a.port() != b.port()) return false;
  const ip::address x = a.address(), y = b.address();
  if (x == y) return true;
  // "::" usually accepts IPv4 too (dual stack); "0.0.0.0" covers IPv4 only.
  auto covers = [](const ip::address& wild, const ip::address& other) {
    if (!wild.is_unspecified()) return false;
    return wild.is_v6() || other.is_v4();
  };
  return covers(x, y) || covers(y, x);
}

std::vector<ListenerConfig> load_listeners(const ConfigNode& listeners, policy::PolicyServices& services) {
  std::vector<ListenerConfig> out;
  if (!listeners.defined() || !listeners.expect_sequence()) return out;
  if (listeners.size() == 0) {
    listeners.error("at least one listener is required");
    return out;
  }
  std::map<std::string, std::size_t> names;  // name -> index of first use
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    const ConfigNode node = listeners.at(i);
    if (!node.expect_map()) continue;
    node.expect_keys({"name", "address", "max_header_size", "max_uri_size", "header_timeout",
                      "idle_timeout", "trusted_proxies", "tls", "redirect_to_https"});
    ListenerConfig l;

    l.name = read_unique_name(node, i, "listeners", names);

    const ConfigNode address = require(node, "address");
    bool address_ok = false;
    if (address.defined()) {
      if (std::optional<Endpoint> e = read_ip_endpoint(address)) {
        l.address = *e;
        address_ok = true;
        for (const ListenerConfig& other : out) {
          if (!endpoints_conflict(other.address, l.address)) continue;
          address.error("address `" + endpoint_text(l.address) + "` collides with listener `" +
                        other.name + "` (`" + endpoint_text(other.address) + "`)");
          break;
        }
      }
    }

    l.max_header_size = node.size_or("max_header_size", l.max_header_size, kKiB, kMiB);
    l.max_uri_size = node.size_or("max_uri_size", l.max_uri_size, 256, kMiB);
    l.header_timeout =
        node.duration_or("header_timeout", l.header_timeout, Duration{100}, Duration{600'000});
    l.idle_timeout =
        node.duration_or("idle_timeout", l.idle_timeout, Duration{1'000}, Duration{3'600'000});

    for (const ConfigNode& item : list_items(node["trusted_proxies"]))
      if (std::optional<Cidr> cidr = read_trusted_proxy(item)) l.trusted_proxies.push_back(*cidr);
    if (node["tls"].defined()) load_listener_tls(node["tls"], l, services);
    if (node["redirect_to_https"].defined()) {
      if (l.tls) {
        node["redirect_to_https"].error("a TLS listener cannot redirect to HTTPS; put this on a plain listener");
      } else {
        load_https_redirect(node["redirect_to_https"], l);
      }
    }
    // A listener whose address failed is left out, so that later listeners
    // are not compared against a default address.
    if (address_ok) out.push_back(std::move(l));
  }
  return out;
}

}  // namespace gatehouse::config::detail
