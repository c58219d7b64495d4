#pragma once
// Freshness (RFC 9111 §4.2) and the reuse decision for a stored response
// (§4, §4.2.4, §5.2.1 request directives, RFC 5861 stale extensions).
//
// Contract: pure arithmetic on values; times are whole seconds (HTTP dates
// are); every sum clamps at 2^31 (§1.2.2). The caller measures
// request_time / response_time with the same clock it passes as `now`.
//
// Use: compute what depends only on a stored response once
// (stored_freshness: its lifetime, initial age, directives, validators) and
// keep it with the entry; on each lookup add the resident time
// (current_age) and call decide_reuse with the request's Cache-Control.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "policies/cache/cache_control.h"
#include "policies/cache/http_date.h"
#include "proxy/http/header_map.h"

namespace gatehouse::policies::cache {

using Seconds = std::chrono::seconds;

struct FreshnessOptions {
  // A shared cache honours s-maxage and proxy-revalidate and ignores private
  // (§5.2.2.7, §5.2.2.8, §5.2.2.10). Gatehouse is one; false is for tests
  // and a future private mode.
  bool shared = true;
  // §4.2.2: the heuristic lifetime is this fraction of (Date − Last-Modified).
  // 0 disables heuristic freshness.
  double heuristic_fraction = 0.1;
  // Upper bound of a heuristic lifetime; 0: none.
  Seconds heuristic_max{0};
  // RFC 9213: the targeted cache-control fields obeyed instead of
  // Cache-Control and Expires, most specific first (lowercased names);
  // null or empty: none. Shared: every stored freshness keeps the options
  // it was computed under.
  std::shared_ptr<const std::vector<std::string>> targeted_fields;

  std::span<const std::string> targets() const noexcept {
    return targeted_fields ? std::span<const std::string>(*targeted_fields) : std::span<const std::string>();
  }
  bool operator==(const FreshnessOptions& other) const noexcept {
    return shared == other.shared && heuristic_fraction == other.heuristic_fraction &&
           heuristic_max == other.heuristic_max && same_targets(other);
  }

 private:
  // The same list: the same object (the usual case, checked first), or
  // equal contents (a reload that kept it).
  bool same_targets(const FreshnessOptions& other) const noexcept {
    if (targeted_fields == other.targeted_fields) return true;
    const std::span<const std::string> a = targets();
    const std::span<const std::string> b = other.targets();
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }
};

// Where a lifetime came from, for Cache-Status details and tests.
enum class LifetimeSource { kSMaxage, kMaxAge, kExpires, kHeuristic, kNone };

struct Lifetime {
  Seconds value{0};
  LifetimeSource source = LifetimeSource::kNone;
};

// RFC 9110 §15.1: status codes a cache may give a heuristic lifetime.
bool is_heuristically_cacheable(int status) noexcept;

// The fields §4.2 reads of one header section, found in one pass over it:
// they are read together, and most sections have a few fields and none or
// one of each. Refers to `fields`, which must outlive it.
struct FreshnessFields {
  explicit FreshnessFields(const http::HeaderMap& fields) noexcept;

  const http::HeaderMap& all;
  const std::string* date = nullptr;  // the first line of each
  const std::string* age = nullptr;
  const std::string* last_modified = nullptr;
  bool has_etag = false;
  bool has_expires = false;  // expires_field(all) reads every line

  // §4.3.1: a validator (ETag or Last-Modified) a conditional request can use.
  bool has_validator() const noexcept { return has_etag || last_modified != nullptr; }
};

// §4.2.1, first match wins:
//   s-maxage (shared cache only; invalid: 0) → max-age (invalid: 0) →
//   Expires − Date (invalid Expires: 0; no Date: Expires − response_time) →
//   heuristic: fraction × (Date − Last-Modified), only when the status is
//   heuristically cacheable or the response is `public` (§4.2.2) and
//   Last-Modified is valid and not after Date → 0 (kNone).
// Negative results are 0.
Lifetime freshness_lifetime(int status, const http::HeaderMap& response_headers, const CacheControl& response_cc,
                            HttpTime response_time, const FreshnessOptions& options);
Lifetime freshness_lifetime(int status, const FreshnessFields& fields, const CacheControl& response_cc,
                            HttpTime response_time, const FreshnessOptions& options);

// When the request was sent upstream and its response head arrived.
struct ResponseTiming {
  HttpTime request_time;
  HttpTime response_time;
};

// §5.1: the Age field's first member as delta-seconds; 0 when absent or
// invalid (the field is then ignored).
Seconds age_value(const http::HeaderMap& response_headers);
Seconds age_value(const FreshnessFields& fields);

// §4.2.3 exactly:
//   apparent_age = max(0, response_time − date_value)
//   response_delay = response_time − request_time
//   corrected_age_value = age_value + response_delay
//   corrected_initial_age = max(apparent_age, corrected_age_value)
//   resident_time = now − response_time
//   current_age = corrected_initial_age + resident_time
// date_value is the Date field, or response_time when it is absent or
// invalid (RFC 9110 §6.6.1: the recipient supplies it). Negative delays and
// resident times (a clock step) count as 0.
Seconds current_age(const http::HeaderMap& response_headers, const ResponseTiming& timing, HttpTime now);

// The same from a corrected_initial_age computed before (StoredFreshness):
// corrected_initial_age + resident_time.
Seconds current_age(Seconds corrected_initial_age, const ResponseTiming& timing, HttpTime now);

// §4.2.3's corrected_initial_age: all of current_age but the resident time.
Seconds corrected_initial_age(const http::HeaderMap& response_headers, const ResponseTiming& timing);
Seconds corrected_initial_age(const FreshnessFields& fields, const ResponseTiming& timing);

// The response directives a reuse decision reads (§4.2.4, §5.2.2, RFC 5861),
// few enough to keep with every stored response.
struct ReuseDirectives {
  ReuseDirectives() = default;
  // NOLINTNEXTLINE(google-explicit-constructor): the same directives, fewer of them
  ReuseDirectives(const CacheControl& cc) noexcept
      : no_cache(cc.no_cache && !cc.qualified_no_cache()),
        must_revalidate(cc.must_revalidate),
        proxy_revalidate(cc.proxy_revalidate),
        s_maxage(cc.s_maxage.present),
        is_public(cc.is_public),
        stale_while_revalidate(cc.stale_while_revalidate),
        stale_if_error(cc.stale_if_error) {}

