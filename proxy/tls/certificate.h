#pragma once
// A certificate chain and its private key read from PEM files, with what
// the server needs to know about it: the host names it serves, its key type
// and its expiry.
//
// Contract: load_certificate() reads both files on the calling thread (the
// control thread, at config load). It fails, with a message naming the file
// and the reason, when a file is unreadable, holds no certificate or key,
// or the key does not belong to the certificate.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proxy/tls/openssl_util.h"

namespace gatehouse::tls {

enum class KeyType { kEcdsa, kRsa, kEd25519, kOther };

struct Certificate {
  std::string cert_file;
  X509Ptr leaf;
  std::vector<X509Ptr> chain;  // intermediates, in file order
  PkeyPtr key;
  KeyType key_type = KeyType::kOther;
  // DNS names from subjectAltName (lowercase; "*.example.com" for a
  // wildcard), or the subject CN when there is no DNS SAN.
  std::vector<std::string> names;
  std::int64_t not_after = 0;  // Unix seconds
  std::string subject;
};

std::optional<Certificate> load_certificate(const std::string& cert_file, const std::string& key_file,
                                            std::string& error);

const char* key_type_name(KeyType type) noexcept;

}  // namespace gatehouse::tls
