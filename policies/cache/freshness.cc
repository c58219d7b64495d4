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

FreshnessFields::FreshnessFields(const http::HeaderMap& fields) noexcept : all(fields) {
  auto first = [](const std::string*& slot, const http::Header& h) {
    if (slot == nullptr) slot = &h.value;
  };
  for (const http::Header& h : fields) {
    // By length first: most names have none of these lengths.
    switch (h.name.size()) {
      case 3:
        if (http::iequals(h.name, "age")) first(age, h);
        break;
      case 4:
        if (http::iequals(h.name, "date")) {
          first(date, h);
        } else if (http::iequals(h.name, "etag")) {
          has_etag = true;
        }
        break;
      case 7:
        if (http::iequals(h.name, "expires")) has_expires = true;
        break;
      case 13:
        if (http::iequals(h.name, "last-modified")) first(last_modified, h);
        break;
      default:
        break;
    }
  }
}

namespace {

std::optional<HttpTime> fresh_date(const std::string* value) {
  if (value == nullptr) return std::nullopt;
  return parse_http_date(*value);
}

}  // namespace

Lifetime freshness_lifetime(int status, const http::HeaderMap& response_headers, const CacheControl& response_cc,
                            HttpTime response_time, const FreshnessOptions& options) {
  return freshness_lifetime(status, FreshnessFields(response_headers), response_cc, response_time, options);
}

Lifetime freshness_lifetime(int status, const FreshnessFields& fields, const CacheControl& response_cc,
                            HttpTime response_time, const FreshnessOptions& options) {
  if (options.shared && response_cc.s_maxage.present) {
    return {Seconds{response_cc.s_maxage.valid ? response_cc.s_maxage.seconds : 0}, LifetimeSource::kSMaxage};
  }
  if (response_cc.max_age.present) {
    return {Seconds{response_cc.max_age.valid ? response_cc.max_age.seconds : 0}, LifetimeSource::kMaxAge};
  }
  // Date is parsed only when something is measured from it.
  auto date_value = [&] { return fresh_date(fields.date).value_or(response_time); };
  if (fields.has_expires && !response_cc.targeted) {  // a targeted field overrides Expires (RFC 9213 §2.1)
    const ExpiresField expires = expires_field(fields.all);
    if (expires.already_expired()) return {Seconds{0}, LifetimeSource::kExpires};
    return {Seconds{fresh_positive_diff(*expires.time, date_value())}, LifetimeSource::kExpires};
  }
  if (options.heuristic_fraction <= 0) return {};
  if (!is_heuristically_cacheable(status) && !response_cc.is_public) return {};
  std::optional<HttpTime> last_modified = fresh_date(fields.last_modified);
  if (!last_modified.has_value()) return {};
  double span = static_cast<double>(fresh_positive_diff(date_value(), *last_modified));
  auto heuristic = static_cast<std::int64_t>(std::floor(span * options.heuristic_fraction));
  heuristic = std::clamp<std::int64_t>(heuristic, 0, kDeltaSecondsMax);
  if (options.heuristic_max.count() > 0) heuristic = std::min<std::int64_t>(heuristic, options.heuristic_max.count());
  if (heuristic == 0) return {};
  return {Seconds{heuristic}, LifetimeSource::kHeuristic};
}

Seconds age_value(const http::HeaderMap& response_headers) { return age_value(FreshnessFields(response_headers)); }

Seconds age_value(const FreshnessFields& fields) {
  if (fields.age == nullptr) return Seconds{0};
  std::optional<std::string_view> first;
  for_each_list_member(*fields.age, [&first](std::string_view member) {
    if (!first.has_value()) first = member;
  });
  if (!first.has_value()) return Seconds{0};
  return Seconds{parse_delta_seconds(*first).value_or(0)};
}

Seconds corrected_initial_age(const http::HeaderMap& response_headers, const ResponseTiming& timing) {
  return corrected_initial_age(FreshnessFields(response_headers), timing);
}

Seconds corrected_initial_age(const FreshnessFields& fields, const ResponseTiming& timing) {
  HttpTime date_value = fresh_date(fields.date).value_or(timing.response_time);
  std::int64_t apparent_age = fresh_positive_diff(timing.response_time, date_value);
  std::int64_t response_delay = fresh_positive_diff(timing.response_time, timing.request_time);
  std::int64_t corrected_age_value = clamped_add(age_value(fields).count(), response_delay);
  return Seconds{std::max(apparent_age, corrected_age_value)};
}

Seconds current_age(Seconds initial_age, const ResponseTiming& timing, HttpTime now) {
  std::int64_t resident_time = fresh_positive_diff(now, timing.response_time);
  return Seconds{clamped_add(initial_age.count(), resident_time)};
}

Seconds current_age(const http::HeaderMap& response_headers, const ResponseTiming& timing, HttpTime now) {
  return current_age(corrected_initial_age(response_headers, timing), timing, now);
}

StoredFreshness stored_freshness(int status, const http::HeaderMap& header_section, const CacheControl& response_cc,
                                 const ResponseTiming& timing, const FreshnessOptions& options) {
  const FreshnessFields fields(header_section);
  return StoredFreshness{.directives = response_cc,
                         .lifetime = freshness_lifetime(status, fields, response_cc, timing.response_time, options),
                         .options = options,
                         .initial_age = corrected_initial_age(fields, timing),
                         .has_validator = fields.has_validator()};
}

ReuseDecision decide_reuse(const ReuseInputs& in, const FreshnessOptions& options) {
  const CacheControl& req = in.request_cc;
  const ReuseDirectives& res = in.response_cc;
  std::int64_t lifetime = in.lifetime.value.count();
  std::int64_t age = in.age.count();
  std::int64_t staleness = std::max<std::int64_t>(0, age - lifetime);

  ReuseDecision d;
  d.age = in.age;
  d.ttl = Seconds{lifetime - age};

  bool must_validate = req.no_cache || res.no_cache;
  bool stale_forbidden =
      res.must_revalidate || (options.shared && (res.proxy_revalidate || res.s_maxage)) || res.no_cache;
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
