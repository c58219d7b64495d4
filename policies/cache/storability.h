#pragma once
// Whether a response may be stored (RFC 9111 §3, §3.5), which of its header
// fields are stored (§3.1), and how a 304 refreshes a stored header section
// (§3.2, §4.3.4).
//
// Contract: pure functions of the exchange's heads and parsed directives.
// The caller still checks what only the data plane knows: that the body is
// complete (§3.3: no incomplete responses) and within max_object_size.

#include <cstddef>
#include <string_view>

#include "policies/cache/cache_control.h"
#include "policies/cache/response_field_summary.h"
#include "policies/cache/stored_fields.h"
#include "proxy/http/header_map.h"
#include "proxy/http/message.h"

namespace gatehouse::policies::cache {

struct StorabilityOptions {
  bool shared = true;              // see FreshnessOptions::shared
  bool store_set_cookie = false;   // RFC 9111 §7.3 leaves it to the cache; off by default
};

// Why a response is not stored; kStorable when it is.
enum class StoreVerdict {
  kStorable,
  kMethod,               // not GET or HEAD
  kStatus,               // not final, 206 / 304 (not implemented), or not understood with must-understand
  kNoStore,              // no-store in the request or the response
  kPrivate,              // unqualified private in a shared cache
  kAuthorization,        // Authorization without public / s-maxage / must-revalidate (§3.5)
  kNoExplicitFreshness,  // nothing that allows storage (§3, last bullet)
  kSetCookie,            // Set-Cookie and store_set_cookie is off
  kVaryStar,             // Vary: * can never be served (§4.1), so it is not kept
};

std::string_view store_verdict_label(StoreVerdict v) noexcept;

// RFC 9110 status codes whose semantics a cache knows (used by
// must-understand, §5.2.2.3).
bool is_understood_status(int status) noexcept;

// §3: all of these must hold
//   method GET or HEAD; final status that we understand (206 and 304 are not
//   stored; with must-understand the status must be one RFC 9110 defines);
//   no no-store in the request, nor in the response unless must-understand
//   is present with an understood status (§5.2.2.3: it then overrides
//   no-store); no unqualified private in a shared cache; Authorization only
//   with public, s-maxage or must-revalidate (§3.5); and at least one of
//   public, private (non-shared cache), Expires, max-age, s-maxage (shared),
//   or a heuristically cacheable status.
// Beyond the RFC: Set-Cookie unless configured, and Vary: *.
StoreVerdict storability(http::Method request_method, const http::HeaderMap& request_headers,
                         const CacheControl& request_cc, int status, const http::HeaderMap& response_headers,
                         const CacheControl& response_cc, const StorabilityOptions& options);
// The same with what was read of the messages before: whether the request
// has Authorization, and `response_fields`, the summary of
// `response_headers` (only its Expires, Set-Cookie and Vary are read).
StoreVerdict storability(http::Method request_method, bool request_authorization, const CacheControl& request_cc,
                         int status, const http::HeaderMap& response_headers,
                         const ResponseFieldSummary& response_fields, const CacheControl& response_cc,
                         const StorabilityOptions& options);

// True for a field that is never stored (§3.1): is_never_stored_field(), the
// fields Connection names, fields a qualified no-cache names, and, in a
// shared cache, fields a qualified private names.
class StoredFieldFilter {
 public:
  StoredFieldFilter(const http::HeaderMap& response_headers, const CacheControl& response_cc, bool shared);
  bool excluded(std::string_view name) const noexcept;
  // Only by a no-cache / private field list.
  bool excluded_by_directive(std::string_view name) const noexcept;

 private:
  std::vector<std::string> connection_fields_;  // lowercased
  std::vector<std::string> directive_fields_;   // lowercased
};

// The header section to store: the response's fields minus the excluded ones
// (and minus fields named `also_excluded`, when given), in order.
StoredFields stored_headers(const http::HeaderMap& response_headers, const CacheControl& response_cc, bool shared,
                            std::string_view also_excluded = {});
// The same into `storage` (StoredFields::storage_size(response_headers)
// bytes; see StoredFields::copy_if_into for who owns them).
StoredFields stored_headers_into(char* storage, const http::HeaderMap& response_headers,
                                 const CacheControl& response_cc, bool shared, std::string_view also_excluded = {});
// The same, judged with `response_fields` (the summary of
// `response_headers`, whose also_excluded is excluded too): where it
// settles which fields are kept, they are copied in one pass into exactly
// the bytes they need. `storage` is stored_headers_size() bytes.
std::size_t stored_headers_size(const http::HeaderMap& response_headers, const ResponseFieldSummary& response_fields,
                                const CacheControl& response_cc, bool shared);
StoredFields stored_headers_into(char* storage, const http::HeaderMap& response_headers,
                                 const ResponseFieldSummary& response_fields, const CacheControl& response_cc,
                                 bool shared);

// §3.2: `stored` refreshed by a 304's (or HEAD's) header section: every field
// the 304 carries replaces all stored lines of that name, except fields
// excluded from storage (judged on the 304 and on the stored directives) and
// Content-Length (and Content-Range, which §3.2 lets implementations keep).
// Stored fields that the 304's own no-cache / private lists name are dropped
// (they may no longer be stored); every other stored field is kept.
http::HeaderMap updated_headers(const http::HeaderMap& stored, const http::HeaderMap& not_modified, bool shared);

// §4.3.4: whether a 304 selects a stored response for update.
//   the 304 has a strong ETag     → the stored response has the same strong ETag;
//   the 304 has a weak ETag       → the stored ETag matches it weakly;
//   the 304 has Last-Modified only → the stored Last-Modified is identical;
//   the 304 has no validator      → `only_candidate`: the 304 answers the
//                                   cache's conditional request for this one
//                                   response (which may well have validators:
//                                   they were what the request sent).
bool selected_for_update(const http::HeaderMap& stored, const http::HeaderMap& not_modified, bool only_candidate);

// §4.3.5: whether a 200 response to HEAD describes the stored GET response
// (header section `stored`, content `stored_length` bytes), so that it may
// update it: each validator field the HEAD response has (ETag,
// Last-Modified) has the same value in `stored`, and its Content-Length, if
// any, is `stored_length`. Otherwise the stored response changed.
bool head_matches_stored(const http::HeaderMap& stored, std::size_t stored_length, const http::HeaderMap& head);

}  // namespace gatehouse::policies::cache
