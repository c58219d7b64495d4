#include "policies/rate_limit/local_store.h"

#include <algorithm>
#include <functional>
#include <list>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace gatehouse::policies::rate_limit {
namespace {

constexpr std::size_t kMaxStripes = 64;
// Idle keys dropped from the cold end per request: enough to keep up with
// the rate keys are added, small enough to keep the critical section short.
constexpr int kExpirePerRequest = 2;

struct Entry {
  std::string key;
  std::array<LimitState, kMaxLimits> states{};
};

// One lock's share of the keys, most recently used first. The index points
// into the list nodes, whose addresses never change.
struct alignas(64) Stripe {
  std::mutex mutex;
  std::list<Entry> lru;
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index;
};

class LocalCounterTable final : public LimitCounters {
 public:
  explicit LocalCounterTable(CounterTableSpec spec)
      : spec_(std::move(spec)),
        stripes_(static_cast<std::size_t>(std::clamp<std::uint64_t>(spec_.max_keys, 1, kMaxStripes))),
        per_stripe_((std::max<std::uint64_t>(spec_.max_keys, 1) + stripes_.size() - 1) / stripes_.size()) {}

  Verdict acquire(std::string_view key, TimePoint now) noexcept override {
    Stripe& stripe = stripes_[std::hash<std::string_view>{}(key) % stripes_.size()];
    std::lock_guard lock(stripe.mutex);
    Entry* entry = find_or_insert(stripe, key, now);
    if (entry == nullptr) return fail_open();

    Verdict verdict;
    verdict.count = spec_.limits.size();
    if (verdict.count == 1) {  // the common case: check and consume in one step
      verdict.decisions[0] = evaluate(spec_.limits[0], entry->states[0], now, true, spec_.tolerance);
      verdict.allowed = verdict.decisions[0].allowed;
      verdict.delay = verdict.decisions[0].delay;
      return verdict;
    }
    verdict.allowed = true;
    for (std::size_t i = 0; i < verdict.count; ++i) {
      verdict.decisions[i] = evaluate(spec_.limits[i], entry->states[i], now, false, spec_.tolerance);
      verdict.allowed &= verdict.decisions[i].allowed;
    }
    if (verdict.allowed) {
      for (std::size_t i = 0; i < verdict.count; ++i) {
        verdict.decisions[i] = evaluate(spec_.limits[i], entry->states[i], now, true, spec_.tolerance);
        verdict.delay = std::max(verdict.delay, verdict.decisions[i].delay);
      }
    } else {
      // Nothing was consumed: a limit that would have admitted reports what
      // it still has, not what it would have had after this request.
      for (std::size_t i = 0; i < verdict.count; ++i) {
        Decision& d = verdict.decisions[i];
        if (d.allowed) ++d.remaining;
      }
    }
    return verdict;
  }

 private:
  bool idle(const Entry& entry, TimePoint now) const noexcept {
    for (std::size_t i = 0; i < spec_.limits.size(); ++i) {
      if (!is_idle(spec_.limits[i], entry.states[i], now)) return false;
    }
    return true;
  }

  void erase_back(Stripe& stripe) {
    stripe.index.erase(stripe.lru.back().key);
    stripe.lru.pop_back();
  }

  // The key's entry, moved to the front; null only when memory ran out.
  Entry* find_or_insert(Stripe& stripe, std::string_view key, TimePoint now) noexcept {
    try {
      for (int i = 0; i < kExpirePerRequest && !stripe.lru.empty() && idle(stripe.lru.back(), now); ++i) {
        if (stripe.lru.back().key == key) break;  // about to be used again
        erase_back(stripe);
      }
      if (auto it = stripe.index.find(key); it != stripe.index.end()) {
        stripe.lru.splice(stripe.lru.begin(), stripe.lru, it->second);
        return &*it->second;
      }
      if (stripe.lru.size() >= per_stripe_) erase_back(stripe);
      stripe.lru.push_front(Entry{std::string(key), {}});
      stripe.index.emplace(stripe.lru.front().key, stripe.lru.begin());
      return &stripe.lru.front();
    } catch (...) {
      // bad_alloc: the data plane never throws. Leave the stripe consistent
      // (the list and index are updated one after the other; undo a half
      // insert) and let the request through rather than fail it.
      if (stripe.lru.size() > stripe.index.size()) stripe.lru.pop_front();
      return nullptr;
    }
  }

  // When the store cannot keep state, it admits: a limiter that fails a
  // request for its own memory trouble would turn one problem into two.
  Verdict fail_open() const noexcept {
    Verdict verdict;
    verdict.allowed = true;
    verdict.count = spec_.limits.size();
    for (std::size_t i = 0; i < verdict.count; ++i) {
      verdict.decisions[i].allowed = true;
      verdict.decisions[i].limit = spec_.limits[i].advertised_quota();
      verdict.decisions[i].remaining = verdict.decisions[i].limit;
    }
    return verdict;
  }

  const CounterTableSpec spec_;
  std::vector<Stripe> stripes_;
  const std::uint64_t per_stripe_;
};

}  // namespace

std::shared_ptr<LimitCounters> make_local_counters(CounterTableSpec spec) {
  return std::make_shared<LocalCounterTable>(std::move(spec));
}

std::shared_ptr<LimitCounters> LocalLimitStore::counters(const std::string& fingerprint,
                                                         const CounterTableSpec& spec) {
  std::lock_guard lock(mutex_);
  // Forget tables whose policies are all gone (definitions reloaded away).
  std::erase_if(tables_, [](const auto& entry) { return entry.second.expired(); });
  std::weak_ptr<LimitCounters>& slot = tables_[fingerprint];
  std::shared_ptr<LimitCounters> table = slot.lock();
  if (!table) {
    table = make_local_counters(spec);
    slot = table;
  }
  return table;
}

}  // namespace gatehouse::policies::rate_limit
