#include "policies/cache/freshness.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "policies/cache/field_syntax.h"

namespace gatehouse::policies::cache {
namespace {

// A difference of two times as non-negative seconds, clamped to 2^31.
std::int64_t fresh_positive_diff(HttpTime later, HttpTime earlier) noexcept {
  if (later <= earlier) return 0;
  std::int64_t d = (later - earlier).count();
  return std::min(d, kDeltaSecondsMax);
}

}  // namespace

bool is_heuristically_cacheable(int status) noexcept {
  switch (status) {
    case 200: case 203: case 204: case 206: case 300: case 301: case 308:
    case 404: case 405: case 410: case 414: case 501:
      return true;
    default:
      return false;
  }
}

Lifetime freshness_lifetime(int status, const http::HeaderMap& response_headers, const CacheControl& response_cc,
                            HttpTime response_time, const FreshnessOptions& options) {
  if (options.shared && response_cc.s_maxage.present) {
    return {Seconds{response_cc.s_maxage.valid ? response_cc.s_maxage.seconds : 0}, LifetimeSource::kSMaxage};
  }
  if (response_cc.max_age.present) {
    return {Seconds{response_cc.max_age.valid ? response_cc.max_age.seconds : 0}, LifetimeSource::kMaxAge};
  }
  // Date is parsed only when something is measured from it.
  auto date_value = [&] { return date_field(response_headers, "date").value_or(response_time); };
  ExpiresField expires = expires_field(response_headers);
  if (expires.present) {
    if (expires.already_expired()) return {Seconds{0}, LifetimeSource::kExpires};
    return {Seconds{fresh_positive_diff(*expires.time, date_value())}, LifetimeSource::kExpires};
  }
  if (options.heuristic_fraction <= 0) return {};
  if (!is_heuristically_cacheable(status) && !response_cc.is_public) return {};
  std::optional<HttpTime> last_modified = date_field(response_headers, "last-modified");
  if (!last_modified.has_value()) return {};
  double span = static_cast<double>(fresh_positive_diff(date_value(), *last_modified));
  auto heuristic = static_cast<std::int64_t>(std::floor(span * options.heuristic_fraction));
  heuristic = std::clamp<std::int64_t>(heuristic, 0, kDeltaSecondsMax);
  if (options.heuristic_max.count() > 0) heuristic = std::min<std::int64_t>(heuristic, options.heuristic_max.count());
  if (heuristic == 0) return {};
  return {Seconds{heuristic}, LifetimeSource::kHeuristic};
}

Seconds age_value(const http::HeaderMap& response_headers) {
  const std::string* age = response_headers.find("age");
  if (age == nullptr) return Seconds{0};
  std::vector<std::string_view> members = split_list(*age);
  if (members.empty()) return Seconds{0};
  return Seconds{parse_delta_seconds(members.front()).value_or(0)};
}

Seconds current_age(const http::HeaderMap& response_headers, const ResponseTiming& timing, HttpTime now) {
  HttpTime date_value = date_field(response_headers, "date").value_or(timing.response_time);
  std::int64_t apparent_age = fresh_positive_diff(timing.response_time, date_value);
  std::int64_t response_delay = fresh_positive_diff(timing.response_time, timing.request_time);
  std::int64_t corrected_age_value = clamped_add(age_value(response_headers).count(), response_delay);
  std::int64_t corrected_initial_age = std::max(apparent_age, corrected_age_value);
  std::int64_t resident_time = fresh_positive_diff(now, timing.response_time);
  return Seconds{clamped_add(corrected_initial_age, resident_time)};
}

ReuseDecision decide_reuse(const ReuseInputs& in, const FreshnessOptions& options) {
  const CacheControl& req = in.request_cc;
  const CacheControl& res = in.response_cc;
  std::int64_t lifetime = in.lifetime.value.count();
  std::int64_t age = in.age.count();
  std::int64_t staleness = std::max<std::int64_t>(0, age - lifetime);

  ReuseDecision d;
  d.age = in.age;
  d.ttl = Seconds{lifetime - age};

  bool must_validate = req.no_cache || (res.no_cache && !res.qualified_no_cache());
  bool stale_forbidden = res.must_revalidate ||
                         (options.shared && (res.proxy_revalidate || res.s_maxage.present)) ||
                         (res.no_cache && !res.qualified_no_cache());
  if (!req.no_cache && !stale_forbidden) {
    bool res_window = res.stale_if_error.valid && staleness <= res.stale_if_error.seconds;
    bool req_window = req.stale_if_error.valid && staleness <= req.stale_if_error.seconds;
    d.stale_if_error = res_window || req_window;
  }

  ReuseAction action = ReuseAction::kRevalidate;
  if (must_validate) {
    action = ReuseAction::kRevalidate;
  } else if (req.max_age.present && (!req.max_age.valid || age > req.max_age.seconds)) {
    action = ReuseAction::kRevalidate;
  } else if (req.min_fresh.present && (!req.min_fresh.valid || lifetime - age < req.min_fresh.seconds)) {
    action = ReuseAction::kRevalidate;
  } else if (lifetime > age) {
    action = ReuseAction::kServeFresh;
  } else if (stale_forbidden) {
    action = ReuseAction::kRevalidate;
  } else if (req.max_stale.valid && (!req.max_stale.has_argument || staleness <= req.max_stale.seconds)) {
    action = ReuseAction::kServeStale;
  } else if (res.stale_while_revalidate.valid && staleness <= res.stale_while_revalidate.seconds) {
    action = ReuseAction::kServeStaleWhileRevalidate;
  }

  if (action == ReuseAction::kRevalidate && !in.has_validator) action = ReuseAction::kForward;
  if ((action == ReuseAction::kRevalidate || action == ReuseAction::kForward) && req.only_if_cached) {
    action = ReuseAction::kGatewayTimeout;
  }
  d.action = action;
  return d;
}

}  // namespace gatehouse::policies::cache
