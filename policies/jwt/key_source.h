#pragma once
// Keys that arrive later: an issuer's remote JWKS (remote_jwks.h) seen
// from the policy, which never waits on it.
//
// Thread-safe: called from every worker concurrently.

#include <functional>
#include <memory>

#include "policies/jwt/verification_key.h"

namespace gatehouse::policies::jwt {

class RemoteKeySource {
 public:
  virtual ~RemoteKeySource() = default;

  // The last good key set; null before the first successful fetch.
  virtual std::shared_ptr<const KeySet> keys() const = 0;

  // Asks for fresh keys (first load, a retry after a failure, a token naming
  // an unknown kid). True when `on_done` will be called once, from another
  // thread, when the fetch in flight (or started now) has finished, with
  // or without success; false, and `on_done` dropped, when no fetch may
  // start now: the last one started less than `refetch_interval` ago. This
  // is what keeps a flood of random kids from hammering the key server.
  virtual bool fetch(std::function<void()> on_done) = 0;
};

}  // namespace gatehouse::policies::jwt
