#include "policies/rate_limit/rate_limit_headers.h"

#include <algorithm>
#include <charconv>

namespace gatehouse::policies::rate_limit {

std::uint64_t ceil_seconds(Nanos duration) noexcept {
  if (duration.count() <= 0) return 0;
  constexpr std::int64_t kSecond = 1'000'000'000;
  return static_cast<std::uint64_t>((duration.count() + kSecond - 1) / kSecond);
}

// Names are canonical rate texts (digits, letters, '/'), which need no
// escaping inside an sf-string.
std::string ratelimit_policy_field(const std::vector<std::string>& names, const std::vector<LimitSpec>& limits) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < limits.size(); ++i) {
    if (!out.empty()) out += ", ";
    out += '"' + names[i] + "\";q=" + std::to_string(limits[i].advertised_quota()) +
           ";w=" + std::to_string(std::max<std::uint64_t>(ceil_seconds(limits[i].advertised_window()), 1));
  }
  return out;
}

namespace {

void append_number(std::string& out, std::uint64_t n) {
  char buffer[20];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, n);
  out.append(buffer, end);
}

bool is_ietf_header(const http::Header& h) noexcept {
  return http::iequals(h.name, "RateLimit") || http::iequals(h.name, "RateLimit-Policy");
}

bool is_legacy_header(const http::Header& h) noexcept {
  return http::iequals(h.name, "X-RateLimit-Limit") || http::iequals(h.name, "X-RateLimit-Remaining") ||
         http::iequals(h.name, "X-RateLimit-Reset");
}

}  // namespace

std::size_t most_restrictive(const Verdict& verdict) noexcept {
  std::size_t best = 0;
  for (std::size_t i = 1; i < verdict.count; ++i) {
    const Decision& d = verdict.decisions[i];
    const Decision& b = verdict.decisions[best];
    if (d.remaining < b.remaining || (d.remaining == b.remaining && d.reset > b.reset)) best = i;
  }
  return best;
}

std::uint64_t retry_after_seconds(const Verdict& verdict) noexcept {
  Nanos wait{0};
  for (std::size_t i = 0; i < verdict.count; ++i) {
    if (!verdict.decisions[i].allowed) wait = std::max(wait, verdict.decisions[i].retry_after);
  }
  return std::max<std::uint64_t>(ceil_seconds(wait), 1);
}

RateLimitHeaders::RateLimitHeaders(const std::vector<std::string>& names, const std::vector<LimitSpec>& limits,
                                   HeaderChoice choice)
    : choice_(choice) {
  policy_field_ = ratelimit_policy_field(names, limits);
  for (const std::string& name : names) item_prefixes_.push_back('"' + name + "\";r=");
}

void RateLimitHeaders::apply(const Verdict& verdict, http::HeaderMap& headers) const {
  if (verdict.count == 0) return;
  // Replace what an upstream may have sent under these names, in one pass
  // over the fields rather than one per name. An upstream's Retry-After is
  // kept unless this policy answers with its own.
  const bool denied = !verdict.allowed;
  headers.remove_if([&](const http::Header& h) {
    return (choice_.ietf && is_ietf_header(h)) || (choice_.legacy && is_legacy_header(h)) ||
           (denied && http::iequals(h.name, "Retry-After"));
  });
  if (choice_.ietf) {
    headers.add("RateLimit-Policy", policy_field_);
    http::Header& field = headers.add("RateLimit", {});
    for (std::size_t i = 0; i < verdict.count && i < item_prefixes_.size(); ++i) {
      if (i > 0) field.value += ", ";
      field.value += item_prefixes_[i];
      append_number(field.value, verdict.decisions[i].remaining);
      field.value += ";t=";
      append_number(field.value, ceil_seconds(verdict.decisions[i].reset));
    }
  }
  if (choice_.legacy) {
    const Decision& d = verdict.decisions[most_restrictive(verdict)];
    append_number(headers.add("X-RateLimit-Limit", {}).value, d.limit);
    append_number(headers.add("X-RateLimit-Remaining", {}).value, d.remaining);
    append_number(headers.add("X-RateLimit-Reset", {}).value, ceil_seconds(d.reset));
  }
  if (denied) append_number(headers.add("Retry-After", {}).value, retry_after_seconds(verdict));
}

}  // namespace gatehouse::policies::rate_limit
