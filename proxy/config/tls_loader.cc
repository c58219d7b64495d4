// A listener's `tls` block and `redirect_to_https`:
//
//   tls:
//     certificates:                       # the first is the default for SNI misses
//       - { cert_file: ecdsa.crt, key_file: ecdsa.key }
//       - { cert_file: rsa.crt, key_file: rsa.key }
//     protocols: [TLSv1.2, TLSv1.3]       # the default; nothing older is accepted
//     ciphers: ECDHE-ECDSA-AES128-GCM-SHA256:...   # TLS 1.2 list; default: forward secrecy + AEAD only
//     session_cache_size: 20480           # 0 turns the server-side session cache off
//     session_timeout: 1h
//     session_tickets: true
//     ticket_key_rotation: 12h
//     client_certificates: { ca_file: ca.crt, mode: required, subject_header: X-Client-Subject }
//
// Files are read now, on the control thread; every problem names the file.

#include <algorithm>
#include <chrono>

#include "proxy/config/loader_sections.h"
#include "proxy/tls/server_context.h"
#include "proxy/tls/ticket_keys.h"
#include "proxy/tls/tls_metrics.h"

namespace gatehouse::config::detail {
namespace {

std::optional<int> protocol_version(const std::string& name) {
  if (name == "TLSv1.2") return TLS1_2_VERSION;
  if (name == "TLSv1.3") return TLS1_3_VERSION;
  return std::nullopt;
}

void load_protocols(const ConfigNode& node, tls::ServerTlsSettings& s) {
  if (!node.defined()) return;
  std::optional<std::vector<std::string>> names = node.as_string_list();
  if (!names) return;
  if (names->empty()) {
    node.error("at least one protocol is required");
    return;
  }
  int lowest = TLS1_3_VERSION, highest = TLS1_2_VERSION;
  for (const std::string& name : *names) {
    std::optional<int> v = protocol_version(name);
    if (!v) {
      node.error("unsupported protocol `" + name + "`; expected TLSv1.2 or TLSv1.3 (older versions are insecure)");
      return;
    }
    lowest = std::min(lowest, *v);
    highest = std::max(highest, *v);
  }
  s.min_version = lowest;
  s.max_version = highest;
}

void load_client_certificates(const ConfigNode& node, tls::ServerTlsSettings& s, ListenerConfig& l) {
  if (!node.defined() || !node.expect_map()) return;
  node.expect_keys({"ca_file", "mode", "subject_header"});
  if (std::optional<std::string> ca = require(node, "ca_file").as_path()) s.client_ca_file = *ca;
  const std::string mode = node.string_or("mode", "required");
  if (mode == "required") {
    s.client_auth = tls::ClientAuth::kRequired;
  } else if (mode == "optional") {
    s.client_auth = tls::ClientAuth::kOptional;
  } else {
    node["mode"].error("expected `required` or `optional`, got `" + mode + "`");
  }
  if (node["subject_header"].defined()) {
    std::optional<std::string> header = node["subject_header"].as_string();
    if (header && !header->empty()) l.client_subject_header = *header;
  }
}

}  // namespace

void load_listener_tls(const ConfigNode& node, ListenerConfig& l, policy::PolicyServices& services) {
  if (!node.expect_map()) return;
  node.expect_keys({"certificates", "protocols", "ciphers", "session_cache_size", "session_timeout",
                    "session_tickets", "ticket_key_rotation", "client_certificates"});
  tls::ServerTlsSettings s;
  s.listener_name = l.name;
  const ConfigNode certs = require(node, "certificates");
  std::vector<ConfigNode> cert_nodes;
  if (certs.defined() && certs.expect_sequence()) {
    if (certs.size() == 0) certs.error("at least one certificate is required");
    for (std::size_t i = 0; i < certs.size(); ++i) {
      const ConfigNode item = certs.at(i);
      if (!item.expect_map()) continue;
      item.expect_keys({"cert_file", "key_file"});
      std::optional<std::string> cert = require(item, "cert_file").as_path();
      std::optional<std::string> key = require(item, "key_file").as_path();
      if (!cert || !key) continue;
      s.certificates.push_back({*cert, *key});
      cert_nodes.push_back(item);
    }
  }
  load_protocols(node["protocols"], s);
  s.ciphers = node.string_or("ciphers", s.ciphers);
  s.session_cache_size =
      static_cast<std::size_t>(node.int_or("session_cache_size", static_cast<std::int64_t>(s.session_cache_size), 0,
                                           10'000'000));
  s.session_timeout = std::chrono::duration_cast<std::chrono::seconds>(
      node.duration_or("session_timeout", s.session_timeout, Duration{1'000}, Duration{7 * 86'400'000LL}));
  s.session_tickets = node.bool_or("session_tickets", s.session_tickets);
  s.ticket_key_rotation = std::chrono::duration_cast<std::chrono::seconds>(
      node.duration_or("ticket_key_rotation", s.ticket_key_rotation, Duration{1'000}, Duration{7 * 86'400'000LL}));
  load_client_certificates(node["client_certificates"], s, l);
  if (s.certificates.empty() || s.certificates.size() != cert_nodes.size()) return;

  std::vector<tls::TlsBuildError> errors;
  l.tls = tls::ServerTlsContext::create(s, services.shared<tls::TicketKeyRings>(), errors);
  for (const tls::TlsBuildError& e : errors) {
    if (e.certificate >= 0 && static_cast<std::size_t>(e.certificate) < cert_nodes.size()) {
      cert_nodes[static_cast<std::size_t>(e.certificate)].error(e.message);
    } else {
      node.error(e.message);
    }
  }
  if (!l.tls) return;
  tls::TlsMetrics& metrics = services.shared<tls::TlsMetrics>();
  l.tls_counters = metrics.handshake_counters(l.name);
  for (const tls::Certificate& c : l.tls->certificates()) {
    const std::string name = c.names.empty() ? c.cert_file : c.names.front();
    metrics.set_certificate_expiry(l.name, name + " (" + tls::key_type_name(c.key_type) + ")",
                                   static_cast<double>(c.not_after));
  }
}

void load_https_redirect(const ConfigNode& node, ListenerConfig& l) {
  if (node.is_scalar()) {
    std::optional<bool> on = node.as_bool();
    if (on && *on) l.redirect_to_https_port = 443;
    return;
  }
  if (!node.expect_map()) return;
  node.expect_keys({"port"});
  l.redirect_to_https_port = static_cast<std::uint16_t>(node.int_or("port", 443, 1, 65535));
}

}  // namespace gatehouse::config::detail
