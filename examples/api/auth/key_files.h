#pragma once
// The API's signing key on disk: an unencrypted PKCS#8 PEM holding an EC
// P-256 private key, readable by its owner only. ./scripts/demo makes one on
// first run; a deployment supplies its own through the API's config.

#include <optional>
#include <string>
#include <string_view>

#include "examples/api/auth/openssl_ptr.h"

namespace gatehouse::api::auth {

// Generates a fresh P-256 private key and writes it as PEM to `path` with
// mode 0600. The file appears complete or not at all (written to a
// temporary file in the same folder, fsynced, then linked into place), and
// an existing file is never replaced: false when `path` exists, or on any
// key generation or I/O failure.
bool generate_ec_key_pem(const std::string& path);

// The contents of a key file, at most 64 KiB. nullopt when it cannot be
// read or is larger.
std::optional<std::string> read_key_file(const std::string& path);

// Parses an unencrypted PEM private key and accepts it only if it is an EC
// key on P-256. Never prompts for a passphrase (an encrypted PEM fails).
// Null on failure.
PkeyPtr parse_ec_private_key_pem(std::string_view pem);

// read_key_file + parse_ec_private_key_pem.
PkeyPtr load_ec_private_key_file(const std::string& path);

}  // namespace gatehouse::api::auth
