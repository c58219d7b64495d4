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
