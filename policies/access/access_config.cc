#include "policies/access/access_config.h"

#include <algorithm>
#include <array>
#include <string_view>

#include <boost/asio/ip/address.hpp>

namespace gatehouse::policies::access {
namespace {

bool is_method_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

constexpr std::array<std::string_view, 9> kStandardMethods{"GET", "HEAD", "POST", "PUT", "DELETE",
                                                           "PATCH", "OPTIONS", "TRACE", "CONNECT"};

std::string method_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool read_methods(const config::ConfigNode& node, AccessConfig& out) {
  if (!node.defined()) return true;
  if (!node.is_sequence()) {
    node.error("expected a list of methods, e.g. `[GET, POST]`");
    return false;
  }
  bool ok = true;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const config::ConfigNode item = node.at(i);
    std::optional<std::string> method = item.as_string();
    if (!method) {
      ok = false;
      continue;
    }
    if (!is_method_token(*method)) {
      item.error("`" + *method + "` is not an HTTP method (an RFC 9110 token)");
      ok = false;
      continue;
    }
    // Methods are case-sensitive: `get` would never match a GET request.
    if (*method != method_upper(*method) &&
        std::find(kStandardMethods.begin(), kStandardMethods.end(), method_upper(*method)) != kStandardMethods.end()) {
      item.error("methods are case-sensitive; did you mean `" + method_upper(*method) + "`?");
      ok = false;
      continue;
    }
    if (std::find(out.methods.begin(), out.methods.end(), *method) != out.methods.end()) continue;
    out.methods.push_back(std::move(*method));
  }
  if (ok && out.methods.empty()) {
    node.error("an empty list would refuse every request; leave `methods` out to allow any method");
    return false;
  }
  // GET implies HEAD, as in route matching (RFC 9110 §9.3.2: HEAD is GET
  // without the body).
  const bool get = std::find(out.methods.begin(), out.methods.end(), "GET") != out.methods.end();
  const bool head = std::find(out.methods.begin(), out.methods.end(), "HEAD") != out.methods.end();
  if (get && !head) out.methods.emplace_back("HEAD");
  for (const std::string& m : out.methods) out.allow_header += (out.allow_header.empty() ? "" : ", ") + m;
  return ok;
}

std::optional<Cidr> read_network(const config::ConfigNode& item) {
  std::optional<std::string> text = item.as_string();
  if (!text) return std::nullopt;
  std::optional<Cidr> cidr = Cidr::parse(*text);
  if (!cidr) {
    item.error("expected an IP address or CIDR network (e.g. `10.0.0.0/8`, `2001:db8::/32`), got `" + *text + "`");
    return std::nullopt;
  }
  // parse() clears host bits; a typo must not silently widen the network.
  boost::system::error_code ec;
  boost::asio::ip::address written = boost::asio::ip::make_address(text->substr(0, text->find('/')), ec);
  if (!ec && written.is_v6() && written.to_v6().is_v4_mapped() && cidr->network().is_v4())
    written = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, written.to_v6());
  if (ec || written != cidr->network()) {
    item.error("`" + *text + "` has bits set after the prefix; did you mean `" + cidr->to_string() + "`?");
    return std::nullopt;
  }
  return cidr;
}

bool read_networks(const config::ConfigNode& node, std::vector<Cidr>& out) {
  if (!node.defined()) return true;
  if (!node.is_sequence()) {
    node.error("expected a list of IP addresses or CIDR networks, e.g. `[10.0.0.0/8, \"::1\"]`");
    return false;
  }
  bool ok = true;
  for (std::size_t i = 0; i < node.size(); ++i) {
    if (std::optional<Cidr> cidr = read_network(node.at(i))) {
      out.push_back(*cidr);
    } else {
      ok = false;
    }
  }
  if (ok && out.empty()) {
    node.error("an empty list; leave the key out instead");
    return false;
  }
  return ok;
}

}  // namespace

std::optional<AccessConfig> parse_access_config(const config::ConfigNode& options) {
  if (!options.is_map() || options.size() == 0) {
    options.error("expected a map with `methods`, `max_body_size`, `allow_ips`, `deny_ips` and/or "
                  "`max_header_count` (a bare `access` checks nothing)");
    return std::nullopt;
  }
  AccessConfig config;
  bool ok = options.expect_keys({"methods", "max_body_size", "allow_ips", "deny_ips", "max_header_count"});
  ok &= read_methods(options["methods"], config);
  if (options["max_body_size"].defined()) {
    config.max_body_size = options["max_body_size"].as_size(0, std::uint64_t{1} << 30);
    ok &= config.max_body_size.has_value();
  }
  ok &= read_networks(options["allow_ips"], config.allow_ips);
  ok &= read_networks(options["deny_ips"], config.deny_ips);
  if (options["max_header_count"].defined()) {
    std::optional<std::int64_t> count = options["max_header_count"].as_int(1, 10000);
    ok &= count.has_value();
    if (count) config.max_header_count = static_cast<std::uint64_t>(*count);
  }
  if (!ok) return std::nullopt;
  return config;
}

}  // namespace gatehouse::policies::access
