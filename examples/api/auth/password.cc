#include "examples/api/auth/password.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <memory>

namespace gatehouse::api::auth {
namespace {

constexpr std::string_view kPrefix = "$2b$";

bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

// crypt_r on an explicit setting; nullopt when libcrypt reports failure
// (it returns NULL or a string starting with '*', depending on its build).
std::optional<std::string> run_crypt(std::string_view password, const char* setting) {
  // struct crypt_data is ~32 KB: keep it off the (possibly small) stack.
  auto data = std::make_unique<crypt_data>();
  std::string phrase(password);
  const char* out = crypt_r(phrase.c_str(), setting, data.get());
  std::optional<std::string> result;
  if (out != nullptr && out[0] != '*') result.emplace(out);
  // Neither copy of the password should outlive the call.
  OPENSSL_cleanse(phrase.data(), phrase.size());
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  return result;
}

}  // namespace

std::optional<std::string> hash_password(std::string_view password, int cost) {
  if (has_nul(password) || cost < 4 || cost > 31) return std::nullopt;
  std::array<unsigned char, 16> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) return std::nullopt;
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
  const char* s = crypt_gensalt_rn(kPrefix.data(), static_cast<unsigned long>(cost),
                                   reinterpret_cast<const char*>(salt.data()),
                                   static_cast<int>(salt.size()), setting.data(),
                                   static_cast<int>(setting.size()));
  if (s == nullptr) return std::nullopt;
  auto hash = run_crypt(password, setting.data());
  if (!hash || !hash->starts_with(kPrefix)) return std::nullopt;
  return hash;
}

bool verify_password(std::string_view password, std::string_view hash) {
  if (has_nul(password) || has_nul(hash) || !hash.starts_with(kPrefix)) return false;
  std::string setting(hash);
  auto computed = run_crypt(password, setting.c_str());
  if (!computed || computed->size() != hash.size()) return false;
  return CRYPTO_memcmp(computed->data(), hash.data(), hash.size()) == 0;
}

std::string_view dummy_password_hash() {
  // bcrypt cost 12 of 32 random bytes that were thrown away.
  return "$2b$12$hq2OTuUiJUT8MI8gogvpy..n.cEGTEW1XHBZKDXICJ6cB4M5vYzc.";
}

}  // namespace gatehouse::api::auth
