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

// SHA-2 digests fetched from the default provider once per process. OpenSSL 3
// resolves a legacy handle such as EVP_sha256() with an implicit fetch on
// every EVP_Digest*/EVP_DigestVerifyInit call (a name lookup under a lock,
// thousands of instructions); an explicitly fetched EVP_MD skips it. Safe to
// call from any thread; null only if the provider lacks the digest.
const EVP_MD* sha256_digest() noexcept;
const EVP_MD* sha384_digest() noexcept;
const EVP_MD* sha512_digest() noexcept;
// AES-256-CBC (session ticket encryption), fetched once for the same reason:
// EVP_EncryptInit_ex with EVP_aes_256_cbc() fetches it anew on every call.
const EVP_CIPHER* aes_256_cbc_cipher() noexcept;

}  // namespace gatehouse::tls
