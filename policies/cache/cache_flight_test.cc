// Request collapsing: the flights the store keeps in its shards (claimed by
// a lookup, ended by an insert or a hit-for-miss mark) and the runtime's
// waiters, keyed by flight_hash().

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "policies/cache/cache_fill.h"
#include "policies/cache/cache_runtime.h"
#include "policies/cache/cache_store.h"
#include "policies/cache/cache_test_support.h"
#include "proxy/policy/services.h"
#include "tests/unit/fake_request_context.h"

namespace gatehouse::policies::cache {
namespace {

using test_support::fields;
using test_support::response;

// The flight key: a pure function of both parts, computed without joining
// them, and sensitive to each.
TEST(CacheFlightTest, FlightHashDependsOnBothKeyParts) {
  const std::string primary = "http://example.test/a";
  EXPECT_EQ(flight_hash(primary, ""), flight_hash(std::string_view("http://example.test/a"), ""));
  EXPECT_EQ(flight_hash(primary, "x-tenant: a\n"), flight_hash(primary, "x-tenant: a\n"));
  EXPECT_NE(flight_hash(primary, ""), flight_hash("http://example.test/b", ""));
  EXPECT_NE(flight_hash(primary, ""), flight_hash(primary, "x-tenant: a\n"));
  EXPECT_NE(flight_hash(primary, "x-tenant: a\n"), flight_hash(primary, "x-tenant: b\n"));
  EXPECT_NE(flight_hash("a", "b"), flight_hash("b", "a"));
  // From the hash a lookup reports, whether it found the key or not.
  CacheStore store;
  store.insert(primary, response("x", fields({{"A", "1"}}), fields({{"Vary", "A"}})));
  for (const std::string& key : {primary, std::string("http://example.test/absent")}) {
    CacheStore::MissInfo miss;
    ASSERT_EQ(store.lookup(key, "", fields({{"A", "2"}}), false, &miss), nullptr);
    EXPECT_EQ(miss.key_hash, CacheStore::key_hash(key));
    EXPECT_EQ(flight_hash_of(miss.key_hash, ""), flight_hash(key, ""));
    EXPECT_EQ(flight_hash_of(miss.key_hash, "x-tenant: a\n"), flight_hash(key, "x-tenant: a\n"));
  }
}

// The store's lock shards follow the workers: one for one worker (nothing
// to contend with; each insert's next victim stays close), four a worker
// beyond that, at most 16 (a shard holds max_size / shards).
TEST(CacheFlightTest, StoreShardsFollowTheWorkers) {
  for (const auto& [workers, shards] : std::vector<std::pair<unsigned, std::size_t>>{
           {0, 1}, {1, 1}, {2, 8}, {3, 16}, {8, 16}, {200, 16}}) {
    policy::PolicyServices services;
    if (workers != 0) services.set_worker_count(workers);
    EXPECT_EQ(services.shared<CacheRuntime>().store().shard_count(), shards) << workers << " workers";
  }
}

// One flight per hash at a time; finishing it (or dropping the leader's
// handle) frees the hash for the next leader, and never another flight.
TEST(CacheFlightTest, OneFlightPerHashUntilItEnds) {
  policy::PolicyServices services;
  CacheRuntime& runtime = services.shared<CacheRuntime>();
  Flight first = runtime.lead(1, 1);
  ASSERT_TRUE(first);
  EXPECT_FALSE(runtime.lead(1, 1));
  Flight other = runtime.lead(2, 2);
  ASSERT_TRUE(other);
  first.finish();
  first.finish();  // idempotent: must not end a later flight of hash 1
  EXPECT_FALSE(first);
  Flight again = runtime.lead(1, 1);
  ASSERT_TRUE(again);
  first = Flight();
  EXPECT_FALSE(runtime.lead(1, 1));
  EXPECT_FALSE(runtime.lead(2, 2));
  Flight moved = std::move(other);  // the flight moves with its handle
  EXPECT_FALSE(other);
  EXPECT_FALSE(runtime.lead(2, 2));
  moved = Flight();  // replacing the handle ends it
  EXPECT_TRUE(runtime.lead(2, 2));
}

// A miss asked to claim its flight leads it, or learns that another
// request does; a hit, a lookup not asked, and a key marked uncacheable
// claim nothing. Storing the key's response (or marking it uncacheable)
// with the flight ends it in the same step, and says whether anyone joined.
TEST(CacheFlightTest, ALookupClaimsTheFlightAndTheInsertEndsIt) {
  policy::PolicyServices services;
  CacheRuntime& runtime = services.shared<CacheRuntime>();
  CacheStore& store = runtime.store();
  const std::string key = "http://example.test/a";
  const http::HeaderMap none;
  CacheStore::MissInfo first;
  ASSERT_EQ(store.lookup(key, "", none, false, &first, true), nullptr);
  ASSERT_EQ(first.flight, CacheStore::FlightRole::kLeader);
  EXPECT_EQ(first.flight_hash, flight_hash(key, ""));
  CacheStore::MissInfo second;
  ASSERT_EQ(store.lookup(key, "", none, false, &second, true), nullptr);
  EXPECT_EQ(second.flight, CacheStore::FlightRole::kInFlight);
  CacheStore::MissInfo other_extra;  // another key's flight
  store.lookup(key, "x-tenant: a\n", none, false, &other_extra, true);
  EXPECT_EQ(other_extra.flight, CacheStore::FlightRole::kLeader);
  CacheStore::MissInfo unasked;
  store.lookup(key, "", none, false, &unasked);
  EXPECT_EQ(unasked.flight, CacheStore::FlightRole::kNone);

  Flight leader(runtime, first.key_hash, first.flight_hash);
  testing_support::FakeRequestContext waiting;
  ASSERT_TRUE(runtime.wait(second.key_hash, second.flight_hash, waiting.pause_handle(), waiting.executor(),
                           std::chrono::seconds(30)));
  CacheStore::FlightEnd end{.hash = leader.key()};
  ASSERT_EQ(store.insert(key, first.key_hash, response("x", {}, fields({{"Cache-Control", "max-age=60"}})), &end),
            InsertResult::kStored);
  EXPECT_TRUE(end.ended);
  EXPECT_TRUE(end.waited_for);
  leader.ended_in_store(end.waited_for);
  EXPECT_FALSE(leader);
  CacheStore::MissInfo hit;
  EXPECT_NE(store.lookup(key, "", none, false, &hit, true), nullptr);
  EXPECT_EQ(hit.flight, CacheStore::FlightRole::kNone);

  // Ending a flight that is over ends nothing (an insert without one, too).
  CacheStore::FlightEnd again{.hash = first.flight_hash};
  store.insert(key, first.key_hash, response("y", {}, fields({{"Cache-Control", "max-age=60"}})), &again);
  EXPECT_FALSE(again.ended);

  // Not storable: the mark ends the flight, and the marked key claims none.
  const std::string uncacheable = "http://example.test/private";
  CacheStore::MissInfo miss;
  store.lookup(uncacheable, "", none, false, &miss, true);
  ASSERT_EQ(miss.flight, CacheStore::FlightRole::kLeader);
  CacheStore::FlightEnd marked{.hash = miss.flight_hash};
  store.mark_uncacheable(miss.key_hash, std::chrono::steady_clock::now() + std::chrono::minutes(1), &marked);
  EXPECT_TRUE(marked.ended);
  EXPECT_FALSE(marked.waited_for);
  CacheStore::MissInfo after;
  store.lookup(uncacheable, "", none, false, &after, true);
  EXPECT_TRUE(after.recently_uncacheable);
  EXPECT_EQ(after.flight, CacheStore::FlightRole::kNone);
  EXPECT_TRUE(runtime.lead(miss.key_hash, miss.flight_hash));  // the flight did end
}

// Flights live in the store's shards by their key's hash: flights of keys
// that share a shard (1 and 17 of 16) are still separate, and however many
// workers lead and end flights at once, a hash never has two leaders.
TEST(CacheFlightTest, ConcurrentLeadersOfOneHashNeverOverlap) {
  policy::PolicyServices services;
  CacheRuntime& runtime = services.shared<CacheRuntime>();
  Flight one = runtime.lead(1, 1);
  Flight seventeen = runtime.lead(17, 17);
  EXPECT_TRUE(one);
  EXPECT_TRUE(seventeen);
  one.finish();
  EXPECT_FALSE(runtime.lead(17, 17));
  seventeen.finish();

  constexpr int kKeys = 40;
  std::array<std::atomic<int>, kKeys> leaders{};
  std::atomic<int> overlaps{0};
  std::atomic<long> led{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 6; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < 20000; ++i) {
        const std::uint64_t key = static_cast<std::uint64_t>((i * 7 + t) % kKeys);
        Flight flight = runtime.lead(key, key);
        if (!flight) continue;
        if (leaders[key].fetch_add(1) != 0) ++overlaps;
        ++led;
        leaders[key].fetch_sub(1);
      }  // the handle ends the flight here, after the leader count is back
    });
  }
  for (std::thread& worker : workers) worker.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_GT(led.load(), 0);
  for (std::uint64_t key = 0; key < kKeys; ++key) EXPECT_TRUE(runtime.lead(key, key)) << key;  // all ended
}

