#pragma once
// The `tls` block of anything Gatehouse connects out to over TLS (an
// upstream, the rate_limit policy's Redis): one set of keys, one parser.
//
//   tls: { ca_file: ca.pem, verify: true, server_name: api.internal, cert_file: client.pem, key_file: client.key }
//
// Every key is optional: without `ca_file` the system trust store verifies
// the server. Files are relative to the config file and are read now, at
// load, so that a bad file is a config error and never a failed connection.

#include <memory>
#include <string_view>

#include "proxy/config/config_node.h"
#include "proxy/tls/client_context.h"

namespace gatehouse::config {

// The TLS context for `node`: a map of the keys above, or, for anything
// else (an absent block, or a `true` the caller accepted), the defaults.
// `alpn` is the one protocol to offer ("" for none: Redis speaks no ALPN).
// Null when a problem was reported on `node`.
std::shared_ptr<const tls::ClientTlsContext> load_client_tls(const ConfigNode& node,
                                                             std::string_view alpn = "http/1.1");

}  // namespace gatehouse::config
