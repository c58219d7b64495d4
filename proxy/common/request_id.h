#pragma once
// Generates X-Request-Id values: random UUIDv4 text. One generator per worker
// thread (not thread-safe by design: no locks on the request path). Not for
// secrets: ids only need to be unique, not unpredictable.

#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse {

class RequestIdGenerator {
 public:
  RequestIdGenerator();
  // Overwrites `out` with a new id (reusing its storage).
  void next(std::string& out);

 private:
  std::uint64_t next64() noexcept;
  std::uint64_t state_[2];
};

// True when a client-supplied id is safe to pass on: 1..200 visible ASCII
// characters, no spaces, quotes or backslashes.
bool is_acceptable_request_id(std::string_view id) noexcept;

}  // namespace gatehouse