// After stop() (shutdown) nothing waits: no waiter can outlive the
// workers' io_contexts.
TEST(CacheFlightTest, NothingWaitsAfterStop) {
  policy::PolicyServices services;
  CacheRuntime& runtime = services.shared<CacheRuntime>();
  Flight before = runtime.lead(3, 3);
  ASSERT_TRUE(before);
  runtime.stop();
  testing_support::FakeRequestContext waiting;
  EXPECT_FALSE(runtime.wait(3, 3, waiting.pause_handle(), waiting.executor(), std::chrono::seconds(30)));
  EXPECT_FALSE(runtime.begin_background("k"));
  before.finish();  // ending a flight after stop() is harmless
}

// Background fetches: one per key, and a process-wide cap; ending one makes
// room for another.
TEST(CacheFlightTest, BackgroundFetchesAreOnePerKeyAndCapped) {
  policy::PolicyServices services;
  CacheRuntime& runtime = services.shared<CacheRuntime>();
  for (std::size_t i = 0; i < CacheRuntime::kMaxBackgroundFetches; ++i) {
    EXPECT_TRUE(runtime.begin_background("key" + std::to_string(i))) << i;
  }
  EXPECT_FALSE(runtime.begin_background("key0"));  // running already
  EXPECT_FALSE(runtime.begin_background("one more"));
  runtime.end_background("key7");
  EXPECT_TRUE(runtime.begin_background("one more"));
  EXPECT_FALSE(runtime.begin_background("key7"));  // the cap again
  runtime.end_background("one more");
  EXPECT_TRUE(runtime.begin_background("key7"));
}

