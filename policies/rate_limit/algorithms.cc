#include "policies/rate_limit/algorithms.h"

#include <algorithm>
#include <limits>

namespace gatehouse::policies::rate_limit {
namespace {

// Products such as burst x interval or count x window overflow 64 bits for
// long windows and large quotas; 128-bit intermediates keep them exact.
using Wide = __int128;

Nanos clamp_nanos(Wide ns) noexcept {
  constexpr Wide kMax = std::numeric_limits<std::int64_t>::max();
  return Nanos(static_cast<std::int64_t>(std::clamp<Wide>(ns, 0, kMax)));
}

std::uint64_t clamp_count(Wide n) noexcept {
  return n <= 0 ? 0 : static_cast<std::uint64_t>(n);
}

std::int64_t saturating_add(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? std::numeric_limits<std::int64_t>::max() : sum;
}

std::int64_t saturating_mul(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t product = 0;
  return __builtin_mul_overflow(a, b, &product) ? std::numeric_limits<std::int64_t>::max() : product;
}

// GCRA: the bucket is described by the time at which it would be full again
// (`tat`). Admitting a request moves it one emission interval later; the
// request fits while tat - now stays within the capacity's worth of time.
// 64-bit arithmetic, saturating: a bucket spanning more than 292 years is
// simply treated as one that never fills (this runs on every request).
Decision token_bucket(const LimitSpec& spec, LimitState& state, std::int64_t now, bool commit,
                      Nanos tolerance) noexcept {
  const std::int64_t interval = spec.emission_interval().count();
  const std::int64_t span = saturating_mul(interval, static_cast<std::int64_t>(spec.burst));  // a full bucket
  const std::int64_t tat = std::max(state.bucket_tat, now);
  const std::int64_t next_tat = saturating_add(tat, interval);
  const std::int64_t ahead = next_tat - now;  // how far this request would push the bucket

  Decision d;
  d.limit = spec.advertised_quota();
  d.allowed = ahead <= saturating_add(span, tolerance.count());
  if (!d.allowed) {
    d.reset = Nanos(tat - now);
    d.retry_after = Nanos(ahead - span);
    return d;
  }
  d.remaining = ahead < span ? static_cast<std::uint64_t>((span - ahead) / interval) : 0;
  d.reset = Nanos(ahead);
  d.delay = Nanos(std::max<std::int64_t>(ahead - span, 0));
  if (commit) state.bucket_tat = next_tat;
  return d;
}

// The window `now` falls in, but never one before the state's: workers read
// the clock before taking the stripe's lock, so a thread may arrive with a
// time slightly older than the last update, and must count in the newer
// window rather than roll the state back (which would forget its count).
std::int64_t current_window(const LimitState& state, std::int64_t now, std::int64_t width) noexcept {
  return std::max(now / width, state.window_index);
}

// Moves the window state to the window containing `index`: the current
// count becomes the previous one when `index` is the very next window.
void roll(LimitState& state, std::int64_t index) noexcept {
  if (state.window_index == index) return;
  state.previous_count = index == state.window_index + 1 ? state.window_count : 0;
  state.window_count = 0;
  state.window_index = index;
}

Decision fixed_window(const LimitSpec& spec, LimitState& state, std::int64_t now, bool commit) noexcept {
  const std::int64_t width = spec.window.count();
  const std::int64_t index = current_window(state, now, width);
  LimitState next = state;
  roll(next, index);

  Decision d;
  d.limit = spec.quota;
  d.reset = Nanos((index + 1) * width - now);
  d.allowed = next.window_count < spec.quota;
  if (!d.allowed) {
    d.retry_after = d.reset;
    return d;
  }
  ++next.window_count;
  d.remaining = spec.quota - next.window_count;
  if (commit) state = next;
  return d;
}

// The count is estimated as previous x (share of the sliding window still
// overlapping the previous fixed window) + current. Everything is scaled by
// the window width so the comparison stays in integers:
//   previous * (W - elapsed) + current * W  <=  quota * W.
Decision sliding_window(const LimitSpec& spec, LimitState& state, std::int64_t now, bool commit) noexcept {
  const Wide width = spec.window.count();
  const std::int64_t index = current_window(state, now, spec.window.count());
  const Wide elapsed = std::max<Wide>(now - index * width, 0);
  LimitState next = state;
  roll(next, index);
  const Wide quota = spec.quota;
  const Wide previous = next.previous_count;
  const Wide current = next.window_count;
  const Wide carried = previous * (width - elapsed);  // the previous window's weight, scaled

  Decision d;
  d.limit = spec.quota;
  d.allowed = carried + (current + 1) * width <= quota * width;
  if (!d.allowed) {
    if (current + 1 <= quota) {
      // Only the previous window's fading weight is in the way: wait until
      // previous * (W - e) <= (quota - current - 1) * W.
      const Wide e = width - ((quota - current - 1) * width) / previous;
      d.retry_after = clamp_nanos(e - elapsed);
    } else {
      // The current window alone is full: it becomes the previous window at
      // the boundary, and then has to fade to (quota - 1) requests' weight.
      const Wide e = width - ((quota - 1) * width) / current;
      d.retry_after = clamp_nanos(width - elapsed + e);
    }
    d.reset = clamp_nanos(current > 0 ? 2 * width - elapsed : width - elapsed);
    return d;
  }
  ++next.window_count;
  d.remaining = clamp_count((quota * width - carried - (current + 1) * width) / width);
  // Fully available again once this window's requests have faded out of
  // the next window too.
  d.reset = clamp_nanos(2 * width - elapsed);
  if (commit) state = next;
  return d;
}

}  // namespace

std::uint64_t LimitSpec::advertised_quota() const noexcept {
  return algorithm == Algorithm::kTokenBucket ? burst : quota;
}

Nanos LimitSpec::advertised_window() const noexcept {
  if (algorithm != Algorithm::kTokenBucket) return window;
  return clamp_nanos(static_cast<Wide>(emission_interval().count()) * static_cast<Wide>(burst));
}

Nanos LimitSpec::emission_interval() const noexcept {
  // Rounded to the nearest nanosecond: the drift is at most half a
  // nanosecond per request, far below anything a client could observe.
  const std::int64_t q = static_cast<std::int64_t>(std::max<std::uint64_t>(quota, 1));
  return Nanos(std::max<std::int64_t>((window.count() + q / 2) / q, 1));
}

Decision evaluate(const LimitSpec& spec, LimitState& state, TimePoint now, bool commit,
                  Nanos tolerance) noexcept {
  const std::int64_t ns = std::max<std::int64_t>(now.time_since_epoch().count(), 0);
  switch (spec.algorithm) {
    case Algorithm::kTokenBucket:
      return token_bucket(spec, state, ns, commit, tolerance);
    case Algorithm::kSlidingWindow:
      return sliding_window(spec, state, ns, commit);
    case Algorithm::kFixedWindow:
      return fixed_window(spec, state, ns, commit);
  }
  return Decision{};
}

bool is_idle(const LimitSpec& spec, const LimitState& state, TimePoint now) noexcept {
  const std::int64_t ns = std::max<std::int64_t>(now.time_since_epoch().count(), 0);
  switch (spec.algorithm) {
    case Algorithm::kTokenBucket:
      return state.bucket_tat <= ns;
    case Algorithm::kFixedWindow:
      return state.window_count == 0 || ns / spec.window.count() > state.window_index;
    case Algorithm::kSlidingWindow: {
      const std::int64_t index = ns / spec.window.count();
      if (index >= state.window_index + 2) return true;
      if (index == state.window_index + 1) return state.window_count == 0;
      return state.window_count == 0 && state.previous_count == 0;
    }
  }
  return false;
}

}  // namespace gatehouse::policies::rate_limit
