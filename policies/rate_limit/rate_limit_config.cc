#include "policies/rate_limit/rate_limit_config.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <initializer_list>
#include <utility>

#include <boost/asio/ip/address.hpp>

#include "proxy/config/client_tls_loader.h"
#include "proxy/config/diagnostics.h"

namespace gatehouse::policies::rate_limit {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::uint64_t kMaxQuota = 1'000'000'000;
constexpr std::int64_t kMaxKeys = 100'000'000;
constexpr std::int64_t kMaxQueue = 1'000'000;
constexpr Nanos kMinWindow = seconds(1);
constexpr Nanos kMaxWindow = days(1);
constexpr config::Duration kDefaultMaxDelay = seconds(1);

constexpr std::string_view kRateHint =
    "expected a rate such as `100/s`, `10/m`, `1000/h`, `5/d` or `10/5s` (requests per window; the "
    "window is 1s..1d)";

// One of `choices` (an enum's YAML names); reports anything else.
template <typename T, std::size_t N>
std::optional<T> parse_choice(const config::ConfigNode& node,
                              const std::array<std::pair<std::string_view, T>, N>& choices) {
  std::optional<std::string> text = node.as_string();
  if (!text) return std::nullopt;
  std::vector<std::string_view> names;
  for (const auto& [name, value] : choices) {
    if (name == *text) return value;
    names.push_back(name);
  }
  std::string list;
  for (std::string_view name : names) list += (list.empty() ? "`" : ", `") + std::string(name) + "`";
  node.error("expected one of " + list + ", got `" + *text + "`" + config::did_you_mean(*text, names));
  return std::nullopt;
}

bool is_tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::optional<KeyPart> parse_key_part(const config::ConfigNode& node) {
  std::optional<std::string> text = node.as_string();
  if (!text) return std::nullopt;
  if (*text == "client_ip") return KeyPart{KeyPart::Kind::kClientIp, {}};
  if (*text == "route") return KeyPart{KeyPart::Kind::kRoute, {}};
  std::string_view view = *text;
  if (view.starts_with("header:")) {
    std::string_view name = view.substr(7);
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_tchar)) {
      node.error(std::string("`").append(name) + "` is not a valid header name (an RFC 9110 token)");
      return std::nullopt;
    }
    return KeyPart{KeyPart::Kind::kHeader, std::string(name)};
  }
  if (view.starts_with("claim:")) {
    std::string_view name = view.substr(6);
    if (name.empty() || name.front() == '.' || name.back() == '.' ||
        name.find_first_of(" \t") != std::string_view::npos) {
      node.error("expected a claim name after `claim:` (e.g. `claim:sub`, nested as `claim:realm.role`)");
      return std::nullopt;
    }
    return KeyPart{KeyPart::Kind::kClaim, std::string(name)};
  }
  const std::vector<std::string_view> known{"client_ip", "route"};
  node.error("unknown key part `" + *text + "`: expected `client_ip`, `route`, `header:NAME` or `claim:NAME`" +
             config::did_you_mean(*text, known));
  return std::nullopt;
}

// `key: client_ip` or `key: [client_ip, header:X-Api-Key]`.
bool parse_key(const config::ConfigNode& node, KeySpec& out) {
  if (!node.defined()) return true;
  std::vector<config::ConfigNode> items;
  if (node.is_sequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) items.push_back(node.at(i));
    if (items.empty()) {
      node.error("expected at least one key part (the default is `client_ip`)");
      return false;
    }
  } else if (node.is_scalar()) {
    items.push_back(node);
  } else {
    node.error("expected a key part (`client_ip`, `route`, `header:NAME`, `claim:NAME`) or a list of them");
    return false;
  }
  bool ok = true;
  out.parts.clear();
  for (const config::ConfigNode& item : items) {
    std::optional<KeyPart> part = parse_key_part(item);
    if (!part) {
      ok = false;
      continue;
    }
    if (std::find(out.parts.begin(), out.parts.end(), *part) != out.parts.end()) {
      item.error(std::string("`").append(part->to_string()).append("` is listed twice"));
      ok = false;
      continue;
    }
    out.parts.push_back(std::move(*part));
  }
  return ok;
}

std::optional<LimitSpec> parse_rate_node(const config::ConfigNode& node) {
  std::optional<std::string> text = node.as_string();
  if (!text) return std::nullopt;
  std::optional<Rate> rate = parse_rate(*text);
  if (!rate) {
    node.error(std::string(kRateHint) + ", got `" + *text + "`");
    return std::nullopt;
  }
  LimitSpec spec;
  spec.quota = rate->quota;
  spec.window = rate->window;
  spec.burst = rate->quota;
  return spec;
}