struct FlightRetryRecorder final : policy::ResumeTarget {
  void resume_request(std::uint64_t, policy::RequestOutcome outcome) override { retries.push_back(outcome.is_retry()); }
  std::vector<bool> retries;
};

// What a hash collision costs: a request whose key shares another key's
// flight hash waits for that flight and is then resumed with retry(), to
// look its own key up again; it is never handed the other's response.
TEST(CacheFlightTest, AWaiterIsResumedWithRetryWhenTheFlightEnds) {
  policy::PolicyServices services;
  CacheRuntime& runtime = services.shared<CacheRuntime>();
  const std::size_t primary_hash = CacheStore::key_hash("http://example.test/a");
  const std::uint64_t shared_hash = flight_hash("http://example.test/a", "");
  Flight leader = runtime.lead(primary_hash, shared_hash);
  ASSERT_TRUE(leader);
  testing_support::FakeRequestContext waiting;
  auto recorder = std::make_shared<FlightRetryRecorder>();
  waiting.target = recorder;
  ASSERT_TRUE(runtime.wait(primary_hash, shared_hash, waiting.pause_handle(), waiting.executor(),
                           std::chrono::seconds(30)));
  EXPECT_FALSE(runtime.wait(primary_hash, shared_hash + 1, waiting.pause_handle(), waiting.executor(),
                            std::chrono::seconds(30)));
  waiting.io.poll();
  EXPECT_TRUE(recorder->retries.empty());
  leader.finish();
  waiting.io.run_for(std::chrono::seconds(5));
  EXPECT_EQ(recorder->retries, std::vector<bool>{true});
}

