#pragma once
// What a rate limit counts by: the parts of a request that make up its key
// (`key: [client_ip, header:X-Api-Key]`), and what happens when a part is
// missing from a request.

#include <cstdint>
#include <string>
#include <vector>

#include "proxy/policy/policy.h"

namespace gatehouse::policies::rate_limit {

struct KeyPart {
  enum class Kind : std::uint8_t { kClientIp, kHeader, kClaim, kRoute };
  Kind kind = Kind::kClientIp;
  std::string name;  // header or claim name; empty for client_ip and route

  // As written in the YAML: `client_ip`, `header:X-Api-Key`, `claim:sub`, `route`.
  std::string to_string() const;
  bool operator==(const KeyPart&) const = default;
};

// What a request lacking a key part (no such header, no verified claim,
// an empty value) gets.
enum class OnMissingKey : std::uint8_t {
  kDeny,    // rejected with 403: it cannot be told apart from anyone else
  kAllow,   // not limited at all
  kShared,  // counted in one bucket shared by every request missing that part
};

struct KeySpec {
  std::vector<KeyPart> parts{KeyPart{}};  // client_ip by default
  OnMissingKey on_missing = OnMissingKey::kShared;
};

struct KeyResult {
  enum class Kind : std::uint8_t { kLimit, kAllow, kDeny };
  Kind kind = Kind::kLimit;
  std::string key;      // for kLimit: the counter key
  std::string missing;  // for kAllow/kDeny: the first missing part, as written
};

// Builds the counter key of the request. Each part is length-prefixed, so no
// value can forge another combination (`a` + `b:c` never equals `a:b` + `c`),
// and a missing part (under `shared`) is a marker no value can produce.
KeyResult build_key(const KeySpec& spec, policy::RequestContext& ctx);

}  // namespace gatehouse::policies::rate_limit
