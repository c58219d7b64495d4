// What a stored miss costs the cache store alone, in steady state: the
// entry is made as a fill makes it (make_entry(), the body appended as it
// would stream in) and inserted, evicting the least recently used entry
// once the store is full. Every fill has a new key, so every eviction
// touches memory last used max_size bytes of fills ago: the figure shows
// what a full store's cold memory costs a miss, which instruction counts
// (callgrind) do not.
//
//   cmake --build build --target gatehouse_store_bench
//   taskset -c 1 build/bin/gatehouse_store_bench [--max-size MiB[,MiB...]] [--body BYTES]
//                                                [--fills N] [--unknown-length]
//                                                [--shards N] [--pauses] [--purge]
//
// Pin it to one core: on a virtual machine the vCPUs differ (see
// docs/benchmarks.md). --unknown-length fills the body as a chunked
// response's (a string of its own) instead of into the entry's block.
// --shards: the store's lock shards (16 by default; the cache policy's
// store has one per worker count, cache_runtime.cc). --pauses times each
// fill as well and reports the longest ones (an index rehash holds its
// shard for the whole rebuild); the clock reads add to the average.
// --purge: after the fills, purges a prefix (a few per cent of the keys),
// halves max_size, then purges everything, while another thread looks keys
// up, and reports how long each took and the longest lookup meanwhile (what
// a worker waits).
// Not a test: it asserts nothing and is built only on request.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "policies/cache/cache_fill.h"
#include "policies/cache/cache_store.h"
#include "tests/bench/bench_support.h"

namespace {

using namespace gatehouse;
using namespace gatehouse::policies::cache;

struct Options {
  std::vector<std::size_t> max_size_mib{8, 256};
  std::size_t body = 1024;
  std::size_t fills = 300'000;
  bool unknown_length = false;
  std::size_t shards = 16;
  bool pauses = false;
  bool purge = false;
};

bool parse(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (arg == "--unknown-length") {
      options.unknown_length = true;
    } else if (arg == "--pauses") {
      options.pauses = true;
    } else if (arg == "--purge") {
      options.purge = true;
    } else if (arg == "--shards" && value != nullptr) {
      options.shards = std::strtoull(value, nullptr, 10);
      ++i;
    } else if (arg == "--max-size" && value != nullptr) {
      if (!bench::parse_counts(value, options.max_size_mib)) return false;
      ++i;
    } else if (arg == "--body" && value != nullptr) {
      options.body = std::strtoull(value, nullptr, 10);
      ++i;
    } else if (arg == "--fills" && value != nullptr) {
      options.fills = std::strtoull(value, nullptr, 10);
      ++i;
    } else {
      return false;
    }
  }
  return !options.max_size_mib.empty() && options.fills > 0 && options.shards > 0;
}

// The fills that took longest (with --pauses).
struct Pauses {
  std::chrono::nanoseconds longest{0};
  std::size_t over_100us = 0;
  std::size_t over_1ms = 0;
  std::chrono::nanoseconds in_those{0};  // time in the fills over 100 µs
};

// Purges a few per cent of the keys by prefix, halves max_size, then purges
// all the keys, while another thread looks up keys of the last `filled`, as
// a worker would.
void time_purges(CacheStore& store, std::size_t filled) {
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> longest_ns{0};
  std::thread prober([&] {
    std::string key;
    for (std::size_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
      key = "http://127.0.0.1:18080/bytes/1024?n=";
      key += std::to_string(filled - 1 - n % 1000);
      const auto before = std::chrono::steady_clock::now();
      (void)store.lookup(key, "", {});
      const std::int64_t took = (std::chrono::steady_clock::now() - before).count();
      if (took > longest_ns.load(std::memory_order_relaxed)) longest_ns.store(took, std::memory_order_relaxed);
    }
  });
  auto timed = [&](const char* what, auto purge) {
    longest_ns = 0;
    const std::size_t keys = store.stats().keys;
    const auto before = std::chrono::steady_clock::now();
    const std::size_t purged = purge();
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - before).count();
    std::printf("  %s: %zu of %zu keys in %.1f ms; longest lookup meanwhile %.3f ms\n", what, purged, keys, ms,
                static_cast<double>(longest_ns.load()) / 1e6);
  };
  timed("purge prefix", [&] { return store.purge_prefix("http://127.0.0.1:18080/bytes/1024?n=40"); });
  // A reload lowering max_size.
  timed("halve max_size", [&] {
    const std::size_t before = store.stats().keys;
    StoreLimits half = store.limits();
    half.max_size /= 2;
    store.set_limits(half);
    return before - store.stats().keys;
  });
  timed("purge all", [&] { return store.purge_all(); });
  stop = true;
  prober.join();
}

