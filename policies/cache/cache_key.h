#pragma once
// The primary cache key (RFC 9111 §2: the target URI) and the configured
// extra key material.
//
// Primary key: "<scheme>://<host>[:<port>]<path>[?<query>]" with
//   - scheme and host lowercased (RFC 3986 §6.2.2.1: case-insensitive);
//   - the scheme's default port removed (80 for http, 443 for https), and an
//     empty port ("host:") too (RFC 9110 §4.2.3);
//   - an empty path as "/" (RFC 9110 §4.2.3);
//   - the path otherwise byte for byte (percent-encoding is not normalised:
//     two spellings of one path are two keys, never one key for two paths);
//   - the query as sent, unless options ask to drop parameters by name or
//     sort them (stable: values of a repeated name keep their order).
// The method is not part of it: GET and HEAD share entries (the store
// records which method filled an entry, see StoredResponse).
//
// Extra key: the configured request header values, normalised as Vary does
// ("name: value" lines, absent fields marked), compared like a Vary value.
// It is kept apart from the primary key so that invalidating a URI (§4.4)
// still finds every entry stored for it.

#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/header_map.h"

namespace gatehouse::policies::cache {

struct CacheKeyOptions {
  std::vector<std::string> include_headers;      // request fields added to the key (names)
  std::vector<std::string> ignore_query_params;  // exact parameter names, before percent-decoding
  bool sort_query = false;
};

struct CacheKey {
  std::string primary;  // the normalised URI
  std::string extra;    // configured header values; empty when none are configured
};

// A request's copy of its CacheKey, kept from its lookup to its fill (a
// worker's lookup builds the key in a buffer of its own, reused by the next
// lookup). The primary part is kept inline up to kInlinePrimary bytes: a
// miss that goes on to the upstream copies its key without allocating, and
// the fill that stores the response copies it again the same way (the
// heap copy and its free cost ~180-300 instructions a miss). Longer keys
// and the extra part (empty unless configured) are on the heap.
class KeptKey {
 public:
  static constexpr std::size_t kInlinePrimary = 176;

  KeptKey() = default;
  KeptKey(const KeptKey&) = delete;  // primary() may point into the object
  KeptKey& operator=(const KeptKey&) = delete;

  void assign(std::string_view primary, std::string_view extra) {
    char* to = inline_;
    if (primary.size() > kInlinePrimary) {
      heap_ = std::make_unique_for_overwrite<char[]>(primary.size());
      to = heap_.get();
    }
    if (!primary.empty()) std::memcpy(to, primary.data(), primary.size());
    primary_ = {to, primary.size()};
    if (!extra.empty() || !extra_.empty()) extra_.assign(extra);
  }
  void assign(const CacheKey& key) { assign(key.primary, key.extra); }
  std::string_view primary() const noexcept { return primary_; }
  std::string_view extra() const noexcept { return extra_; }
  // Nothing kept yet.
  bool empty() const noexcept { return primary_.empty(); }

 private:
  std::string_view primary_;
  std::unique_ptr<char[]> heap_;  // a primary part longer than kInlinePrimary
  std::string extra_;
  char inline_[kInlinePrimary];
};

// `host` is the request's authority (Host field or absolute-form target),
// `target` its origin-form path and query.
CacheKey make_cache_key(std::string_view scheme, std::string_view host, std::string_view target,
                        const http::HeaderMap& request_headers, const CacheKeyOptions& options);
// The same into `key`, replacing what it held but reusing its strings'
// capacity (a worker-local key that every lookup rebuilds).
void build_cache_key(CacheKey& key, std::string_view scheme, std::string_view host, std::string_view target,
                     const http::HeaderMap& request_headers, const CacheKeyOptions& options);

// Only the primary part (no headers): for invalidation and purges.
std::string primary_key(std::string_view scheme, std::string_view host, std::string_view target,
                        const CacheKeyOptions& options);

// RFC 9111 §4.4: the primary key of a Location / Content-Location value
// relative to the request (scheme, host, target), or nullopt when it names
// another host (a cache MUST NOT invalidate those) or cannot be resolved.
// Handles absolute URIs, network-path ("//host/p"), absolute-path and
// relative-path references (RFC 3986 §5.2 merge; dot segments removed).
std::optional<std::string> primary_key_for_reference(std::string_view reference, std::string_view scheme,
                                                     std::string_view host, std::string_view target,
                                                     const CacheKeyOptions& options);

}  // namespace gatehouse::policies::cache
