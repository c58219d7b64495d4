#include "proxy/tls/openssl_util.h"

#include <openssl/err.h>

namespace gatehouse::tls {

std::string take_openssl_errors() {
  std::string out;
  unsigned long code = 0;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

std::string subject_text(X509* cert) {
  if (cert == nullptr) return {};
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return {};
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

// Kept for the life of the process (function statics are initialised once,
// thread-safely); freeing them at exit would race with late users.
const EVP_MD* sha256_digest() noexcept {
  static const EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  return md;
}

const EVP_MD* sha384_digest() noexcept {
  static const EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA2-384", nullptr);
  return md;
}

const EVP_MD* sha512_digest() noexcept {
  static const EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA2-512", nullptr);
  return md;
}

const EVP_CIPHER* aes_256_cbc_cipher() noexcept {
  static const EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
  return cipher;
}

}  // namespace gatehouse::tls
