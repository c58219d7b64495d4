#pragma once
// Verified tokens, by SHA-256 of the token text, so that a client sending
// the same token again costs a hash and a lookup instead of an RSA/ECDSA
// verification. Only the signature work is saved: the claims are checked
// again (exp, nbf, ...) on every use, and an entry is dropped once its
// token has expired. The token itself is never stored.
//
// Bounded: at most `max_entries`, spread over 16 independently locked
// shards; a full shard drops its oldest entry. Thread-safe.

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/json/object.hpp>

namespace gatehouse::policies::jwt {

class VerificationCache {
 public:
  struct Entry {
    std::shared_ptr<const boost::json::object> claims;
    std::size_t issuer = 0;     // index into the policy's issuers
    std::int64_t expires = 0;   // seconds since the epoch: drop at or after
  };

  explicit VerificationCache(std::size_t max_entries);

  // The entry for `token`, if cached and not expired at `now`.
  std::optional<Entry> find(std::string_view token, std::int64_t now);
  void insert(std::string_view token, Entry entry);

  static std::string digest(std::string_view token);

 private:
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Entry> entries;
    std::deque<std::string> order;  // insertion order, for eviction
  };
  static constexpr std::size_t kShards = 16;
  std::size_t per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace gatehouse::policies::jwt
