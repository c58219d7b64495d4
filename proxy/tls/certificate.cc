#include "proxy/tls/certificate.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

namespace gatehouse::tls {
namespace {

BioPtr open_file(const std::string& path, std::string& error) {
  errno = 0;
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    take_openssl_errors();
    error = path + ": cannot read the file" + (errno != 0 ? std::string(": ") + std::strerror(errno) : "");
  }
  return bio;
}

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::vector<std::string> dns_names(X509* cert) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
      if (name->type != GEN_DNS) continue;
      const unsigned char* data = ASN1_STRING_get0_data(name->d.dNSName);
      const int len = ASN1_STRING_length(name->d.dNSName);
      if (data != nullptr && len > 0) out.push_back(lowercase(std::string(reinterpret_cast<const char*>(data), len)));
    }
    GENERAL_NAMES_free(names);
  }
  if (out.empty()) {
    char cn[256];
    const int len = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    if (len > 0) out.push_back(lowercase(std::string(cn, static_cast<std::size_t>(len))));
  }
  return out;
}

std::int64_t not_after(X509* cert) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

KeyType key_type_of(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC:
      return KeyType::kEcdsa;
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      return KeyType::kRsa;
    case EVP_PKEY_ED25519:
      return KeyType::kEd25519;
    default:
      return KeyType::kOther;
  }
}

}  // namespace

const char* key_type_name(KeyType type) noexcept {
  switch (type) {
    case KeyType::kEcdsa:
      return "ECDSA";
    case KeyType::kRsa:
      return "RSA";
    case KeyType::kEd25519:
      return "Ed25519";
    case KeyType::kOther:
      break;
  }
  return "other";
}

std::optional<Certificate> load_certificate(const std::string& cert_file, const std::string& key_file,
                                            std::string& error) {
  Certificate out;
  out.cert_file = cert_file;
  {
    BioPtr bio = open_file(cert_file, error);
    if (!bio) return std::nullopt;
    out.leaf.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!out.leaf) {
      error = cert_file + ": no PEM certificate in the file (" + take_openssl_errors() + ")";
      return std::nullopt;
    }
    while (X509* next = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.chain.emplace_back(next);
    take_openssl_errors();  // the loop ends with a "no start line" error
  }
  {
    BioPtr bio = open_file(key_file, error);
    if (!bio) return std::nullopt;
    // An empty passphrase callback: an encrypted key fails instead of prompting.
    out.key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
    if (!out.key) {
      error = key_file + ": no unencrypted PEM private key in the file (" + take_openssl_errors() + ")";
      return std::nullopt;
    }
  }
  if (X509_check_private_key(out.leaf.get(), out.key.get()) != 1) {
    take_openssl_errors();
    error = key_file + ": the private key does not match the certificate in " + cert_file;
    return std::nullopt;
  }
  out.key_type = key_type_of(out.key.get());
  out.names = dns_names(out.leaf.get());
  out.not_after = not_after(out.leaf.get());
  out.subject = subject_text(out.leaf.get());
  return out;
}

}  // namespace gatehouse::tls
