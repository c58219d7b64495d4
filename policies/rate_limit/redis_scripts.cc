#include "policies/rate_limit/redis_scripts.h"

#include <algorithm>

namespace gatehouse::policies::rate_limit {
namespace {

// Shared by the three scripts: the key, the limit count and the server's
// time in microseconds. Integers are written back with %.0f, because Lua's
// tostring() would keep only 14 significant digits.
constexpr const char* kPrologue = R"lua(
local key = KEYS[1]
local n = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local out = {1}
local all = true
local ttl = 0
local save = {}
)lua";

// Commits every limit's new state when all of them allowed the request;
// otherwise a limit that would have admitted reports what it still has.
constexpr const char* kEpilogue = R"lua(
if all then
  redis.call('HSET', key, unpack(save))
  redis.call('PEXPIRE', key, math.ceil(ttl / 1000) + 1)
else
  out[1] = 0
  for i = 1, n do
    local base = 2 + (i - 1) * 4
    if out[base] == 1 then out[base + 1] = out[base + 1] + 1 end
  end
end
return out
)lua";

// GCRA, as token_bucket() in algorithms.cc.
constexpr const char* kTokenBucket = R"lua(
for i = 1, n do
  local interval = tonumber(ARGV[2 * i])
  local span = interval * tonumber(ARGV[2 * i + 1])
  local tat = tonumber(redis.call('HGET', key, 't' .. i) or 0)
  if tat < now then tat = now end
  local ahead = tat + interval - now
  local allowed, remaining, reset, retry = 1, 0, 0, 0
  if ahead <= span then
    if ahead < span then remaining = math.floor((span - ahead) / interval) end
    reset = ahead
  else
    allowed = 0
    all = false
    reset = tat - now
    retry = ahead - span
  end
  if reset > ttl then ttl = reset end
  save[#save + 1] = 't' .. i
  save[#save + 1] = string.format('%.0f', tat + interval)
  out[#out + 1] = allowed
  out[#out + 1] = remaining
  out[#out + 1] = reset
  out[#out + 1] = retry
end
)lua";

// The state's window, rolled forward to the window `now` falls in (never
// back: see current_window() in algorithms.cc).
constexpr const char* kWindowState = R"lua(
local function window_state(i, w)
  local s = redis.call('HMGET', key, 'i' .. i, 'c' .. i, 'p' .. i)
  local si, cur, prev = tonumber(s[1] or 0), tonumber(s[2] or 0), tonumber(s[3] or 0)
  local index = math.floor(now / w)
  if index < si then index = si end
  if index ~= si then
    if index == si + 1 then prev = cur else prev = 0 end
    cur = 0
  end
  return index, cur, prev
end
)lua";

constexpr const char* kFixedWindow = R"lua(
for i = 1, n do
  local quota = tonumber(ARGV[2 * i])
  local w = tonumber(ARGV[2 * i + 1])
  local index, cur = window_state(i, w)
  local reset = (index + 1) * w - now
  local allowed, remaining, retry = 1, 0, 0
  if cur < quota then
    cur = cur + 1
    remaining = quota - cur
  else
    allowed = 0
    all = false
    retry = reset
  end
  if reset > ttl then ttl = reset end
  save[#save + 1] = 'i' .. i
  save[#save + 1] = string.format('%.0f', index)
  save[#save + 1] = 'c' .. i
  save[#save + 1] = string.format('%.0f', cur)
  out[#out + 1] = allowed
  out[#out + 1] = remaining
  out[#out + 1] = reset
  out[#out + 1] = retry
end
)lua";

// The weighted count of sliding_window() in algorithms.cc, in the same
// integer form: previous * (W - elapsed) + current * W <= quota * W.
constexpr const char* kSlidingWindow = R"lua(
for i = 1, n do
  local quota = tonumber(ARGV[2 * i])
  local w = tonumber(ARGV[2 * i + 1])
  local index, cur, prev = window_state(i, w)
  local elapsed = now - index * w
  if elapsed < 0 then elapsed = 0 end
  local carried = prev * (w - elapsed)
  local allowed, remaining, reset, retry = 1, 0, 0, 0
  if carried + (cur + 1) * w <= quota * w then
    remaining = math.floor((quota * w - carried - (cur + 1) * w) / w)
    if remaining < 0 then remaining = 0 end
    cur = cur + 1
    reset = 2 * w - elapsed
  else
    allowed = 0
    all = false
    if cur + 1 <= quota then
      retry = w - math.floor(((quota - cur - 1) * w) / prev) - elapsed
    else
      retry = 2 * w - elapsed - math.floor(((quota - 1) * w) / cur)
    end
    if retry < 0 then retry = 0 end
    if cur > 0 then reset = 2 * w - elapsed else reset = w - elapsed end
  end
  if reset > ttl then ttl = reset end
  save[#save + 1] = 'i' .. i
  save[#save + 1] = string.format('%.0f', index)
  save[#save + 1] = 'c' .. i
  save[#save + 1] = string.format('%.0f', cur)
  save[#save + 1] = 'p' .. i
  save[#save + 1] = string.format('%.0f', prev)
  out[#out + 1] = allowed
  out[#out + 1] = remaining
  out[#out + 1] = reset
  out[#out + 1] = retry
end
)lua";

std::int64_t micros(Nanos ns) noexcept { return std::max<std::int64_t>(ns.count() / 1000, 1); }

}  // namespace

const RedisScript& redis_script(Algorithm algorithm) {
  static const RedisScript token_bucket(std::string(kPrologue) + kTokenBucket + kEpilogue);
  static const RedisScript fixed_window(std::string(kPrologue) + kWindowState + kFixedWindow + kEpilogue);
  static const RedisScript sliding_window(std::string(kPrologue) + kWindowState + kSlidingWindow + kEpilogue);
  switch (algorithm) {
    case Algorithm::kTokenBucket: return token_bucket;
    case Algorithm::kFixedWindow: return fixed_window;
    case Algorithm::kSlidingWindow: return sliding_window;
  }
  return token_bucket;
}

std::vector<std::string> redis_script_args(const std::vector<LimitSpec>& limits) {
  std::vector<std::string> args;
  args.reserve(1 + 2 * limits.size());
  args.push_back(std::to_string(limits.size()));
  for (const LimitSpec& l : limits) {
    const std::int64_t window_us = micros(l.window);
    if (l.algorithm == Algorithm::kTokenBucket) {
      const auto q = static_cast<std::int64_t>(std::max<std::uint64_t>(l.quota, 1));
      args.push_back(std::to_string(std::max<std::int64_t>((window_us + q / 2) / q, 1)));
      args.push_back(std::to_string(l.burst));
    } else {
      args.push_back(std::to_string(l.quota));
      args.push_back(std::to_string(window_us));
    }
  }
  return args;
}

std::optional<Verdict> verdict_from_redis_reply(const std::vector<LimitSpec>& limits,
                                                const std::vector<long long>& reply) {
  if (limits.empty() || limits.size() > kMaxLimits || reply.size() != 1 + 4 * limits.size()) return std::nullopt;
  auto nanos = [](long long us) { return Nanos(std::max<long long>(us, 0) * 1000); };
  Verdict verdict;
  verdict.allowed = reply[0] == 1;
  verdict.count = limits.size();
  for (std::size_t i = 0; i < limits.size(); ++i) {
    const long long* r = &reply[1 + 4 * i];
    Decision& d = verdict.decisions[i];
    d.allowed = r[0] == 1;
    d.limit = limits[i].advertised_quota();
    d.remaining = static_cast<std::uint64_t>(std::max<long long>(r[1], 0));
    d.reset = nanos(r[2]);
    d.retry_after = nanos(r[3]);
  }
  return verdict;
}

}  // namespace gatehouse::policies::rate_limit