std::optional<std::uint64_t> parse_burst(const config::ConfigNode& node) {
  std::optional<std::int64_t> burst = node.as_int(1, static_cast<std::int64_t>(kMaxQuota));
  if (!burst) return std::nullopt;
  return static_cast<std::uint64_t>(*burst);
}

// One `limits` item: `{ limit: 10/s, burst: 20 }` or just `10/s`.
std::optional<LimitSpec> parse_limit_item(const config::ConfigNode& item, std::vector<config::ConfigNode>& bursts) {
  if (item.is_scalar()) return parse_rate_node(item);
  if (!item.is_map()) {
    item.error("expected a limit: `{ limit: 10/s, burst: 20 }` or `10/s`");
    return std::nullopt;
  }
  bool ok = item.expect_keys({"limit", "burst"});
  if (!item["limit"].defined()) {
    item.error("missing required key `limit`");
    return std::nullopt;
  }
  std::optional<LimitSpec> spec = parse_rate_node(item["limit"]);
  if (!spec) return std::nullopt;
  if (item["burst"].defined()) {
    std::optional<std::uint64_t> burst = parse_burst(item["burst"]);
    if (!burst) return std::nullopt;
    spec->burst = *burst;
    bursts.push_back(item["burst"]);
  }
  if (!ok) return std::nullopt;
  return spec;
}

// `limit:` (+ `burst:`) or `limits:`; records where each burst was written,
// to report it when the algorithm has no bucket.
bool parse_limits(const config::ConfigNode& options, RateLimitConfig& out,
                  std::vector<config::ConfigNode>& bursts) {
  const config::ConfigNode one = options["limit"];
  const config::ConfigNode many = options["limits"];
  if (one.defined() && many.defined()) {
    many.error("give either `limit` (one limit) or `limits` (several), not both");
    return false;
  }
  if (!one.defined() && !many.defined()) {
    options.error("missing required key `limit` (a rate such as `100/m`), or `limits` for several");
    return false;
  }
  if (one.defined()) {
    std::optional<LimitSpec> spec = parse_rate_node(one);
    if (!spec) return false;
    if (options["burst"].defined()) {
      std::optional<std::uint64_t> burst = parse_burst(options["burst"]);
      if (!burst) return false;
      spec->burst = *burst;
      bursts.push_back(options["burst"]);
    }
    out.limits.push_back(*spec);
    return true;
  }
  if (options["burst"].defined()) {
    options["burst"].error("with `limits`, give each limit its own `burst`");
    return false;
  }
  if (!many.is_sequence() || many.size() == 0 || many.size() > kMaxLimits) {
    many.error(std::string("expected a list of 1 to ").append(std::to_string(kMaxLimits)) + " limits");
    return false;
  }
  bool ok = true;
  for (std::size_t i = 0; i < many.size(); ++i) {
    std::optional<LimitSpec> item = parse_limit_item(many.at(i), bursts);
    if (!item) {
      ok = false;
      continue;
    }
    auto same = [&](const LimitSpec& s) { return s.quota == item->quota && s.window == item->window; };
    if (std::any_of(out.limits.begin(), out.limits.end(), same)) {
      many.at(i).error("the rate `" + rate_text(item->quota, item->window) +
                       "` is listed twice (each limit is named by its rate in the RateLimit headers)");
      ok = false;
      continue;
    }
    out.limits.push_back(*item);
  }
  return ok;
}

bool parse_headers(const config::ConfigNode& node, RateLimitConfig& out) {
  if (!node.defined()) return true;
  if (node.is_scalar()) {  // `headers: false` hides both
    std::optional<bool> on = node.as_bool();
    if (!on) return false;
    out.ietf_headers = out.legacy_headers = *on;
    return true;
  }
  if (!node.is_map()) {
    node.error("expected `{ ietf: true|false, legacy: true|false }` or a boolean for both");
    return false;
  }
  bool ok = node.expect_keys({"ietf", "legacy"});
  for (auto [key, flag] : {std::pair{"ietf", &out.ietf_headers}, std::pair{"legacy", &out.legacy_headers}}) {
    if (!node[key].defined()) continue;
    std::optional<bool> on = node[key].as_bool();
    if (on) *flag = *on;
    else ok = false;
  }
  return ok;
}

