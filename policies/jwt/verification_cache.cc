#include "policies/jwt/verification_cache.h"

#include <openssl/evp.h>

#include "proxy/tls/openssl_util.h"

#include <algorithm>

namespace gatehouse::policies::jwt {

VerificationCache::VerificationCache(std::size_t max_entries)
    : per_shard_(std::max<std::size_t>(1, (max_entries + kShards - 1) / kShards)) {}

std::string VerificationCache::digest(std::string_view token) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(token.data(), token.size(), md, &len, tls::sha256_digest(), nullptr) != 1) return {};
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::optional<VerificationCache::Entry> VerificationCache::find(std::string_view token, std::int64_t now) {
  const std::string key = digest(token);
  if (key.empty()) return std::nullopt;
  Shard& shard = shards_[static_cast<unsigned char>(key[0]) % kShards];
  std::lock_guard lock(shard.mutex);
  auto it = shard.entries.find(key);
  if (it == shard.entries.end()) return std::nullopt;
  if (now >= it->second.expires) {
    shard.entries.erase(it);  // its key stays in `order` until it reaches the front
    return std::nullopt;
  }
  return it->second;
}

void VerificationCache::insert(std::string_view token, Entry entry) {
  std::string key = digest(token);
  if (key.empty()) return;
  Shard& shard = shards_[static_cast<unsigned char>(key[0]) % kShards];
  std::lock_guard lock(shard.mutex);
  if (shard.entries.contains(key)) return;
  // `order` may also hold keys of entries already dropped on expiry; it is
  // bounded too, and every live entry stays in it.
  while ((shard.entries.size() >= per_shard_ || shard.order.size() >= 2 * per_shard_) && !shard.order.empty()) {
    shard.entries.erase(shard.order.front());
    shard.order.pop_front();
  }
  shard.order.push_back(key);
  shard.entries.emplace(std::move(key), std::move(entry));
}

}  // namespace gatehouse::policies::jwt