  bool no_cache = false;  // unqualified: a qualified one is honoured when storing
  bool must_revalidate = false;
  bool proxy_revalidate = false;
  bool s_maxage = false;  // present, whatever its value
  bool is_public = false;
  DeltaDirective stale_while_revalidate;
  DeltaDirective stale_if_error;
};

// What to do with a stored response for a request.
enum class ReuseAction {
  kServeFresh,                 // serve it
  kServeStale,                 // serve it stale: the request's max-stale allows it
  kServeStaleWhileRevalidate,  // serve it stale and refresh it in the background (RFC 5861 §3)
  kRevalidate,                 // send a conditional request; a 304 makes it servable
  kForward,                    // it cannot be used (no validator to revalidate with): forward
  kGatewayTimeout,             // only-if-cached and it cannot be used: answer 504 (§5.2.1.7)
};

struct ReuseDecision {
  ReuseAction action = ReuseAction::kForward;
  Seconds age{0};       // for the Age field (§5.1)
  Seconds ttl{0};       // lifetime − age; negative when stale (RFC 9211 ttl)
  // When the upstream fails (5xx, connect error, timeout) while revalidating
  // or forwarding, the stored response may be served instead (RFC 5861 §4).
  bool stale_if_error = false;
};

struct ReuseInputs {
  ReuseDirectives response_cc;
  Lifetime lifetime;
  Seconds age{0};
  const CacheControl& request_cc;
  bool has_validator = false;  // ETag or Last-Modified stored (§4.3.1)
};

// The rules, in order:
//  1. request no-cache (or Pragma), response no-cache (unqualified; a
//     qualified one is honoured at storage by dropping its fields) →
//     revalidate (§5.2.1.4, §5.2.2.4);
//  2. request max-age: age > max-age (or an invalid value) → revalidate
//     (§5.2.1.1);
//  3. request min-fresh: lifetime − age < min-fresh (or invalid) →
//     revalidate (§5.2.1.3);
//  4. fresh (lifetime > age) → serve fresh;
//  5. stale: must-revalidate, or for a shared cache proxy-revalidate or
//     s-maxage, forbid any stale use (§4.2.4, §5.2.2.2, §5.2.2.8, §5.2.2.10)
//     → revalidate;
//  6. request max-stale without argument, or staleness ≤ its value →
//     serve stale (§5.2.1.2); an invalid value is ignored;
//  7. staleness ≤ stale-while-revalidate → serve stale, refresh (RFC 5861);
//  8. otherwise revalidate.
// Revalidate becomes forward when there is no validator, and either becomes
// 504 when the request says only-if-cached. stale_if_error is set when the
// response or request stale-if-error window covers the staleness and no
// directive of rules 1 and 5 forbids stale use.
ReuseDecision decide_reuse(const ReuseInputs& in, const FreshnessOptions& options);

// What a lookup's freshness rules read of a stored response that does not
// change while it is stored, computed once and kept with it
// (StoredResponse::freshness), so that later hits parse none of its fields.
// `lifetime` holds for `options` only: a lookup under other options (a
// reload changed them) computes it all again.
struct StoredFreshness {
  ReuseDirectives directives;
  Lifetime lifetime;
  FreshnessOptions options;
  Seconds initial_age{0};  // corrected_initial_age()
  bool has_validator = false;
};

// The StoredFreshness of a response whose stored header section is `fields`
// (its Cache-Control parsed: `response_cc`), filled by the exchange `timing`.
StoredFreshness stored_freshness(int status, const http::HeaderMap& fields, const CacheControl& response_cc,
                                 const ResponseTiming& timing, const FreshnessOptions& options);

}  // namespace gatehouse::policies::cache
