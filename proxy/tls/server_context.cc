#include "proxy/tls/server_context.h"

#include <algorithm>
#include <map>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace gatehouse::tls {
namespace {

int context_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// ALPN: http/1.1 only for now. A client offering only other protocols
// (h2) gets no ALPN answer rather than a failed handshake, as nginx does.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                unsigned int in_len, void*) {
  static const unsigned char kProtocols[] = "\x08http/1.1";
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_len, kProtocols, sizeof kProtocols - 1, in, in_len) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Everything but the certificates, identical for every group so that
// switching group on SNI changes nothing else.
bool configure(SSL_CTX* ctx, const ServerTlsSettings& s, TicketKeyRing* ring, const void* owner,
               std::vector<TlsBuildError>& errors) {
  SSL_CTX_set_min_proto_version(ctx, s.min_version);
  SSL_CTX_set_max_proto_version(ctx, s.max_version);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_SINGLE_ECDH_USE);
  if (SSL_CTX_set_cipher_list(ctx, s.ciphers.c_str()) != 1) {
    errors.push_back({-1, "ciphers: OpenSSL accepts none of `" + s.ciphers + "` (" + take_openssl_errors() + ")"});
    return false;
  }
  // The same id context everywhere: a session from one group or one worker
  // resumes on any other.
  static const unsigned char kSessionContext[] = "gatehouse";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  if (s.session_cache_size > 0) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(ctx, static_cast<long>(s.session_cache_size));
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  }
  SSL_CTX_set_timeout(ctx, static_cast<long>(s.session_timeout.count()));
  if (s.session_tickets && ring != nullptr) {
    SSL_CTX_set_ex_data(ctx, TicketKeyRing::ring_index(), ring);
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, &TicketKeyRing::openssl_callback);
  } else {
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  }
  SSL_CTX_set_alpn_select_cb(ctx, &select_alpn, nullptr);
  SSL_CTX_set_ex_data(ctx, context_index(), const_cast<void*>(owner));
  if (s.client_auth != ClientAuth::kOff) {
    if (SSL_CTX_load_verify_locations(ctx, s.client_ca_file.c_str(), nullptr) != 1) {
      errors.push_back({-1, s.client_ca_file + ": cannot load the client CA file (" + take_openssl_errors() + ")"});
      return false;
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(s.client_ca_file.c_str());
    if (names == nullptr) {
      errors.push_back({-1, s.client_ca_file + ": no CA certificates in the file"});
      take_openssl_errors();
      return false;
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    const int mode = s.client_auth == ClientAuth::kRequired ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                                                            : SSL_VERIFY_PEER;
    SSL_CTX_set_verify(ctx, mode, nullptr);
    SSL_CTX_set_verify_depth(ctx, 4);
  }
  return true;
}

bool use_certificate(SSL_CTX* ctx, const Certificate& cert) {
  if (SSL_CTX_use_certificate(ctx, cert.leaf.get()) != 1) return false;
  for (const X509Ptr& extra : cert.chain) {
    if (SSL_CTX_add1_chain_cert(ctx, extra.get()) != 1) return false;
  }
  return SSL_CTX_use_PrivateKey(ctx, cert.key.get()) == 1;
}

}  // namespace

ServerTlsContext::~ServerTlsContext() = default;

std::shared_ptr<const ServerTlsContext> ServerTlsContext::create(const ServerTlsSettings& settings,
                                                                 TicketKeyRings& rings,
                                                                 std::vector<TlsBuildError>& errors) {
  const std::size_t errors_before = errors.size();
  std::shared_ptr<ServerTlsContext> out(new ServerTlsContext());
  out->settings_ = settings;
  for (std::size_t i = 0; i < settings.certificates.size(); ++i) {
    std::string error;
    std::optional<Certificate> cert =
        load_certificate(settings.certificates[i].cert_file, settings.certificates[i].key_file, error);
    if (!cert) {
      errors.push_back({static_cast<int>(i), error});
      continue;
    }
    out->certificates_.push_back(std::move(*cert));
  }
  if (errors.size() != errors_before) return nullptr;
  if (settings.session_tickets) {
    out->tickets_ = rings.for_listener(settings.listener_name, settings.ticket_key_rotation);
  }

  // Group by name set, keeping the order of first appearance.
  std::map<std::vector<std::string>, std::size_t> group_of;
  std::vector<std::vector<KeyType>> group_types;
  for (std::size_t i = 0; i < out->certificates_.size(); ++i) {
    const Certificate& cert = out->certificates_[i];
    std::vector<std::string> names = cert.names;
    std::sort(names.begin(), names.end());
    auto [it, inserted] = group_of.emplace(names, out->groups_.size());
    if (inserted) {
      SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
      if (!ctx || !configure(ctx.get(), settings, out->tickets_.get(), out.get(), errors)) {
        if (!ctx) errors.push_back({-1, "cannot create a TLS context (" + take_openssl_errors() + ")"});
        return nullptr;
      }
      out->groups_.push_back(std::move(ctx));
      group_types.emplace_back();
      for (const std::string& name : cert.names) {
        // An earlier group keeps a name it already claimed.
        if (name.size() > 2 && name.compare(0, 2, "*.") == 0) {
          out->wildcard_.emplace(name.substr(1), it->second);
        } else {
          out->exact_.emplace(name, it->second);
        }
      }
    }
    std::vector<KeyType>& types = group_types[it->second];
    if (std::find(types.begin(), types.end(), cert.key_type) != types.end()) {
      errors.push_back({static_cast<int>(i), cert.cert_file + ": a second " + key_type_name(cert.key_type) +
                                                 " certificate for the same names; one per key type"});
      continue;
    }
    types.push_back(cert.key_type);
    if (!use_certificate(out->groups_[it->second].get(), cert)) {
      errors.push_back({static_cast<int>(i), cert.cert_file + ": OpenSSL refused the certificate (" +
                                                 take_openssl_errors() + ")"});
    }
  }
  if (errors.size() != errors_before) return nullptr;
  SSL_CTX_set_tlsext_servername_callback(out->groups_.front().get(), &ServerTlsContext::on_server_name);
  SSL_CTX_set_tlsext_servername_arg(out->groups_.front().get(), out.get());
  return out;
}

SSL* ServerTlsContext::new_connection() const { return SSL_new(groups_.front().get()); }

SSL_CTX* ServerTlsContext::context_for(std::string_view server_name) const {
  if (groups_.size() == 1 || server_name.empty()) return groups_.front().get();
  const std::string name = lowercase(server_name);
  if (auto it = exact_.find(name); it != exact_.end()) return groups_[it->second].get();
  if (const std::size_t dot = name.find('.'); dot != std::string::npos && dot > 0) {
    if (auto it = wildcard_.find(name.substr(dot)); it != wildcard_.end()) return groups_[it->second].get();
  }
  return groups_.front().get();
}

int ServerTlsContext::on_server_name(SSL* ssl, int*, void* arg) {
  const auto* self = static_cast<const ServerTlsContext*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_OK;
  SSL_CTX* chosen = self->context_for(name);
  if (chosen != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, chosen);
  return SSL_TLSEXT_ERR_OK;
}

std::string verified_client_subject(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return {};
  return subject_text(cert);
}

}  // namespace gatehouse::tls
