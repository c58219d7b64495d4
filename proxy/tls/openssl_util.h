#pragma once
// Small OpenSSL helpers shared by the TLS code: owning pointers for the
// handles we keep, and the error queue as text for diagnostics.

#include <memory>
#include <string>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace gatehouse::tls {

struct SslCtxFree {
  void operator()(SSL_CTX* p) const noexcept { SSL_CTX_free(p); }
};
struct X509Free {
  void operator()(X509* p) const noexcept { X509_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const noexcept { BIO_free(p); }
};

using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

// Drains the calling thread's OpenSSL error queue into one line
// ("" when empty), so that a stale error never leaks into a later message.
std::string take_openssl_errors();

// The subject of `cert` in RFC 2253 form ("CN=client,O=Example").
std::string subject_text(X509* cert);

}  // namespace gatehouse::tls
