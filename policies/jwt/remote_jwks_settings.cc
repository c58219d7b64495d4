#include "policies/jwt/remote_jwks_settings.h"

#include <charconv>
#include <optional>

#include <boost/asio/ip/address.hpp>

namespace gatehouse::policies::jwt {

std::string JwksUri::text() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return std::string(https ? "https://" : "http://") + h + ":" + std::to_string(port) + target;
}

std::optional<JwksUri> parse_jwks_uri(std::string_view text, std::string& error) {
  JwksUri uri;
  if (text.starts_with("https://")) {
    text.remove_prefix(8);
  } else if (text.starts_with("http://")) {
    uri.https = false;
    uri.port = 80;
    text.remove_prefix(7);
  } else {
    error = "expected an https:// URL";
    return std::nullopt;
  }
  std::size_t slash = text.find('/');
  std::string_view authority = text.substr(0, slash);
  uri.target = slash == std::string_view::npos ? "/" : std::string(text.substr(slash));
  if (uri.target.find_first_of(" \t\r\n#") != std::string::npos) {
    error = "the URL's path must not contain spaces, control characters or a fragment";
    return std::nullopt;
  }
  if (authority.find('@') != std::string_view::npos) {
    error = "the URL must not contain credentials";
    return std::nullopt;
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "unterminated IPv6 address in the URL";
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        error = "unexpected text after the IPv6 address";
        return std::nullopt;
      }
      port = rest.substr(1);
    }
  } else if (std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) {
    error = "the URL has no host";
    return std::nullopt;
  }
  uri.host = std::string(host);
  if (!port.empty() || authority.ends_with(':')) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      error = "bad port in the URL";
      return std::nullopt;
    }
    uri.port = static_cast<std::uint16_t>(value);
  }
  if (!uri.https) {
    boost::system::error_code ec;
    boost::asio::ip::address address = boost::asio::ip::make_address(uri.host, ec);
    bool loopback = (!ec && address.is_loopback()) || uri.host == "localhost";
    if (!loopback) {
      error = "keys are fetched over https:// only (plain http:// is allowed for loopback addresses)";
      return std::nullopt;
    }
  }
  return uri;
}

std::string RemoteJwksSettings::fingerprint() const {
  return uri.text() + "|ca=" + ca_file + "|min=" + std::to_string(min_cache_ttl.count()) +
         "|max=" + std::to_string(max_cache_ttl.count()) + "|refetch=" + std::to_string(refetch_interval.count()) +
         "|timeout=" + std::to_string(fetch_timeout.count());
}

}  // namespace gatehouse::policies::jwt