// `address: 127.0.0.1:6379` or `[::1]:6379`: an IP literal, because
// resolving a name would block the worker thread that connects.
bool parse_redis_address(const config::ConfigNode& node, RedisEndpoint& out) {
  std::optional<std::string> text = node.as_string();
  if (!text) return false;
  std::string_view view = *text;
  std::size_t colon = view.rfind(':');
  std::string_view host = colon == std::string_view::npos ? std::string_view() : view.substr(0, colon);
  std::string_view port = colon == std::string_view::npos ? std::string_view() : view.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  boost::system::error_code bad;
  boost::asio::ip::make_address(std::string(host), bad);
  if (host.empty() || bad || ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
    node.error("expected `IP:PORT` (e.g. `127.0.0.1:6379` or `[::1]:6379`; an IP address, not a host name, "
               "so that workers never wait for DNS), got `" + *text + "`");
    return false;
  }
  out.host = std::string(host);
  out.port = static_cast<std::uint16_t>(value);
  return true;
}

// `tls: true` (the system trust store, the address's IP checked) or the
// same block as an upstream's `tls` (ca_file, verify, server_name,
// cert_file, key_file); `false` or absent: plain TCP.
bool parse_redis_tls(const config::ConfigNode& node, RedisEndpoint& out) {
  if (!node.defined()) return true;
  if (!node.is_map()) {
    if (!node.is_scalar()) {
      node.error("expected `true`, `false` or a map such as `{ ca_file: redis-ca.pem, server_name: redis.internal }`");
      return false;
    }
    std::optional<bool> on = node.as_bool();
    if (!on) return false;
    if (!*on) return true;
  }
  out.tls = config::load_client_tls(node, "");  // Redis negotiates no ALPN
  return out.tls != nullptr;
}

bool parse_redis(const config::ConfigNode& node, RedisStoreSettings& out) {
  if (!node.defined()) {
    node.error("missing required key `redis` (at least `{ address: 127.0.0.1:6379 }`) for `store: redis`");
    return false;
  }
  if (!node.is_map()) {
    node.error("expected a map such as `{ address: 127.0.0.1:6379, password: ${REDIS_PASSWORD} }`");
    return false;
  }
  bool ok = node.expect_keys({"address", "password", "username", "tls", "timeout", "pool_size", "prefix"});
  if (!node["address"].defined()) {
    node.error("missing required key `address` (e.g. `127.0.0.1:6379`)");
    ok = false;
  } else {
    ok &= parse_redis_address(node["address"], out.endpoint);
  }
  for (auto [name, field] : {std::pair{"password", &out.endpoint.password},
                             std::pair{"username", &out.endpoint.username}}) {
    if (!node[name].defined()) continue;
    std::optional<std::string> text = node[name].as_string();
    if (!text) {
      ok = false;
    } else if (text->empty()) {
      node[name].error(std::string("`").append(name) + "` is empty (leave it out for none)");
      ok = false;
    } else {
      *field = *text;
    }
  }
  if (node["username"].defined() && !node["password"].defined()) {
    node["username"].error("`username` needs a `password` (Redis AUTH username password)");
    ok = false;
  }
  ok &= parse_redis_tls(node["tls"], out.endpoint);
  if (node["timeout"].defined()) {
    std::optional<config::Duration> d = node["timeout"].as_duration(std::chrono::milliseconds(1), seconds(10));
    if (d) out.endpoint.timeout = *d;
    else ok = false;
  }
  if (node["pool_size"].defined()) {
    std::optional<std::int64_t> n = node["pool_size"].as_int(1, 16);
    if (n) out.endpoint.pool_size = static_cast<std::size_t>(*n);
    else ok = false;
  }
  if (node["prefix"].defined()) {
    std::optional<std::string> prefix = node["prefix"].as_string();
    if (!prefix) {
      ok = false;
    } else if (prefix->size() > 128) {
      node["prefix"].error("expected at most 128 characters");
      ok = false;
    } else {
      out.prefix = *prefix;
    }
  }
  return ok;
}

