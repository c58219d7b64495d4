#pragma once
// One GET of a JWKS document over HTTPS (or plain HTTP to a loopback
// address), with Boost.Beast on the fetcher's io_context: resolve, connect,
// TLS handshake (certificate and host name verified by ClientTlsContext),
// request, response with a 1 MiB body limit, all under one deadline.
//
// Lifetime: the operation keeps itself alive (shared_from_this) until
// `done` has been called, exactly once, on the io_context's thread.

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "policies/jwt/remote_jwks_settings.h"
#include "proxy/tls/client_context.h"

namespace gatehouse::policies::jwt {

struct JwksHttpResult {
  bool ok = false;            // a 200 response was read completely
  unsigned status = 0;
  std::string body;
  std::string cache_control;  // the Cache-Control header, if any
  std::string error;          // why not ok, for the log
};

// `tls` is null for http:// URIs.
void fetch_jwks_document(boost::asio::io_context& io, const RemoteJwksSettings& settings,
                         std::shared_ptr<const tls::ClientTlsContext> tls,
                         std::function<void(JwksHttpResult)> done);

}  // namespace gatehouse::policies::jwt
