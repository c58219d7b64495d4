#include "proxy/tls/tls_metrics.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace gatehouse::tls {
namespace {

constexpr const char* kReasonNames[kHandshakeFailureKinds] = {"protocol", "client_certificate", "timeout", "other"};

}  // namespace

TlsMetrics::TlsMetrics(policy::PolicyServices& services)
    : expiry_(&prometheus::BuildGauge()
                   .Name("gatehouse_tls_certificate_expiry_timestamp_seconds")
                   .Help("When each configured certificate expires (notAfter), as a Unix timestamp")
                   .Register(services.metrics_registry())),
      failures_(&prometheus::BuildCounter()
                     .Name("gatehouse_tls_handshake_failures_total")
                     .Help("TLS handshakes that failed, by listener and reason")
                     .Register(services.metrics_registry())),
      completed_(&prometheus::BuildCounter()
                      .Name("gatehouse_tls_handshakes_total")
                      .Help("TLS handshakes completed, by listener and whether a session was resumed")
                      .Register(services.metrics_registry())) {}

void TlsMetrics::set_certificate_expiry(const std::string& listener, const std::string& name,
                                        double unix_seconds) {
  std::lock_guard lock(mutex_);
  expiry_->Add({{"listener", listener}, {"name", name}}).Set(unix_seconds);
}

ListenerTlsCounters TlsMetrics::handshake_counters(const std::string& listener) {
  std::lock_guard lock(mutex_);
  ListenerTlsCounters out;
  for (std::size_t i = 0; i < kHandshakeFailureKinds; ++i) {
    out.by_reason[i] = &failures_->Add({{"listener", listener}, {"reason", kReasonNames[i]}});
  }
  out.completed[0] = &completed_->Add({{"listener", listener}, {"resumed", "false"}});
  out.completed[1] = &completed_->Add({{"listener", listener}, {"resumed", "true"}});
  return out;
}

HandshakeFailure classify_handshake_error(unsigned long reason, bool timed_out) {
  if (timed_out) return HandshakeFailure::kTimeout;
  switch (reason) {
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_HTTP_REQUEST:
      return HandshakeFailure::kProtocol;
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
      return HandshakeFailure::kClientCertificate;
    default:
      return HandshakeFailure::kOther;
  }
}

}  // namespace gatehouse::tls
