#pragma once
// A counter and a histogram that every worker updates on every request, kept
// per thread and added into a Prometheus metric when it is scraped.
//
// Why: prometheus-cpp's Counter is one atomic double that each increment
// compare-and-swaps, and its Histogram takes a mutex in every Observe(). With
// many workers answering one route, every request would queue on the same
// lock and move the same cache lines between cores. Here a thread adds to a
// slot of its own (its own cache lines), uncontended; publish() sums the
// slots and adds what is new since the last publish to the Prometheus metric,
// so a scrape that publishes first reads exact figures.
//
// Contract: add() and observe() may be called from any thread and never
// block or allocate. publish() is called by one thread at a time (the
// owner's scrape, under its lock); it is the only writer of the target
// metric, which must outlive this object. Threads beyond kMetricSlots share
// slots: still exact (the slots are atomic), only no longer uncontended.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/histogram.h>

namespace gatehouse {

inline constexpr std::size_t kMetricSlots = 32;

// The calling thread's slot, fixed for its life (threads take slots in turn).
std::size_t metric_slot() noexcept;

class WorkerLocalCounter {
 public:
  explicit WorkerLocalCounter(prometheus::Counter& target) noexcept : target_(target) {}
  WorkerLocalCounter(const WorkerLocalCounter&) = delete;
  WorkerLocalCounter& operator=(const WorkerLocalCounter&) = delete;

  void add(std::uint64_t n = 1) noexcept { slots_[metric_slot()].value.fetch_add(n, std::memory_order_relaxed); }
  // Everything added so far, published or not.
  std::uint64_t total() const noexcept;
  void publish();

 private:
  struct alignas(64) Slot {
    std::atomic<std::uint64_t> value{0};
  };
  prometheus::Counter& target_;
  std::array<Slot, kMetricSlots> slots_{};
  std::uint64_t published_ = 0;
};

// Bucket semantics as Prometheus's: a value is counted in the first bucket
// whose upper bound is >= it, or in +Inf. The sum is kept in nanoseconds of
// the observed unit (the values are durations in seconds), so a slot is
// integer counts only.
class WorkerLocalHistogram {
 public:
  // `boundaries`: ascending, the same the target histogram was made with.
  WorkerLocalHistogram(prometheus::Histogram& target, std::vector<double> boundaries);
  WorkerLocalHistogram(const WorkerLocalHistogram&) = delete;
  WorkerLocalHistogram& operator=(const WorkerLocalHistogram&) = delete;

  void observe(double value) noexcept;
  void publish();

 private:
  struct alignas(64) Line {
    std::array<std::atomic<std::uint64_t>, 8> cells{};
  };
  std::atomic<std::uint64_t>& cell(std::size_t slot, std::size_t index) noexcept {
    const std::size_t i = slot * lines_per_slot_ * 8 + index;
    return lines_[i / 8].cells[i % 8];
  }

  prometheus::Histogram& target_;
  std::vector<double> boundaries_;
  std::size_t buckets_;          // boundaries_ + 1 (+Inf); the sum is cell buckets_
  std::size_t lines_per_slot_;   // so that slots never share a line
  std::vector<Line> lines_;
  std::vector<std::uint64_t> published_;  // per cell
};

// The worker-local counterparts of one owner's Prometheus metrics, made on
// first use (the same one for every call with the same target, so a policy
// rebuilt by a reload keeps counting where it was) and published together.
// Thread-safe; what it hands out lives as long as it does.
class WorkerLocalSet {
 public:
  WorkerLocalCounter& counter(prometheus::Counter& target);
  // `boundaries`: those `target` was made with.
  WorkerLocalHistogram& histogram(prometheus::Histogram& target, const std::vector<double>& boundaries);
  // Publishes every one (before a scrape).
  void publish();

 private:
  std::mutex mutex_;
  std::map<const prometheus::Counter*, std::unique_ptr<WorkerLocalCounter>> counters_;
  std::map<const prometheus::Histogram*, std::unique_ptr<WorkerLocalHistogram>> histograms_;
};

}  // namespace gatehouse