double ns_per_fill(std::size_t max_size_mib, const Options& options, Pauses& pauses) {
  CacheStore store(options.shards);
  StoreLimits limits = store.limits();
  limits.max_size = max_size_mib << 20;
  store.set_limits(limits);
  const bench::Exchange ex = bench::sample_exchange(options.body);
  std::string key;
  auto fill = [&](std::size_t n) {
    key = "http://127.0.0.1:18080/bytes/1024?n=";
    key += std::to_string(n);
    std::shared_ptr<StoredResponse> entry =
        make_entry(200, "OK", ex.response, ex.response_cc, ex.request, "", ResponseTiming{}, true,
                   options.unknown_length ? 0 : options.body);
    // As it streams in: two reads' worth.
    const std::string_view body = ex.body;
    entry->content.append(body.substr(0, body.size() / 2));
    entry->content.append(body.substr(body.size() / 2));
    entry->content.trim();
    store.insert(key, CacheStore::key_hash(key), std::move(entry));
  };
  // Fill the store twice over first, so that every measured fill evicts.
  const std::size_t per_entry = options.body + 700;
  const std::size_t warm = 2 * (max_size_mib << 20) / per_entry + 10'000;
  for (std::size_t n = 0; n < warm; ++n) fill(n);
  const auto start = std::chrono::steady_clock::now();
  if (options.pauses) {
    auto before = start;
    for (std::size_t n = warm; n < warm + options.fills; ++n) {
      fill(n);
      const auto after = std::chrono::steady_clock::now();
      const std::chrono::nanoseconds took = after - before;
      before = after;
      pauses.longest = std::max(pauses.longest, took);
      if (took < std::chrono::microseconds(100)) continue;
      ++pauses.over_100us;
      pauses.in_those += took;
      if (took >= std::chrono::milliseconds(1)) ++pauses.over_1ms;
    }
  } else {
    for (std::size_t n = warm; n < warm + options.fills; ++n) fill(n);
  }
  const auto stop = std::chrono::steady_clock::now();
  if (options.purge) time_purges(store, warm + options.fills);
  return std::chrono::duration<double, std::nano>(stop - start).count() / static_cast<double>(options.fills);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: %s [--max-size MiB[,MiB...]] [--body BYTES] [--fills N] [--unknown-length] [--shards N]"
                 " [--pauses] [--purge]\n",
                 argv[0]);
    return 2;
  }
  for (std::size_t mib : options.max_size_mib) {
    Pauses pauses;
    const double ns = ns_per_fill(mib, options, pauses);
    std::printf("max_size %5zu MiB, %zu shard(s), body %zu bytes%s: %6.0f ns per stored miss\n", mib, options.shards,
                options.body, options.unknown_length ? " (unknown length)" : "", ns);
    if (options.pauses) {
      std::printf("  longest fill %.3f ms; %zu fills over 100 us (%zu over 1 ms), %.1f ms in them\n",
                  std::chrono::duration<double, std::milli>(pauses.longest).count(), pauses.over_100us,
                  pauses.over_1ms, std::chrono::duration<double, std::milli>(pauses.in_those).count());
    }
  }
  return 0;
}
