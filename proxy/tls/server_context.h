#pragma once
// A TLS listener's server side: its certificates (selected by SNI, and
// between ECDSA and RSA by what the client supports), protocol versions,
// ciphers, ALPN, session resumption and optional client certificates.
//
// Built once per config load on the control thread, immutable afterwards
// and shared by every worker (OpenSSL's SSL_CTX is safe for concurrent
// SSL_new()); connections keep it alive while they handshake. A reload
// builds a new one: open connections keep the certificates they started
// with, new ones get the new files.
//
// Certificates are grouped by the set of names they serve: certificates
// with the same names (an ECDSA and an RSA one) share an SSL_CTX and OpenSSL
// picks by the client's signature algorithms. The first group is the
// default for clients without SNI or with an unknown name. Lookup is exact
// first, then a wildcard covering exactly one label ("*.example.com" serves
// "a.example.com", not "example.com" nor "a.b.example.com").

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/tls/certificate.h"
#include "proxy/tls/openssl_util.h"
#include "proxy/tls/ticket_keys.h"

namespace gatehouse::tls {

// TLS 1.2 suites with forward secrecy and AEAD only (no RSA key exchange,
// no CBC): Mozilla's "intermediate" list without DHE. TLS 1.3 suites are
// OpenSSL's defaults, all of which qualify.
inline constexpr std::string_view kModernCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

enum class ClientAuth { kOff, kOptional, kRequired };

struct ServerTlsSettings {
  struct CertificateFiles {
    std::string cert_file;
    std::string key_file;
  };
  std::string listener_name;
  std::vector<CertificateFiles> certificates;  // at least one
  int min_version = TLS1_2_VERSION;
  int max_version = TLS1_3_VERSION;
  std::string ciphers{kModernCiphers};  // TLS 1.2 cipher list
  std::size_t session_cache_size = 20'480;   // 0 turns the server-side cache off
  std::chrono::seconds session_timeout{3600};
  bool session_tickets = true;
  std::chrono::seconds ticket_key_rotation{12 * 3600};
  ClientAuth client_auth = ClientAuth::kOff;
  std::string client_ca_file;  // required unless client_auth is off
};

// A problem found while building; `certificate` indexes settings.certificates
// (-1: not about one certificate).
struct TlsBuildError {
  int certificate = -1;
  std::string message;
};

class ServerTlsContext {
 public:
  // Reads every file; on any problem returns null and fills `errors`.
  static std::shared_ptr<const ServerTlsContext> create(const ServerTlsSettings& settings, TicketKeyRings& rings,
                                                        std::vector<TlsBuildError>& errors);
  ~ServerTlsContext();
  ServerTlsContext(const ServerTlsContext&) = delete;
  ServerTlsContext& operator=(const ServerTlsContext&) = delete;

  // A new server-side SSL for one connection (the caller owns it), or null
  // when OpenSSL cannot allocate one.
  SSL* new_connection() const;

  const ServerTlsSettings& settings() const noexcept { return settings_; }
  // Every certificate, for the expiry metric.
  const std::vector<Certificate>& certificates() const noexcept { return certificates_; }

  // The group serving `server_name` (lowercase, no trailing dot), or the
  // default group.
  SSL_CTX* context_for(std::string_view server_name) const;

 private:
  ServerTlsContext() = default;
  static int on_server_name(SSL* ssl, int* alert, void* arg);

  ServerTlsSettings settings_;
  std::vector<Certificate> certificates_;
  std::vector<SslCtxPtr> groups_;  // [0] is the default
  std::unordered_map<std::string, std::size_t> exact_;     // name -> group
  std::unordered_map<std::string, std::size_t> wildcard_;  // ".example.com" -> group
  std::shared_ptr<TicketKeyRing> tickets_;
};

// The verified subject of the client certificate on `ssl` (RFC 2253), or ""
// when the client sent none or it did not verify.
std::string verified_client_subject(SSL* ssl);

}  // namespace gatehouse::tls