// No lost wake-up: workers claim the flights of a few keys through lookups
// and end them (by the handle, or by storing the response with the flight,
// then invalidating it so that the key misses again) while others join
// them; every request that joined a flight is resumed by its end, long
// before its (one-minute) wait is over, however the join and the end
// interleave.
TEST(CacheFlightTest, EveryJoinedWaiterIsWokenByTheFlightsEnd) {
  policy::PolicyServices services;
  CacheRuntime& runtime = services.shared<CacheRuntime>();
  CacheStore& store = runtime.store();
  const std::array<std::string, 4> keys{"http://h/a", "http://h/b", "http://h/c", "http://h/d"};
  constexpr int kThreads = 4;
  std::array<int, kThreads> joined{};
  std::array<std::size_t, kThreads> resumed{};
  std::array<bool, kThreads> all_retries{};
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      testing_support::FakeRequestContext ctx;
      auto recorder = std::make_shared<FlightRetryRecorder>();
      ctx.target = recorder;
      const http::HeaderMap none;
      for (int i = 0; i < 1500; ++i) {
        const std::string& key = keys[static_cast<std::size_t>(i * 3 + t) % keys.size()];
        CacheStore::MissInfo miss;
        if (store.lookup(key, "", none, false, &miss, true) != nullptr) continue;
        if (miss.flight == CacheStore::FlightRole::kLeader) {
          Flight flight(runtime, miss.key_hash, miss.flight_hash);
          std::this_thread::sleep_for(std::chrono::microseconds(20));
          if (i % 2 == 0) {
            ASSERT_TRUE(store_entry(runtime, key, miss.key_hash,
                                    std::const_pointer_cast<StoredResponse>(response("x")), FillOptions{}, &flight));
            EXPECT_FALSE(flight);  // the insert ended it
            store.invalidate(key);
          }
        } else if (miss.flight == CacheStore::FlightRole::kInFlight &&
                   runtime.wait(miss.key_hash, miss.flight_hash, ctx.pause_handle(), ctx.executor(),
                                std::chrono::minutes(1))) {
          ++joined[t];
          // Paused until the leader's end posts the resumption here.
          const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
          while (recorder->retries.size() < static_cast<std::size_t>(joined[t]) &&
                 std::chrono::steady_clock::now() < deadline) {
            ctx.io.run_one_for(std::chrono::milliseconds(100));
          }
        }
      }
      ctx.io.restart();
      ctx.io.run_for(std::chrono::milliseconds(200));  // the cancelled timers' completions
      resumed[t] = recorder->retries.size();
      all_retries[t] = std::all_of(recorder->retries.begin(), recorder->retries.end(), [](bool r) { return r; });
    });
  }
  for (std::thread& worker : workers) worker.join();
  int total = 0;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(resumed[t], static_cast<std::size_t>(joined[t])) << "thread " << t;
    EXPECT_TRUE(all_retries[t]) << "thread " << t;
    total += joined[t];
  }
  EXPECT_GT(total, 0);  // the workers did meet on flights
}

}  // namespace
}  // namespace gatehouse::policies::cache
