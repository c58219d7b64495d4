#include "proxy/tls/client_context.h"

#include <boost/asio/ip/address.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace gatehouse::tls {

std::shared_ptr<const ClientTlsContext> ClientTlsContext::create(const ClientTlsSettings& settings,
                                                                 std::string& error) {
  std::shared_ptr<ClientTlsContext> out(new ClientTlsContext());
  out->settings_ = settings;
  out->ctx_.reset(SSL_CTX_new(TLS_client_method()));
  SSL_CTX* ctx = out->ctx_.get();
  if (ctx == nullptr) {
    error = "cannot create a TLS context (" + take_openssl_errors() + ")";
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (!settings.alpn.empty() && settings.alpn.size() < 256) {
    std::string wire(1, static_cast<char>(settings.alpn.size()));  // RFC 7301: length-prefixed names
    wire += settings.alpn;
    SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned>(wire.size()));
  }
  if (settings.verify) {
    const int loaded = settings.ca_file.empty()
                           ? SSL_CTX_set_default_verify_paths(ctx)
                           : SSL_CTX_load_verify_locations(ctx, settings.ca_file.c_str(), nullptr);
    if (loaded != 1) {
      error = (settings.ca_file.empty() ? std::string("the system trust store") : settings.ca_file) +
              ": cannot load CA certificates (" + take_openssl_errors() + ")";
      return nullptr;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  if (!settings.cert_file.empty()) {
    std::optional<Certificate> cert = load_certificate(settings.cert_file, settings.key_file, error);
    if (!cert) return nullptr;
    bool ok = SSL_CTX_use_certificate(ctx, cert->leaf.get()) == 1;
    for (const X509Ptr& extra : cert->chain) ok = ok && SSL_CTX_add1_chain_cert(ctx, extra.get()) == 1;
    ok = ok && SSL_CTX_use_PrivateKey(ctx, cert->key.get()) == 1;
    if (!ok) {
      error = settings.cert_file + ": OpenSSL refused the client certificate (" + take_openssl_errors() + ")";
      return nullptr;
    }
  }
  return out;
}

SSL* ClientTlsContext::new_connection(std::string_view target_host) const {
  SSL* ssl = SSL_new(ctx_.get());
  if (ssl == nullptr) return nullptr;
  const std::string host(settings_.server_name.empty() ? target_host : std::string_view(settings_.server_name));
  boost::system::error_code not_ip;
  boost::asio::ip::make_address(host, not_ip);
  const bool is_ip = !not_ip;
  bool ok = true;
  // SNI carries names only (RFC 6066 section 3).
  if (!is_ip && !host.empty()) ok = SSL_set_tlsext_host_name(ssl, host.c_str()) == 1;
  if (ok && settings_.verify && !host.empty()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1 : SSL_set1_host(ssl, host.c_str()) == 1;
  }
  if (!ok) {
    SSL_free(ssl);
    take_openssl_errors();
    return nullptr;
  }
  return ssl;
}

}  // namespace gatehouse::tls
