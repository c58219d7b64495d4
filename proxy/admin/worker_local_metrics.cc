#include "proxy/admin/worker_local_metrics.h"

#include <algorithm>
#include <utility>

namespace gatehouse {

std::size_t metric_slot() noexcept {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t slot = next.fetch_add(1, std::memory_order_relaxed) % kMetricSlots;
  return slot;
}

std::uint64_t WorkerLocalCounter::total() const noexcept {
  std::uint64_t sum = 0;
  for (const Slot& slot : slots_) sum += slot.value.load(std::memory_order_relaxed);
  return sum;
}

void WorkerLocalCounter::publish() {
  const std::uint64_t now = total();
  if (now > published_) target_.Increment(static_cast<double>(now - published_));
  published_ = now;
}

WorkerLocalHistogram::WorkerLocalHistogram(prometheus::Histogram& target, std::vector<double> boundaries)
    : target_(target),
      boundaries_(std::move(boundaries)),
      buckets_(boundaries_.size() + 1),
      lines_per_slot_((buckets_ + 1 + 7) / 8),
      lines_(kMetricSlots * lines_per_slot_),
      published_(buckets_ + 1, 0) {}

void WorkerLocalHistogram::observe(double value) noexcept {
  const std::size_t bucket = static_cast<std::size_t>(
      std::lower_bound(boundaries_.begin(), boundaries_.end(), value) - boundaries_.begin());
  const std::size_t slot = metric_slot();
  cell(slot, bucket).fetch_add(1, std::memory_order_relaxed);
  // Negative or NaN durations (a clock stepped back) add nothing to the sum.
  const std::uint64_t nanos = value > 0 ? static_cast<std::uint64_t>(value * 1e9 + 0.5) : 0;
  cell(slot, buckets_).fetch_add(nanos, std::memory_order_relaxed);
}

void WorkerLocalHistogram::publish() {
  std::vector<double> increments(buckets_, 0.0);
  double sum_increment = 0;
  bool any = false;
  for (std::size_t index = 0; index <= buckets_; ++index) {
    std::uint64_t total = 0;
    for (std::size_t slot = 0; slot < kMetricSlots; ++slot) total += cell(slot, index).load(std::memory_order_relaxed);
    const std::uint64_t delta = total - published_[index];
    published_[index] = total;
    if (delta == 0) continue;
    any = true;
    if (index < buckets_) {
      increments[index] = static_cast<double>(delta);
    } else {
      sum_increment = static_cast<double>(delta) / 1e9;
    }
  }
  // Sizes match by construction (the target was built with boundaries_).
  if (any) target_.ObserveMultiple(increments, sum_increment);
}

WorkerLocalCounter& WorkerLocalSet::counter(prometheus::Counter& target) {
  std::lock_guard lock(mutex_);
  std::unique_ptr<WorkerLocalCounter>& local = counters_[&target];
  if (!local) local = std::make_unique<WorkerLocalCounter>(target);
  return *local;
}

WorkerLocalHistogram& WorkerLocalSet::histogram(prometheus::Histogram& target, const std::vector<double>& boundaries) {
  std::lock_guard lock(mutex_);
  std::unique_ptr<WorkerLocalHistogram>& local = histograms_[&target];
  if (!local) local = std::make_unique<WorkerLocalHistogram>(target, boundaries);
  return *local;
}

void WorkerLocalSet::publish() {
  std::lock_guard lock(mutex_);
  for (auto& [target, counter] : counters_) counter->publish();
  for (auto& [target, histogram] : histograms_) histogram->publish();
}

}  // namespace gatehouse
