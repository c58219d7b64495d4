// What a cache hit costs the store when several workers ask for the same
// few URLs at once (a CDN's hot objects): each thread looks up the same
// --keys keys in turn, in a store that holds --entries other responses
// too. Printed: nanoseconds per lookup per thread, the response handed out
// and released as a hit does. With one thread it is the lookup's own cost;
// with more, what the shard's lock, its LRU list and the entry's reference
// count cost when they move between cores.
//
//   cmake --build build --target gatehouse_hit_bench
//   build/bin/gatehouse_hit_bench [--threads N[,N...]] [--keys N] [--entries N] [--lookups N]
//
// Not a test: it asserts nothing and is built only on request.

#include <chrono>
#include <cstdio>
#include <cstdlib>
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
  std::vector<std::size_t> threads{1, 2};
  std::size_t keys = 1;
  std::size_t entries = 100'000;
  std::size_t lookups = 2'000'000;
};

bool parse(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; i += 2) {
    const std::string_view arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (value == nullptr) return false;
    if (arg == "--threads") {
      if (!bench::parse_counts(value, options.threads)) return false;
    } else if (arg == "--keys") {
      options.keys = std::strtoull(value, nullptr, 10);
    } else if (arg == "--entries") {
      options.entries = std::strtoull(value, nullptr, 10);
    } else if (arg == "--lookups") {
      options.lookups = std::strtoull(value, nullptr, 10);
    } else {
      return false;
    }
  }
  return options.keys > 0 && options.lookups > 0;
}

std::string key_of(std::string_view kind, std::size_t n) {
  std::string key = "http://127.0.0.1:18080/bytes/1024?";
  key += kind;
  key += '=';
  key += std::to_string(n);
  return key;
}

void fill(CacheStore& store, const bench::Exchange& ex, const std::string& key) {
  std::shared_ptr<StoredResponse> entry =
      make_entry(200, "OK", ex.response, ex.response_cc, ex.request, "", ResponseTiming{}, true, ex.body.size());
  entry->content.append(ex.body);
  store.insert(key, CacheStore::key_hash(key), std::move(entry));
}

double ns_per_lookup(CacheStore& store, const std::vector<std::string>& hot, const http::HeaderMap& request,
                     std::size_t threads, std::size_t lookups) {
  std::vector<std::thread> running;
  std::vector<std::size_t> found(threads, 0);
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t t = 0; t < threads; ++t) {
    running.emplace_back([&, t] {
      std::size_t hits = 0;  // counted here: a shared array's line would bounce
      for (std::size_t i = 0; i < lookups; ++i) {
        const std::string& key = hot[(i + t) % hot.size()];
        if (store.lookup(key, "", request) != nullptr) ++hits;
      }
      found[t] = hits;
    });
  }
  for (std::thread& thread : running) thread.join();
  const auto stop = std::chrono::steady_clock::now();
  for (std::size_t n : found) {
    if (n != lookups) std::fprintf(stderr, "a hot key was not found (%zu of %zu)\n", n, lookups);
  }
  return std::chrono::duration<double, std::nano>(stop - start).count() / static_cast<double>(lookups);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, options)) {
    std::fprintf(stderr, "usage: %s [--threads N[,N...]] [--keys N] [--entries N] [--lookups N]\n", argv[0]);
    return 2;
  }
  const bench::Exchange ex = bench::sample_exchange(1024);
  CacheStore store;
  for (std::size_t n = 0; n < options.entries; ++n) fill(store, ex, key_of("cold", n));
  std::vector<std::string> hot;
  for (std::size_t n = 0; n < options.keys; ++n) {
    hot.push_back(key_of("hot", n));
    fill(store, ex, hot.back());
  }
  std::printf("%zu hot keys, %zu other entries\n", options.keys, options.entries);
  for (std::size_t threads : options.threads) {
    std::printf("threads %3zu: %7.1f ns per lookup per thread\n", threads,
                ns_per_lookup(store, hot, ex.request, threads, options.lookups));
  }
  return 0;
}
