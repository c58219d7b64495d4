#include "proxy/tls/ticket_keys.h"

#include <cstring>

#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "proxy/tls/openssl_util.h"

namespace gatehouse::tls {
namespace {

TicketKeyRing::Key fresh_key(TicketKeyRing::Clock::time_point now) {
  TicketKeyRing::Key key;
  // RAND_bytes only fails when the CSPRNG cannot be seeded; then the key is
  // still unique per name (all zero would be caught by every ticket failing
  // to verify, never by a forged one being accepted: the HMAC key is secret).
  RAND_bytes(key.name.data(), static_cast<int>(key.name.size()));
  RAND_bytes(key.aes.data(), static_cast<int>(key.aes.size()));
  RAND_bytes(key.hmac.data(), static_cast<int>(key.hmac.size()));
  key.created = now;
  return key;
}

bool set_mac_key(EVP_MAC_CTX* mac, const TicketKeyRing::Key& key) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(key.hmac.data()),
                                        key.hmac.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  return EVP_MAC_CTX_set_params(mac, params) == 1;
}

}  // namespace

void TicketKeyRing::set_rotation(std::chrono::seconds rotation) {
  std::lock_guard lock(mutex_);
  rotation_ = rotation;
}

void TicketKeyRing::rotate_if_due(Clock::time_point now) {
  if (!current_) {
    current_ = fresh_key(now);
    return;
  }
  if (now - current_->created < rotation_) return;
  // A key older than two periods is no use even as the previous one.
  previous_ = (now - current_->created < 2 * rotation_) ? current_ : std::nullopt;
  current_ = fresh_key(now);
}

TicketKeyRing::Key TicketKeyRing::current(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  rotate_if_due(now);
  return *current_;
}

std::optional<TicketKeyRing::Key> TicketKeyRing::find(const unsigned char* name, bool& is_current,
                                                      Clock::time_point now) {
  std::lock_guard lock(mutex_);
  rotate_if_due(now);
  if (std::memcmp(current_->name.data(), name, kNameSize) == 0) {
    is_current = true;
    return current_;
  }
  if (previous_ && std::memcmp(previous_->name.data(), name, kNameSize) == 0 &&
      now - previous_->created < 2 * rotation_) {
    is_current = false;
    return previous_;
  }
  return std::nullopt;
}

int TicketKeyRing::ring_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

int TicketKeyRing::openssl_callback(SSL* ssl, unsigned char* key_name, unsigned char* iv, EVP_CIPHER_CTX* cipher,
                                    EVP_MAC_CTX* mac, int encrypt) {
  auto* ring = static_cast<TicketKeyRing*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ring_index()));
  if (ring == nullptr) return -1;
  if (encrypt == 1) {
    const Key key = ring->current();
    if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1) return -1;
    std::memcpy(key_name, key.name.data(), kNameSize);
    if (EVP_EncryptInit_ex(cipher, aes_256_cbc_cipher(), nullptr, key.aes.data(), iv) != 1) return -1;
    return set_mac_key(mac, key) ? 1 : -1;
  }
  bool is_current = false;
  std::optional<Key> key = ring->find(key_name, is_current);
  if (!key) return 0;  // unknown or expired: full handshake
  if (EVP_DecryptInit_ex(cipher, aes_256_cbc_cipher(), nullptr, key->aes.data(), iv) != 1) return -1;
  if (!set_mac_key(mac, *key)) return -1;
  // 2: accept, and issue a new ticket. Always so in TLS 1.3, whose tickets
  // are single-use (RFC 8446 §8.1, §C.4): OpenSSL sends a resumed client
  // a fresh ticket only when asked to renew, and without one the client's
  // next connection falls back to a full handshake (every other one did).
  // TLS 1.2 keeps a ticket made under the current key.
  return (is_current && SSL_version(ssl) < TLS1_3_VERSION) ? 1 : 2;
}

std::shared_ptr<TicketKeyRing> TicketKeyRings::for_listener(const std::string& name, std::chrono::seconds rotation) {
  std::lock_guard lock(mutex_);
  std::shared_ptr<TicketKeyRing>& ring = rings_[name];
  if (!ring) {
    ring = std::make_shared<TicketKeyRing>(rotation);
  } else {
    ring->set_rotation(rotation);
  }
  return ring;
}

}  // namespace gatehouse::tls
