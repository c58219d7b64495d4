#pragma once
// What the cache consults of a response's header section, found in one pass
// over its fields: a stored miss otherwise looks for Cache-Control, Expires,
// Set-Cookie, Vary and Connection one scan each, then sizes and copies the
// stored fields in two more.
//
// Contract: a summary describes the HeaderMap it was made from, as it was
// then; it is stale once that map changes. Names compare case-insensitively.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "proxy/http/header_map.h"

namespace gatehouse::policies::cache {

// §3.1's fields that are never stored: Connection, the hop-by-hop fields
// RFC 9110 §7.6.1 lists (Keep-Alive, Proxy-Connection, TE,
// Transfer-Encoding, Upgrade) and the proxy's own authentication fields
// (Proxy-Authenticate, Proxy-Authentication-Info, Proxy-Authorization).
bool is_never_stored_field(std::string_view name) noexcept;

struct ResponseFieldSummary {
  // Fields the summary can mark in `unstored` (one bit each).
  static constexpr std::size_t kMarkedFields = 64;

  bool cache_control = false;  // a Cache-Control line
  bool targeted = false;       // a line of one of the targeted fields (RFC 9213) given
  bool expires = false;
  bool set_cookie = false;
  bool vary = false;
  bool connection = false;
  // Bit i: field i is never stored (is_never_stored_field) or is the name
  // given as `also_excluded`. Complete only when marks_all().
  std::uint64_t unstored = 0;
  std::size_t fields = 0;         // fields in the section
  std::size_t stored_fields = 0;  // fields not marked in `unstored`
  std::size_t stored_text = 0;    // bytes of their names and values
  std::string_view also_excluded;  // as given to summarize_response_fields()

  bool marks_all() const noexcept { return fields <= kMarkedFields; }
};

// One pass over `headers`. `targets` are the targeted Cache-Control field
// names configured (FreshnessOptions::targets()); `also_excluded` (when not
// empty) is one more name the caller never stores.
ResponseFieldSummary summarize_response_fields(const http::HeaderMap& headers, std::span<const std::string> targets,
                                               std::string_view also_excluded = {});

}  // namespace gatehouse::policies::cache
