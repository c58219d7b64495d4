#include "policies/cache/cache_config.h"

#include <algorithm>
#include <string>
#include <vector>

namespace gatehouse::policies::cache {
namespace {

constexpr std::uint64_t kMinStoreSize = std::uint64_t{1} << 20;   // 1 MiB
constexpr std::uint64_t kMaxStoreSize = std::uint64_t{1} << 40;   // 1 TiB
constexpr std::uint64_t kMaxObjectSize = std::uint64_t{1} << 30;  // 1 GiB
constexpr std::uint64_t kMaxEtagBody = std::uint64_t{64} << 20;  // held in memory per response
constexpr config::Duration kMaxWindow = std::chrono::days(365);

bool is_header_token_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

Seconds whole_seconds(config::Duration d) { return std::chrono::duration_cast<Seconds>(d); }

// A window in whole seconds (HTTP's unit); a fraction is an error rather
// than silently rounded.
bool read_seconds(const config::ConfigNode& node, Seconds& out) {
  if (!node.defined()) return true;
  std::optional<config::Duration> d = node.as_duration(config::Duration(0), kMaxWindow);
  if (!d) return false;
  if (d->count() % 1000 != 0) {
    node.error("expected whole seconds (HTTP counts freshness in seconds), e.g. `30s` or `5m`");
    return false;
  }
  out = whole_seconds(*d);
  return true;
}

bool parse_key_options(const config::ConfigNode& node, CacheKeyOptions& out) {
  if (!node.defined() || node.is_null()) return true;
  if (!node.is_map()) {
    node.error("expected `{ headers: [NAME..], ignore_query: [PARAM..], sort_query: true|false }`");
    return false;
  }
  bool ok = node.expect_keys({"headers", "ignore_query", "sort_query"});
  if (node["headers"].defined()) {
    std::optional<std::vector<std::string>> names = node["headers"].as_string_list();
    if (!names) {
      ok = false;
    } else {
      for (const std::string& name : *names) {
        if (name.empty() || !std::all_of(name.begin(), name.end(), is_header_token_char)) {
          node["headers"].error("`" + name + "` is not a valid header name (an RFC 9110 token)");
          ok = false;
        }
      }
      out.include_headers = std::move(*names);
    }
  }
  if (node["ignore_query"].defined()) {
    std::optional<std::vector<std::string>> names = node["ignore_query"].as_string_list();
    if (names) out.ignore_query_params = std::move(*names);
    else ok = false;
  }
  if (node["sort_query"].defined()) {
    std::optional<bool> sort = node["sort_query"].as_bool();
    if (sort) out.sort_query = *sort;
    else ok = false;
  }
  return ok;
}

}  // namespace

std::optional<CacheConfig> parse_cache_config(const config::ConfigNode& options) {
  CacheConfig config;
  if (!options.defined() || options.is_null()) return config;
  if (!options.is_map()) {
    options.error("expected a map of cache options (e.g. `cache: { default_ttl: 60s }`) or a bare `- cache`");
    return std::nullopt;
  }
  bool ok = options.expect_keys({"max_size", "max_object_size", "default_ttl", "heuristic_percent", "heuristic_max",
                                 "key", "store_set_cookie", "stale_while_revalidate", "stale_if_error", "etag",
                                 "etag_max_size", "collapse_wait", "targeted_fields", "fill_on_range"});
  if (options["max_size"].defined()) {
    std::optional<std::uint64_t> v = options["max_size"].as_size(kMinStoreSize, kMaxStoreSize);
    if (v) config.max_size = static_cast<std::size_t>(*v);
    else ok = false;
  }
  if (options["max_object_size"].defined()) {
    std::optional<std::uint64_t> v = options["max_object_size"].as_size(1, kMaxObjectSize);
    if (!v) {
      ok = false;
    } else if (*v > config.max_size) {
      options["max_object_size"].error("`max_object_size` must not exceed `max_size` (" +
                                       std::to_string(config.max_size) + " bytes)");
      ok = false;
    } else {
      config.max_object_size = static_cast<std::size_t>(*v);
    }
  }
  ok &= read_seconds(options["default_ttl"], config.default_ttl);
  if (options["heuristic_percent"].defined()) {
    std::optional<std::int64_t> v = options["heuristic_percent"].as_int(0, 100);
    if (v) config.freshness.heuristic_fraction = static_cast<double>(*v) / 100.0;
    else ok = false;
  }
  ok &= read_seconds(options["heuristic_max"], config.freshness.heuristic_max);
  ok &= parse_key_options(options["key"], config.key);
  if (options["store_set_cookie"].defined()) {
    std::optional<bool> v = options["store_set_cookie"].as_bool();
    if (v) config.storability.store_set_cookie = *v;
    else ok = false;
  }
  if (options["fill_on_range"].defined()) {
    std::optional<bool> v = options["fill_on_range"].as_bool();
    if (v) config.fill_on_range = *v;
    else ok = false;
  }
  ok &= read_seconds(options["stale_while_revalidate"], config.stale_while_revalidate);
  ok &= read_seconds(options["stale_if_error"], config.stale_if_error);
  if (options["etag"].defined()) {
    std::optional<std::string> v = options["etag"].as_string();
    if (!v) {
      ok = false;
    } else if (*v == "generate") {
      config.generate_etag = true;
    } else if (*v == "off" || *v == "false") {
      config.generate_etag = false;
    } else {
      options["etag"].error("expected `generate` or `off`, got `" + *v + "`" +
                            config::did_you_mean(*v, std::vector<std::string_view>{"generate", "off"}));
      ok = false;
    }
  }
  if (options["etag_max_size"].defined()) {
    std::optional<std::uint64_t> v = options["etag_max_size"].as_size(1, kMaxEtagBody);
    if (v) config.etag_max_size = static_cast<std::size_t>(*v);
    else ok = false;
  }
  if (options["collapse_wait"].defined()) {
    std::optional<config::Duration> v = options["collapse_wait"].as_duration(config::Duration(0), std::chrono::minutes(1));
    if (v) config.collapse_wait = *v;
    else ok = false;
  }
  if (options["targeted_fields"].defined()) {
    std::optional<std::vector<std::string>> names = options["targeted_fields"].as_string_list();
    if (!names) {
      ok = false;
    } else {
      std::vector<std::string> lowered;
      for (const std::string& name : *names) {
        if (name.empty() || !std::all_of(name.begin(), name.end(), is_header_token_char)) {
          options["targeted_fields"].error("`" + name + "` is not a valid header name (an RFC 9110 token)");
          ok = false;
        } else if (http::iequals(name, "cache-control")) {
          options["targeted_fields"].error("`Cache-Control` is what targeted fields override; list only those");
          ok = false;
        }
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
        lowered.push_back(std::move(lower));
      }
      config.freshness.targeted_fields = std::make_shared<const std::vector<std::string>>(std::move(lowered));
    }
  }
  if (!ok) return std::nullopt;
  return config;
}

}  // namespace gatehouse::policies::cache