// `store`, and the keys that only `store: redis` takes.
bool parse_store(const config::ConfigNode& options, RateLimitConfig& out) {
  const config::ConfigNode node = options["store"];
  bool redis = false;
  if (node.defined()) {
    constexpr std::array kStores{std::pair{std::string_view("local"), false},
                                 std::pair{std::string_view("redis"), true}};
    std::optional<bool> parsed = parse_choice(node, kStores);
    if (!parsed) return false;
    redis = *parsed;
  }
  if (!redis) {
    bool ok = true;
    for (std::string_view name : {"redis", "on_store_error", "expected_instances"}) {
      if (!options[name].defined()) continue;
      options[name].error(std::string("`").append(name) + "` applies to `store: redis` only");
      ok = false;
    }
    return ok;
  }
  RedisStoreSettings settings;
  bool ok = parse_redis(options["redis"], settings);
  if (options["on_store_error"].defined()) {
    constexpr std::array kChoices{
        std::pair{std::string_view("local_fallback"), OnStoreError::kLocalFallback},
        std::pair{std::string_view("fail_open"), OnStoreError::kFailOpen},
        std::pair{std::string_view("fail_closed"), OnStoreError::kFailClosed}};
    std::optional<OnStoreError> parsed = parse_choice(options["on_store_error"], kChoices);
    if (parsed) settings.on_error = *parsed;
    else ok = false;
  }
  if (options["expected_instances"].defined()) {
    std::optional<std::int64_t> n = options["expected_instances"].as_int(1, 10000);
    if (n) settings.expected_instances = static_cast<std::uint64_t>(*n);
    else ok = false;
  }
  if (out.mode == Mode::kDelay) {
    node.error("`mode: delay` works with `store: local` only (a Redis-backed limit rejects; it cannot hold "
               "requests queued across instances)");
    ok = false;
  }
  if (ok) out.redis = std::move(settings);
  return ok;
}

bool parse_mode(const config::ConfigNode& options, RateLimitConfig& out) {
  bool ok = true;
  if (options["mode"].defined()) {
    constexpr std::array kModes{std::pair{std::string_view("reject"), Mode::kReject},
                                std::pair{std::string_view("delay"), Mode::kDelay}};
    std::optional<Mode> mode = parse_choice(options["mode"], kModes);
    if (!mode) return false;
    out.mode = *mode;
  }
  const config::ConfigNode max_delay = options["max_delay"];
  const config::ConfigNode max_queue = options["max_queue"];
  if (out.mode == Mode::kReject) {
    for (const config::ConfigNode& node : {max_delay, max_queue}) {
      if (!node.defined()) continue;
      std::string name = node.path().substr(node.path().rfind('.') + 1);
      node.error(std::string("`").append(name).append("` applies to `mode: delay` only"));
      ok = false;
    }
    return ok;
  }
  if (!out.limits.empty() && out.limits.front().algorithm != Algorithm::kTokenBucket) {
    options["mode"].error("`mode: delay` shapes traffic with a leaky bucket and needs `algorithm: token_bucket`");
    ok = false;
  }
  out.max_delay = kDefaultMaxDelay;
  if (max_delay.defined()) {
    std::optional<config::Duration> d = max_delay.as_duration(milliseconds(1), minutes(1));
    if (d) out.max_delay = *d;
    else ok = false;
  }
  if (max_queue.defined()) {
    std::optional<std::int64_t> q = max_queue.as_int(1, kMaxQueue);
    if (q) out.max_queue = static_cast<std::uint64_t>(*q);
    else ok = false;
  }
  return ok;
}

}  // namespace

Nanos RateLimitConfig::tolerance() const noexcept {
  if (mode != Mode::kDelay) return Nanos(0);
  Nanos bound = max_delay;
  if (max_queue) {
    // The slowest-filling limit waits longest per queued request; bounding
    // by the fastest interval keeps every limit's queue within max_queue.
    Nanos interval = limits.front().emission_interval();
    for (const LimitSpec& l : limits) interval = std::min(interval, l.emission_interval());
    bound = std::min<Nanos>(bound, interval * static_cast<std::int64_t>(*max_queue));
  }
  return bound;
}

std::string RateLimitConfig::fingerprint(std::string_view route) const {
  std::string out = std::to_string(route.size()) + ":" + std::string(route);
  out += "|alg=";
  out += std::to_string(static_cast<int>(limits.front().algorithm));
  for (const LimitSpec& l : limits) {
    out += '|';
    out += std::to_string(l.quota);
    out += '/';
    out += std::to_string(l.window.count());
    out += "ns,burst=";
    out += std::to_string(l.burst);
  }
  out += "|key=";
  for (const KeyPart& part : key.parts) {
    std::string text = part.to_string();
    out += std::to_string(text.size()) + ":" + text;
  }
  out += "|missing=";
  out += std::to_string(static_cast<int>(key.on_missing));
  out += "|max_keys=";
  out += std::to_string(max_keys);
  out += "|tolerance=";
  out += std::to_string(tolerance().count());
  return out;
}

