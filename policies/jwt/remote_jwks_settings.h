#pragma once
// Where and how an issuer's remote JWKS is fetched (the `jwks_uri` options),
// parsed at config load.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <string>

namespace gatehouse::policies::jwt {

struct JwksUri {
  bool https = true;
  std::string host;   // a name or an IP literal (without brackets)
  std::uint16_t port = 443;
  std::string target = "/";  // path and query

  std::string text() const;  // scheme://host:port/target, for logs and keys
};

// https://HOST[:PORT][/PATH]; http:// only when HOST is a loopback address
// (127.0.0.0/8, ::1, localhost). nullopt with `error` otherwise.
std::optional<JwksUri> parse_jwks_uri(std::string_view text, std::string& error);

struct RemoteJwksSettings {
  JwksUri uri;
  std::string ca_file;                          // empty: the system trust store
  std::chrono::milliseconds min_cache_ttl{std::chrono::minutes(1)};
  std::chrono::milliseconds max_cache_ttl{std::chrono::hours(24)};
  std::chrono::milliseconds refetch_interval{std::chrono::seconds(30)};  // unknown-kid and retry spacing
  std::chrono::milliseconds fetch_timeout{std::chrono::seconds(5)};

  // Everything that shapes the fetching: equal fingerprints share one cache
  // (across routes and reloads).
  std::string fingerprint() const;
};

}  // namespace gatehouse::policies::jwt
