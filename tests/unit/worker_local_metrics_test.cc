#include "proxy/admin/worker_local_metrics.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include <prometheus/client_metric.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>

#include "proxy/admin/metrics.h"

namespace gatehouse {
namespace {

// Runs `work(thread_index)` on `threads` threads at once.
template <typename Work>
void on_threads(int threads, Work work) {
  std::vector<std::thread> running;
  for (int t = 0; t < threads; ++t) running.emplace_back(work, t);
  for (std::thread& thread : running) thread.join();
}

// Every thread's additions reach the Prometheus counter, each once: a
// publish adds only what is new since the last one.
TEST(WorkerLocalCounterTest, PublishAddsWhatEveryThreadCountedOnce) {
  prometheus::Counter target;
  WorkerLocalCounter counter(target);
  on_threads(6, [&](int) {
    for (int i = 0; i < 10'000; ++i) counter.add();
  });
  EXPECT_EQ(counter.total(), 60'000u);
  EXPECT_EQ(target.Value(), 0.0);  // nothing reaches it before a publish
  counter.publish();
  EXPECT_EQ(target.Value(), 60'000.0);
  counter.add(5);
  counter.publish();
  counter.publish();
  EXPECT_EQ(target.Value(), 60'005.0);
}

// The same observations give the same buckets, count and sum as
// prometheus-cpp's own Histogram (a value on a boundary counts in that
// bucket: Prometheus's "le").
TEST(WorkerLocalHistogramTest, PublishedBucketsMatchPrometheusOwn) {
  const std::vector<double> bounds = {0.001, 0.01, 0.1, 1};
  prometheus::Histogram reference(bounds);
  prometheus::Histogram target(bounds);
  WorkerLocalHistogram histogram(target, bounds);
  const std::vector<double> values = {0.0005, 0.001, 0.002, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 30, 0};
  on_threads(4, [&](int) {
    for (int round = 0; round < 100; ++round) {
      for (double v : values) histogram.observe(v);
    }
  });
  for (int copy = 0; copy < 400; ++copy) {
    for (double v : values) reference.Observe(v);
  }
  histogram.publish();
  histogram.publish();  // nothing new: nothing added twice
  const prometheus::ClientMetric got = target.Collect();
  const prometheus::ClientMetric want = reference.Collect();
  EXPECT_EQ(got.histogram.sample_count, want.histogram.sample_count);
  EXPECT_NEAR(got.histogram.sample_sum, want.histogram.sample_sum, 1e-6);
  ASSERT_EQ(got.histogram.bucket.size(), want.histogram.bucket.size());
  for (std::size_t i = 0; i < got.histogram.bucket.size(); ++i) {
    EXPECT_EQ(got.histogram.bucket[i].cumulative_count, want.histogram.bucket[i].cumulative_count) << i;
  }

  histogram.observe(0.05);
  histogram.publish();
  EXPECT_EQ(target.Collect().histogram.sample_count, want.histogram.sample_count + 1);
}

// One worker-local counterpart per target, whoever asks (a policy rebuilt by
// a reload keeps counting where it was), all published together.
TEST(WorkerLocalSetTest, OneCounterpartPerTargetPublishedTogether) {
  const std::vector<double> bounds = {0.01, 0.1};
  prometheus::Counter counter_target;
  prometheus::Histogram histogram_target(bounds);
  WorkerLocalSet set;
  WorkerLocalCounter& counter = set.counter(counter_target);
  EXPECT_EQ(&set.counter(counter_target), &counter);
  WorkerLocalHistogram& histogram = set.histogram(histogram_target, bounds);
  EXPECT_EQ(&set.histogram(histogram_target, bounds), &histogram);
  on_threads(2, [&](int) {
    for (int i = 0; i < 500; ++i) {
      counter.add();
      histogram.observe(0.05);
    }
  });
  set.publish();
  EXPECT_EQ(counter_target.Value(), 1000.0);
  EXPECT_EQ(histogram_target.Collect().histogram.sample_count, 1000u);
}

// What workers count shows in the next scrape's text, exactly.
TEST(MetricsTest, SerializeIncludesWhatWorkersCountedSinceTheLastScrape) {
  Metrics metrics;
  RouteMetrics& route = metrics.route("api");
  on_threads(3, [&](int) {
    for (int i = 0; i < 1000; ++i) {
      route.count_request(http::Method::kGet, 200);
      route.observe_duration(0.002);
    }
  });
  route.count_request(http::Method::kPost, 503);
  const std::string text = metrics.serialize();
  EXPECT_NE(text.find(R"(gatehouse_requests_total{method="GET",route="api",status_class="2xx"} 3000)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(gatehouse_requests_total{method="POST",route="api",status_class="5xx"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(gatehouse_request_duration_seconds_count{route="api"} 3000)"), std::string::npos);
  EXPECT_NE(text.find(R"(gatehouse_request_duration_seconds_bucket{route="api",le="0.0025"} 3000)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(gatehouse_request_duration_seconds_bucket{route="api",le="0.001"} 0)"),
            std::string::npos);
  route.count_request(http::Method::kGet, 204);
  EXPECT_NE(metrics.serialize().find(R"(gatehouse_requests_total{method="GET",route="api",status_class="2xx"} 3001)"),
            std::string::npos);
  // An unused combination never shows up as a zero line.
  EXPECT_EQ(text.find(R"(method="PUT")"), std::string::npos);
}

// A policy's series for a route that no activated config served (built by a
// reload that was then rejected) stay out of the text; once the route is
// served, they show.
TEST(MetricsTest, SeriesOfRoutesNeverServedAreLeftOut) {
  Metrics metrics;
  metrics.route("api");
  auto& family = prometheus::BuildCounter().Name("policy_total").Help("a policy's").Register(*metrics.registry());
  family.Add({{"route", "api"}}).Increment();
  family.Add({{"route", "ghost"}});
  family.Add({{"zone", "a"}});
  std::string text = metrics.serialize();
  EXPECT_NE(text.find(R"(policy_total{route="api"} 1)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(policy_total{zone="a"} 0)"), std::string::npos) << text;
  EXPECT_EQ(text.find("ghost"), std::string::npos) << text;
  metrics.route("ghost");
  text = metrics.serialize();
  EXPECT_NE(text.find(R"(policy_total{route="ghost"} 0)"), std::string::npos) << text;
}

}  // namespace
}  // namespace gatehouse
