#pragma once
// Session ticket keys (RFC 5077 / TLS 1.3 PSK tickets) for one listener,
// shared by every worker thread and kept across config reloads, so that a
// ticket issued by any worker, before or after a reload, resumes anywhere.
//
// Rotation: new tickets are sealed with the current key, which is replaced
// once it is `rotation` old; the previous key is still accepted (and its
// tickets are renewed) for one more period, so a ticket lives at most two
// periods. Rotation happens lazily, on the first handshake that finds the
// key too old: no timer, and nothing on the request path.
//
// Thread-safety: all methods may be called concurrently (handshakes on
// several workers); a small mutex guards the two keys. Handshakes are rare
// compared with requests, so this is not a hot lock.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <openssl/evp.h>

namespace gatehouse::tls {

class TicketKeyRing {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kNameSize = 16;

  struct Key {
    std::array<unsigned char, kNameSize> name{};
    std::array<unsigned char, 32> aes{};   // AES-256-CBC
    std::array<unsigned char, 32> hmac{};  // HMAC-SHA256
    Clock::time_point created;
  };

  explicit TicketKeyRing(std::chrono::seconds rotation) : rotation_(rotation) {}

  void set_rotation(std::chrono::seconds rotation);
  // The key to seal a new ticket with (rotating first when due).
  Key current(Clock::time_point now = Clock::now());
  // The key a presented ticket names; `is_current` tells whether it should be
  // renewed. nullopt for an unknown or expired key: a full handshake follows.
  std::optional<Key> find(const unsigned char* name, bool& is_current, Clock::time_point now = Clock::now());

  // OpenSSL's ticket callback (SSL_CTX_set_tlsext_ticket_key_evp_cb) for a
  // context whose ex_data slot ring_index() holds a TicketKeyRing*.
  static int openssl_callback(SSL* ssl, unsigned char* key_name, unsigned char* iv, EVP_CIPHER_CTX* cipher,
                              EVP_MAC_CTX* mac, int encrypt);
  static int ring_index();

 private:
  void rotate_if_due(Clock::time_point now);

  std::mutex mutex_;
  std::chrono::seconds rotation_;
  std::optional<Key> current_;
  std::optional<Key> previous_;
};

// The rings of every TLS listener, by listener name: a process-wide service
// (see policy::PolicyServices), so that a reload finds the same keys.
class TicketKeyRings {
 public:
  std::shared_ptr<TicketKeyRing> for_listener(const std::string& name, std::chrono::seconds rotation);

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<TicketKeyRing>> rings_;
};

}  // namespace gatehouse::tls
