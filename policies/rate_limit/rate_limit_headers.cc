#include "policies/rate_limit/rate_limit_headers.h"

#include <algorithm>

namespace gatehouse::policies::rate_limit {

std::uint64_t ceil_seconds(Nanos duration) noexcept {
  if (duration.count() <= 0) return 0;
  constexpr std::int64_t kSecond = 1'000'000'000;
  return static_cast<std::uint64_t>((duration.count() + kSecond - 1) / kSecond);
}

// Names are canonical rate texts (digits, letters, '/'), which need no
// escaping inside an sf-string.
std::string ratelimit_policy_field(const Verdict& verdict, const std::vector<std::string>& names,
                                   const std::vector<LimitSpec>& limits) {
  std::string out;
  for (std::size_t i = 0; i < verdict.count && i < names.size() && i < limits.size(); ++i) {
    if (!out.empty()) out += ", ";
    out += '"' + names[i] + "\";q=" + std::to_string(limits[i].advertised_quota()) +
           ";w=" + std::to_string(std::max<std::uint64_t>(ceil_seconds(limits[i].advertised_window()), 1));
  }
  return out;
}

std::string ratelimit_field(const Verdict& verdict, const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < verdict.count && i < names.size(); ++i) {
    const Decision& d = verdict.decisions[i];
    if (!out.empty()) out += ", ";
    out += '"' + names[i] + "\";r=" + std::to_string(d.remaining) + ";t=" + std::to_string(ceil_seconds(d.reset));
  }
  return out;
}

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

void set_rate_limit_headers(const Verdict& verdict, const std::vector<std::string>& names,
                            const std::vector<LimitSpec>& limits, HeaderChoice choice, http::HeaderMap& headers) {
  if (verdict.count == 0) return;
  if (choice.ietf) {
    headers.set("RateLimit-Policy", ratelimit_policy_field(verdict, names, limits));
    headers.set("RateLimit", ratelimit_field(verdict, names));
  }
  if (choice.legacy) {
    const Decision& d = verdict.decisions[most_restrictive(verdict)];
    headers.set("X-RateLimit-Limit", std::to_string(d.limit));
    headers.set("X-RateLimit-Remaining", std::to_string(d.remaining));
    headers.set("X-RateLimit-Reset", std::to_string(ceil_seconds(d.reset)));
  }
  if (!verdict.allowed) headers.set("Retry-After", std::to_string(retry_after_seconds(verdict)));
}

}  // namespace gatehouse::policies::rate_limit
