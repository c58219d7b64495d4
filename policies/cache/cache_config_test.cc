// Parsing `cache` options: defaults, every option, and errors that point at
// file:line:column and the key path.

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "policies/cache/cache_config.h"

namespace gatehouse::policies::cache {
namespace {

using Strings = std::vector<std::string>;

struct ParsedCache {
  std::optional<CacheConfig> config;
  Strings errors;
};

// The document's `cache` key plays the options of a `- cache:` entry.
ParsedCache parse_cache(const std::string& yaml) {
  config::Diagnostics diagnostics;
  config::ConfigNode root(YAML::Load(yaml), "test.yaml", diagnostics);
  ParsedCache out;
  out.config = parse_cache_config(root["cache"]);
  for (const config::Diagnostic& d : diagnostics.items()) out.errors.push_back(d.to_string());
  return out;
}

TEST(CacheConfigTest, ABareEntryTakesEveryDefault) {
  for (const char* yaml : {"cache:\n", "other: 1\n"}) {
    ParsedCache p = parse_cache(yaml);
    ASSERT_TRUE(p.config.has_value()) << yaml;
    EXPECT_TRUE(p.errors.empty());
    EXPECT_EQ(p.config->max_size, std::size_t{256} << 20);
    EXPECT_EQ(p.config->max_object_size, std::size_t{8} << 20);
    EXPECT_EQ(p.config->default_ttl, Seconds(0));
    EXPECT_DOUBLE_EQ(p.config->freshness.heuristic_fraction, 0.1);
    EXPECT_EQ(p.config->freshness.heuristic_max, Seconds(86400));
    EXPECT_FALSE(p.config->storability.store_set_cookie);
    EXPECT_FALSE(p.config->generate_etag);
    EXPECT_TRUE(p.config->fill_on_range);
    EXPECT_EQ(p.config->collapse_wait, std::chrono::milliseconds(2000));
    EXPECT_EQ(std::vector<std::string>(p.config->freshness.targets().begin(), p.config->freshness.targets().end()),
              Strings{"cdn-cache-control"});
  }
}

TEST(CacheConfigTest, EveryOptionIsRead) {
  ParsedCache p = parse_cache(R"(cache:
  max_size: 64MiB
  max_object_size: 1MiB
  default_ttl: 60s
  heuristic_percent: 20
  heuristic_max: 1h
  key: { headers: [X-Tenant], ignore_query: [utm_source], sort_query: true }
  store_set_cookie: true
  stale_while_revalidate: 5m
  stale_if_error: 1d
  etag: generate
  collapse_wait: 500ms
  targeted_fields: [Gatehouse-Cache-Control, CDN-Cache-Control]
  fill_on_range: false
)");
  for (const std::string& e : p.errors) ADD_FAILURE() << e;
  ASSERT_TRUE(p.config.has_value());
  const CacheConfig& c = *p.config;
  EXPECT_EQ(c.max_size, std::size_t{64} << 20);
  EXPECT_EQ(c.max_object_size, std::size_t{1} << 20);
  EXPECT_EQ(c.default_ttl, Seconds(60));
  EXPECT_DOUBLE_EQ(c.freshness.heuristic_fraction, 0.2);
  EXPECT_EQ(c.freshness.heuristic_max, Seconds(3600));
  EXPECT_EQ(c.key.include_headers, Strings{"X-Tenant"});
  EXPECT_EQ(c.key.ignore_query_params, Strings{"utm_source"});
  EXPECT_TRUE(c.key.sort_query);
  EXPECT_TRUE(c.storability.store_set_cookie);
  EXPECT_FALSE(c.fill_on_range);
  EXPECT_EQ(c.stale_while_revalidate, Seconds(300));
  EXPECT_EQ(c.stale_if_error, Seconds(86400));
  EXPECT_TRUE(c.generate_etag);
  EXPECT_EQ(c.collapse_wait, std::chrono::milliseconds(500));
  EXPECT_EQ(std::vector<std::string>(c.freshness.targets().begin(), c.freshness.targets().end()),
            (Strings{"gatehouse-cache-control", "cdn-cache-control"}));
}

TEST(CacheConfigTest, AnEmptyTargetListObeysCacheControlOnly) {
  ParsedCache p = parse_cache("cache: { targeted_fields: [] }\n");
  ASSERT_TRUE(p.config.has_value());
  EXPECT_TRUE(p.config->freshness.targets().empty());
}

TEST(CacheConfigTest, CacheControlIsNotATarget) {
  ParsedCache p = parse_cache("cache:\n  targeted_fields: [CDN-Cache-Control, cache-control]\n");
  EXPECT_FALSE(p.config.has_value());
  EXPECT_EQ(p.errors, (Strings{"test.yaml:2:20: cache.targeted_fields: `Cache-Control` is what targeted fields "
                               "override; list only those"}));
}

TEST(CacheConfigTest, ErrorsNameThePlaceAndSuggest) {
  ParsedCache p = parse_cache("cache:\n  defualt_ttl: 5s\n  etag: genrate\n");
  EXPECT_FALSE(p.config.has_value());
  EXPECT_EQ(p.errors, (Strings{
                          "test.yaml:2:3: cache.defualt_ttl: unknown key `defualt_ttl`; did you mean `default_ttl`?",
                          "test.yaml:3:9: cache.etag: expected `generate` or `off`, got `genrate`; did you mean "
                          "`generate`?",
                      }));
}

TEST(CacheConfigTest, BadValuesAreReported) {
  for (const char* yaml : {"cache: { max_object_size: 2MiB, max_size: 1MiB }\n", "cache: { default_ttl: 1500ms }\n",
                           "cache: { heuristic_percent: 101 }\n", "cache: { key: { headers: [\"bad name\"] } }\n",
                           "cache: { collapse_wait: 2m }\n", "cache: [1]\n", "cache: { max_size: 10 }\n",
                           "cache: { targeted_fields: [\"bad name\"] }\n", "cache: { targeted_fields: { a: 1 } }\n"}) {
    ParsedCache p = parse_cache(yaml);
    EXPECT_FALSE(p.config.has_value()) << yaml;
    EXPECT_FALSE(p.errors.empty()) << yaml;
  }
}

}  // namespace
}  // namespace gatehouse::policies::cache
