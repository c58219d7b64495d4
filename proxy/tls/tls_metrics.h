#pragma once
// TLS metrics, registered once per process on the registry /metrics serves:
//   gatehouse_tls_certificate_expiry_timestamp_seconds{listener,name}
//   gatehouse_tls_handshake_failures_total{listener,reason}
//   gatehouse_tls_handshakes_total{listener,resumed}  (completed handshakes)
// A process-wide service (policy::PolicyServices::shared), so reloads reuse
// the same families; counters are atomic and workers only increment them.

#include <mutex>
#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>

#include "proxy/policy/services.h"

namespace gatehouse::tls {

// Why a handshake failed, as the metric's `reason` label.
enum class HandshakeFailure { kProtocol, kClientCertificate, kTimeout, kOther };
inline constexpr std::size_t kHandshakeFailureKinds = 4;

// A listener's handshake counters; all null for a plain listener.
struct ListenerTlsCounters {
  prometheus::Counter* by_reason[kHandshakeFailureKinds] = {};
  prometheus::Counter* completed[2] = {};  // [0] full handshakes, [1] resumed sessions

  bool enabled() const noexcept { return by_reason[0] != nullptr; }
  void count(HandshakeFailure why) const { by_reason[static_cast<std::size_t>(why)]->Increment(); }
  void count_completed(bool resumed) const { completed[resumed ? 1 : 0]->Increment(); }
};

class TlsMetrics {
 public:
  explicit TlsMetrics(policy::PolicyServices& services);

  // Sets the expiry gauge for one certificate (control thread, at load).
  void set_certificate_expiry(const std::string& listener, const std::string& name, double unix_seconds);
  // The handshake counters of a listener; stable for the process's life.
  ListenerTlsCounters handshake_counters(const std::string& listener);

 private:
  std::mutex mutex_;
  prometheus::Family<prometheus::Gauge>* expiry_;
  prometheus::Family<prometheus::Counter>* failures_;
  prometheus::Family<prometheus::Counter>* completed_;
};

// Classifies an error from a failed server handshake.
HandshakeFailure classify_handshake_error(unsigned long openssl_reason_code, bool timed_out);

}  // namespace gatehouse::tls
