#pragma once
// The three rate-limiting algorithms as pure value logic: given a limit, the
// state kept for one key and the current time, say whether one more request
// fits and what the state becomes. Nothing here reads a clock, allocates or
// locks, so the store decides where state lives and how it is protected, and
// tests drive time by hand.
//
// Time is a steady_clock time_point supplied by the caller; windows are
// aligned to that clock's epoch, so every worker (and every key) sees the
// same window boundaries.

#include <chrono>
#include <cstdint>

namespace gatehouse::policies::rate_limit {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Nanos = std::chrono::nanoseconds;

enum class Algorithm : std::uint8_t { kTokenBucket, kSlidingWindow, kFixedWindow };

// One limit: `quota` requests per `window`.
struct LimitSpec {
  Algorithm algorithm = Algorithm::kTokenBucket;
  std::uint64_t quota = 1;  // requests per window, >= 1
  Nanos window{std::chrono::seconds(1)};  // > 0
  // token_bucket only: the bucket's capacity (the largest burst); refills at
  // quota/window. Equal to `quota` unless configured.
  std::uint64_t burst = 1;

  // What RateLimit-Policy advertises: the quota and its window. For a token
  // bucket that is the capacity and the time a full refill takes, so "q
  // requests per w seconds" holds from an idle start.
  std::uint64_t advertised_quota() const noexcept;
  Nanos advertised_window() const noexcept;
  // Time for a token bucket to earn one request (window / quota, at least 1ns).
  Nanos emission_interval() const noexcept;
};

// The state one key keeps for one limit. Zero-initialised = never seen.
struct LimitState {
  // token_bucket: the "theoretical arrival time" of GCRA, in ns since the
  // clock's epoch: the bucket is full when it is <= now, and each admitted
  // request pushes it one emission interval later. One integer, exact.
  std::int64_t bucket_tat = 0;
  // fixed_window / sliding_window: the index of the current window, its
  // count, and (sliding_window) the count of the window before it.
  std::int64_t window_index = 0;
  std::uint64_t window_count = 0;
  std::uint64_t previous_count = 0;
};

// What one limit says about one request.
struct Decision {
  bool allowed = false;
  std::uint64_t limit = 0;      // advertised quota
  std::uint64_t remaining = 0;  // requests left after this one (0 when denied)
  Nanos reset{0};               // until the quota is fully available again (window end for windows)
  Nanos retry_after{0};         // when denied: until one request would fit
  Nanos delay{0};               // delay mode: how long this admitted request must wait
};

// Evaluates one request against `spec` at `now`. `state` is updated only
// when the request is allowed and `commit` is true, so that a request
// checked against several limits consumes from none of them unless all
// allow it (evaluate all with commit=false, then all with commit=true).
//
// `tolerance` (token_bucket only, delay mode): a request may be admitted
// that far in the future; Decision::delay says how long it must wait. A
// leaky bucket shapes traffic this way: each key's requests leave one
// emission interval apart, and at most tolerance/interval of them wait.
Decision evaluate(const LimitSpec& spec, LimitState& state, TimePoint now, bool commit,
                  Nanos tolerance = Nanos(0)) noexcept;

// Whether `state` last touched for `spec` is equivalent to a fresh one at `now`:
// forgetting such a key changes no future decision, so the store may expire it.
bool is_idle(const LimitSpec& spec, const LimitState& state, TimePoint now) noexcept;

}  // namespace gatehouse::policies::rate_limit
