#pragma once
// The Cache-Status response field (RFC 9211): one list member per cache,
// formatted as an RFC 8941 Structured Field list member.
//
//   gatehouse; hit; ttl=42
//   gatehouse; fwd=miss; stored
//   gatehouse; fwd=stale; fwd-status=304; ttl=60; stored
//
// Contract: format_cache_status always returns a valid sf-list member:
// the cache name is a token when it is one and a string otherwise; `detail`
// likewise; characters a Structured Field string cannot hold (controls,
// non-ASCII) are dropped from strings; an out-of-range integer is clamped
// to RFC 8941's 15 digits. Parameters come in RFC 9211 §2 order.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/http/header_map.h"

namespace gatehouse::policies::cache {

// RFC 9211 §2.2 fwd values.
// kPartial stays last: cache_status.cc counts the reasons by it.
enum class ForwardReason { kBypass, kMethod, kUriMiss, kVaryMiss, kMiss, kRequest, kStale, kPartial };

std::string_view forward_reason_token(ForwardReason r) noexcept;

struct CacheStatus {
  std::string_view cache_name = "gatehouse";  // a literal or the configuration's: outlives the status
  bool hit = false;                     // §2.1: served from cache without going forward
  std::optional<ForwardReason> fwd;     // §2.2: why the request went forward
  std::optional<int> fwd_status;        // §2.3: the status the next hop returned
  std::optional<std::int64_t> ttl;      // §2.4: remaining freshness; negative when stale
  bool stored = false;                  // §2.5: the forwarded response was stored
  bool collapsed = false;               // §2.6: this request was collapsed with another
  std::string_view key;                 // §2.7: the cache key; empty: not sent (viewed: outlives the status)
  std::string_view detail;              // §2.8: implementation detail; empty: not sent (viewed, as key)
};

std::string format_cache_status(const CacheStatus& status);

// Appends our member as a new Cache-Status field line, which RFC 8941 §3.1
// makes the last member of the list (RFC 9211 §2: the cache nearest the
// client comes last); members from upstream caches stay in front.
void append_cache_status(http::HeaderMap& response_headers, const CacheStatus& status);

// RFC 8941 sf-token: ( ALPHA / "*" ) *( tchar / ":" / "/" ).
bool is_sf_token(std::string_view s) noexcept;

}  // namespace gatehouse::policies::cache