std::optional<Rate> parse_rate(std::string_view text) {
  std::size_t slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  std::uint64_t quota = 0;
  std::string_view count = text.substr(0, slash);
  auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), quota);
  if (ec != std::errc() || end != count.data() + count.size() || quota < 1 || quota > kMaxQuota) return std::nullopt;
  std::string_view per = text.substr(slash + 1);
  std::optional<Nanos> window;
  if (per == "s") window = seconds(1);
  else if (per == "m") window = minutes(1);
  else if (per == "h") window = hours(1);
  else if (per == "d") window = days(1);
  else if (std::optional<config::Duration> d = config::parse_duration(per)) window = *d;
  if (!window || *window < kMinWindow || *window > kMaxWindow) return std::nullopt;
  return Rate{quota, *window};
}

std::string rate_text(std::uint64_t quota, Nanos window) {
  constexpr std::array<std::pair<Nanos, std::string_view>, 5> kUnits{{
      {days(1), "d"}, {hours(1), "h"}, {minutes(1), "m"}, {seconds(1), "s"}, {milliseconds(1), "ms"}}};
  std::string out = std::to_string(quota) + "/";
  for (const auto& [unit, name] : kUnits) {
    if (window.count() % unit.count() != 0) continue;
    std::int64_t n = window.count() / unit.count();
    if (n != 1 || name == "ms") out += std::to_string(n);
    out += name;
    return out;
  }
  return out + std::to_string(window.count()) + "ns";
}

std::optional<RateLimitConfig> parse_rate_limit_config(const config::ConfigNode& options) {
  if (!options.is_map()) {
    options.error("expected a map with at least `limit` (e.g. `rate_limit: { key: client_ip, limit: 100/m }`)");
    return std::nullopt;
  }
  RateLimitConfig config;
  bool ok = options.expect_keys({"key", "limit", "burst", "limits", "algorithm", "mode", "max_delay",
                                 "max_queue", "on_missing_key", "headers", "max_keys", "store", "redis",
                                 "on_store_error", "expected_instances"});
  ok &= parse_key(options["key"], config.key);

  Algorithm algorithm = Algorithm::kTokenBucket;
  if (options["algorithm"].defined()) {
    constexpr std::array kAlgorithms{std::pair{std::string_view("token_bucket"), Algorithm::kTokenBucket},
                                     std::pair{std::string_view("sliding_window"), Algorithm::kSlidingWindow},
                                     std::pair{std::string_view("fixed_window"), Algorithm::kFixedWindow}};
    std::optional<Algorithm> parsed = parse_choice(options["algorithm"], kAlgorithms);
    if (parsed) algorithm = *parsed;
    else ok = false;
  }
  std::vector<config::ConfigNode> bursts;
  ok &= parse_limits(options, config, bursts);
  for (LimitSpec& l : config.limits) l.algorithm = algorithm;
  if (algorithm != Algorithm::kTokenBucket) {
    for (const config::ConfigNode& burst : bursts) {
      burst.error("`burst` applies to `algorithm: token_bucket` only (a window admits its quota at any pace)");
      ok = false;
    }
    for (LimitSpec& l : config.limits) l.burst = l.quota;
  }
  for (const LimitSpec& l : config.limits) config.limit_names.push_back(rate_text(l.quota, l.window));

  ok &= parse_mode(options, config);
  if (options["on_missing_key"].defined()) {
    constexpr std::array kChoices{std::pair{std::string_view("deny"), OnMissingKey::kDeny},
                                  std::pair{std::string_view("allow"), OnMissingKey::kAllow},
                                  std::pair{std::string_view("shared"), OnMissingKey::kShared}};
    std::optional<OnMissingKey> parsed = parse_choice(options["on_missing_key"], kChoices);
    if (parsed) config.key.on_missing = *parsed;
    else ok = false;
  }
  ok &= parse_headers(options["headers"], config);
  if (options["max_keys"].defined()) {
    std::optional<std::int64_t> max_keys = options["max_keys"].as_int(1, kMaxKeys);
    if (max_keys) config.max_keys = static_cast<std::uint64_t>(*max_keys);
    else ok = false;
  }
  ok &= parse_store(options, config);
  if (!ok) return std::nullopt;
  return config;
}

}  // namespace gatehouse::policies::rate_limit
