// What a per-request metric update costs when several workers make it at
// once: prometheus-cpp's Counter (a shared atomic double) and Histogram (a
// mutex per observation) against the worker-local ones Gatehouse counts
// requests with (proxy/admin/worker_local_metrics.h).
//
//   cmake --build build --target gatehouse_metrics_bench
//   build/bin/gatehouse_metrics_bench [--threads N[,N...]] [--ops N]
//
// Each thread updates one shared metric --ops times; printed: nanoseconds
// per update per thread. Not a test: it asserts nothing and is built only
// on request.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <thread>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/histogram.h>

#include "proxy/admin/worker_local_metrics.h"
#include "tests/bench/bench_support.h"

namespace {

template <typename Update>
double ns_per_update(std::size_t threads, long ops, Update update) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> running;
  for (std::size_t t = 0; t < threads; ++t) {
    running.emplace_back([&] {
      for (long i = 0; i < ops; ++i) update(i);
    });
  }
  for (std::thread& thread : running) thread.join();
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
         static_cast<double>(ops);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> thread_counts{1, 2};
  long ops = 3'000'000;
  for (int i = 1; i < argc; i += 2) {
    const std::string_view arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    bool understood = value != nullptr;
    if (understood && arg == "--threads") {
      understood = gatehouse::bench::parse_counts(value, thread_counts);
    } else if (understood && arg == "--ops") {
      ops = std::strtol(value, nullptr, 10);
    } else {
      understood = false;
    }
    if (!understood) {
      std::fprintf(stderr, "usage: %s [--threads N[,N...]] [--ops N]\n", argv[0]);
      return 2;
    }
  }
  // The request-duration histogram's buckets (proxy/admin/metrics.cc).
  const std::vector<double> buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                       0.25,   0.5,   1,      2.5,   5,     10,    30};
  auto duration = [](long i) { return 0.0003 + static_cast<double>(i & 7) * 0.0001; };
  std::printf("threads  counter  worker-local  histogram  worker-local   (ns per update per thread)\n");
  for (std::size_t threads : thread_counts) {
    prometheus::Counter shared_counter;
    prometheus::Counter target_counter;
    gatehouse::WorkerLocalCounter local_counter(target_counter);
    prometheus::Histogram shared_histogram(buckets);
    prometheus::Histogram target_histogram(buckets);
    gatehouse::WorkerLocalHistogram local_histogram(target_histogram, buckets);
    const double c = ns_per_update(threads, ops, [&](long) { shared_counter.Increment(); });
    const double lc = ns_per_update(threads, ops, [&](long) { local_counter.add(); });
    const double h = ns_per_update(threads, ops, [&](long i) { shared_histogram.Observe(duration(i)); });
    const double lh = ns_per_update(threads, ops, [&](long i) { local_histogram.observe(duration(i)); });
    std::printf("%7zu  %7.1f  %12.1f  %9.1f  %12.1f\n", threads, c, lc, h, lh);
  }
  return 0;
}
