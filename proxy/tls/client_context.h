#pragma once
// TLS towards a server Gatehouse connects to (an upstream, the rate_limit
// policy's Redis): the certificate is verified against a CA file or
// the system's trust store, the host name is checked (or the IP address,
// for a target written as one), SNI is sent for names, and an optional
// client certificate is presented.
//
// Built at config load (files read on the control thread), immutable, and
// shared by every worker: new_connection() may run concurrently.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/tls/certificate.h"
#include "proxy/tls/openssl_util.h"

namespace gatehouse::tls {

struct ClientTlsSettings {
  std::string ca_file;      // empty: the system's default trust store
  bool verify = true;       // false only for tests and labs: no certificate or name check
  std::string server_name;  // overrides the target's host for SNI and the name check
  std::string cert_file;    // client certificate (mTLS to the upstream), with key_file
  std::string key_file;
  std::string alpn = "http/1.1";  // the one protocol offered; empty: no ALPN (e.g. Redis)
};

class ClientTlsContext {
 public:
  // On failure returns null with `error` naming the file and the reason.
  static std::shared_ptr<const ClientTlsContext> create(const ClientTlsSettings& settings, std::string& error);
  ClientTlsContext(const ClientTlsContext&) = delete;
  ClientTlsContext& operator=(const ClientTlsContext&) = delete;

  // An SSL for a connection to `host` (a name, or an IP literal): SNI and
  // the verified identity set. The caller owns it; null if OpenSSL fails.
  SSL* new_connection(std::string_view host) const;

  const ClientTlsSettings& settings() const noexcept { return settings_; }

 private:
  ClientTlsContext() = default;
  ClientTlsSettings settings_;
  SslCtxPtr ctx_;
};

}  // namespace gatehouse::tls
