#pragma once
// Cache-Control (RFC 9111 §5.2) and Pragma (§5.4), parsed once into values.
//
// Contract: parsing never fails; what the RFC says about a malformed
// directive is carried in the result so that freshness and storability can
// apply it:
//   - every Cache-Control field line is combined (a list, RFC 9110 §5.3);
//   - directive names compare case-insensitively; unknown extensions are
//     ignored (§5.2.3);
//   - arguments may be a token or a quoted-string (§5.2: recipients accept
//     both, so `max-age="5"` is max-age 5);
//   - a delta-seconds argument that is not 1*DIGIT, or a directive that
//     needs one and has none, marks the directive `invalid`; a response with
//     invalid max-age / s-maxage is stale (§4.2.1 "encouraged to consider
//     ... invalid freshness information ... to be stale");
//   - a directive repeated with a different argument is `invalid` too
//     (§4.2.1: "either the first occurrence should be used or the response
//     should be considered stale" — we take the conservative branch); a
//     repeat with the same argument is harmless;
//   - values above 2^31 clamp to 2^31 (§1.2.2);
//   - `no-cache` and `private` keep their field-name lists (lowercased);
//     an empty list means the unqualified directive.
// Request and response directives share one struct; each consumer reads the
// members that apply to its message (§5.2.1 vs §5.2.2).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policies/cache/response_field_summary.h"
#include "proxy/http/header_map.h"

namespace gatehouse::policies::cache {

// A directive with a delta-seconds argument.
struct DeltaDirective {
  bool present = false;
  // present with a usable argument (and no conflicting repeat)
  bool valid = false;
  // present with an argument at all (max-stale may have none)
  bool has_argument = false;
  std::int64_t seconds = 0;  // meaningful when valid

  bool invalid() const noexcept { return present && !valid; }
};

struct CacheControl {
  // §5.2.1 request and §5.2.2 response
  DeltaDirective max_age;
  bool no_cache = false;
  std::vector<std::string> no_cache_fields;  // lowercased; empty: unqualified
  bool no_store = false;
  bool no_transform = false;
  // §5.2.1 request only
  DeltaDirective max_stale;  // present without argument: any staleness
  DeltaDirective min_fresh;
  bool only_if_cached = false;
  // §5.2.2 response only
  DeltaDirective s_maxage;
  bool must_revalidate = false;
  bool must_understand = false;
  bool proxy_revalidate = false;
  bool is_public = false;
  bool is_private = false;
  std::vector<std::string> private_fields;  // lowercased; empty: unqualified
  // RFC 5861 (both directions for stale-if-error, §3 and §4)
  DeltaDirective stale_while_revalidate;
  DeltaDirective stale_if_error;
  // RFC 8246 (not acted upon beyond parsing)
  bool immutable = false;

  // Read from a targeted field (RFC 9213), not Cache-Control: Expires is
  // ignored too (§2.1).
  bool targeted = false;

  bool qualified_no_cache() const noexcept { return no_cache && !no_cache_fields.empty(); }
  bool qualified_private() const noexcept { return is_private && !private_fields.empty(); }
};

// Parses one combined Cache-Control value.
CacheControl parse_cache_control(std::string_view value);

// The response's directives: all its Cache-Control lines.
CacheControl response_cache_control(const http::HeaderMap& response_headers);

// RFC 9213 targeted cache control: the directives of a targeted field's
// value (its lines combined with ", "), a Structured Field Dictionary whose
// members are response directives; values of the wrong type (a string
// max-age) are ignored, as are parameters. nullopt when the value does not
// parse or is empty: the field is then ignored.
std::optional<CacheControl> targeted_cache_control(std::string_view value);

// The directives this cache obeys for a response: those of the first field
// named in `targets` (its target list, most specific first, lowercased)
// that the response carries with a valid, non-empty value, and otherwise
// its Cache-Control (RFC 9213 §2.1).
CacheControl response_cache_control(const http::HeaderMap& response_headers, std::span<const std::string> targets);
// The same, with `response_fields` the summary of `response_headers` made
// with these `targets`: a response with neither field is not looked at again.
CacheControl response_cache_control(const http::HeaderMap& response_headers, std::span<const std::string> targets,
                                    const ResponseFieldSummary& response_fields);

// The request's directives: all its Cache-Control lines or, when there is
// none, `Pragma: no-cache` as `no-cache` (RFC 9111 §5.4). Other Pragma
// values are ignored.
CacheControl request_cache_control(const http::HeaderMap& request_headers);

}  // namespace gatehouse::policies::cache
