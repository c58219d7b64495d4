#include "policies/jwt/jwt_config.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include "policies/jwt/jwks.h"
#include "proxy/config/diagnostics.h"
#include "proxy/http/header_map.h"

namespace gatehouse::policies::jwt {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::size_t kMaxKeyFileSize = 1024 * 1024;

bool is_tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar); }

bool valid_claim_name(std::string_view name) {
  return !name.empty() && name.front() != '.' && name.back() != '.' &&
         name.find_first_of(" \t\r\n") == std::string_view::npos;
}

std::optional<std::string> read_file(const config::ConfigNode& node, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    node.error("cannot read `" + path + "`");
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string data = std::move(text).str();
  if (data.size() > kMaxKeyFileSize) {
    node.error("`" + path + "` is larger than 1MiB");
    return std::nullopt;
  }
  return data;
}

std::optional<std::vector<Algorithm>> parse_algorithms(const config::ConfigNode& node) {
  if (!node.defined()) {
    node.error("missing required key `algorithms` (e.g. `algorithms: [ES256]`)");
    return std::nullopt;
  }
  std::optional<std::vector<std::string>> names = node.as_string_list();
  if (!names) return std::nullopt;
  if (names->empty()) {
    node.error("expected at least one algorithm");
    return std::nullopt;
  }
  std::vector<Algorithm> out;
  const std::vector<std::string_view> known{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256",
                                            "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"};
  bool ok = true;
  for (const std::string& name : *names) {
    if (name == "none") {
      node.error("`none` (unsigned tokens) is never accepted");
      ok = false;
      continue;
    }
    std::optional<Algorithm> alg = algorithm_from_name(name);
    if (!alg) {
      node.error("unknown algorithm `" + name + "`" + config::did_you_mean(name, known) +
                 " (HS256/384/512, RS256/384/512, PS256/384/512, ES256/384/512, EdDSA)");
      ok = false;
      continue;
    }
    if (std::find(out.begin(), out.end(), *alg) != out.end()) {
      node.error("algorithm `" + name + "` is listed twice");
      ok = false;
      continue;
    }
    out.push_back(*alg);
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::chrono::milliseconds> duration_in(const config::ConfigNode& node, std::chrono::milliseconds fallback,
                                                     std::chrono::milliseconds min, std::chrono::milliseconds max,
                                                     bool& ok) {
  if (!node.defined()) return fallback;
  std::optional<config::Duration> d = node.as_duration(min, max);
  if (!d) ok = false;
  return d;
}

bool parse_remote(const config::ConfigNode& item, IssuerConfig& out) {
  bool ok = true;
  std::optional<std::string> text = item["jwks_uri"].as_string();
  if (!text) return false;
  std::string error;
  std::optional<JwksUri> uri = parse_jwks_uri(*text, error);
  if (!uri) {
    item["jwks_uri"].error(error);
    return false;
  }
  RemoteJwksSettings settings;
  settings.uri = std::move(*uri);
  if (item["ca_file"].defined()) {
    std::optional<std::string> ca = item["ca_file"].as_path();
    if (ca) settings.ca_file = *ca;
    else ok = false;
  }
  auto min_ttl = duration_in(item["min_cache_ttl"], settings.min_cache_ttl, seconds(1), hours(24 * 7), ok);
  auto max_ttl = duration_in(item["max_cache_ttl"], settings.max_cache_ttl, seconds(1), hours(24 * 7), ok);
  auto refetch = duration_in(item["refetch_interval"], settings.refetch_interval, milliseconds(100), hours(1), ok);
  auto timeout = duration_in(item["fetch_timeout"], settings.fetch_timeout, milliseconds(100), minutes(1), ok);
  if (!ok) return false;
  settings.min_cache_ttl = *min_ttl;
  settings.max_cache_ttl = *max_ttl;
  settings.refetch_interval = *refetch;
  settings.fetch_timeout = *timeout;
  if (settings.min_cache_ttl > settings.max_cache_ttl) {
    item["min_cache_ttl"].error("`min_cache_ttl` is above `max_cache_ttl`");
    return false;
  }
  out.remote = std::move(settings);
  return true;
}

// The one key source of an issuer; checks the algorithms suit it.
bool parse_key_source(const config::ConfigNode& item, IssuerConfig& out) {
  const std::array<std::string_view, 4> sources{"secret", "public_key_files", "jwks_file", "jwks_uri"};
  std::vector<std::string_view> given;
  for (std::string_view s : sources) {
    if (item[s].defined()) given.push_back(s);
  }
  if (given.size() != 1) {
    item.error(given.empty() ? "missing a key source: one of `secret`, `public_key_files`, `jwks_file`, `jwks_uri`"
                             : "give one key source per issuer (`secret`, `public_key_files`, `jwks_file` or "
                               "`jwks_uri`); list the issuer twice for several");
    return false;
  }
  for (std::string_view remote_only : {"ca_file", "min_cache_ttl", "max_cache_ttl", "refetch_interval", "fetch_timeout"}) {
    if (given.front() != "jwks_uri" && item[remote_only].defined()) {
      item[remote_only].error("`" + std::string(remote_only) + "` applies to `jwks_uri` only");
      return false;
    }
  }
  const bool hmac = given.front() == "secret";
  for (Algorithm alg : out.algorithms) {
    if ((key_type_for(alg) == KeyType::kSecret) != hmac) {
      item["algorithms"].error(std::string("`").append(algorithm_name(alg)) +
                               (hmac ? "` needs a public key, not `secret`"
                                     : "` is an HMAC algorithm and needs `secret`, not a public key"));
      return false;
    }
  }
  if (given.front() == "jwks_uri") return parse_remote(item, out);

  auto keys = std::make_shared<KeySet>();
  if (hmac) {
    std::optional<std::string> secret = item["secret"].as_string();
    if (!secret) return false;
    for (Algorithm alg : out.algorithms) {
      // RFC 7518 §3.2: a key at least as long as the hash output.
      std::size_t need = alg == Algorithm::kHS256 ? 32 : alg == Algorithm::kHS384 ? 48 : 64;
      if (secret->size() < need) {
        item["secret"].error(std::string("`").append(algorithm_name(alg)) + "` needs a secret of at least " +
                             std::to_string(need) + " bytes");
        return false;
      }
    }
    VerificationKey key;
    key.type = KeyType::kSecret;
    key.secret = std::move(*secret);
    keys->push_back(std::move(key));
  } else if (given.front() == "public_key_files") {
    const config::ConfigNode files = item["public_key_files"];
    std::vector<config::ConfigNode> nodes;
    if (files.is_sequence()) {
      for (std::size_t i = 0; i < files.size(); ++i) nodes.push_back(files.at(i));
    } else {
      nodes.push_back(files);
    }
    for (const config::ConfigNode& node : nodes) {
      std::optional<std::string> path = node.as_path();
      if (!path) return false;
      std::optional<std::string> pem = read_file(node, *path);
      if (!pem) return false;
      std::string error;
      std::vector<VerificationKey> read = keys_from_pem(*pem, error);
      if (read.empty()) {
        node.error("`" + *path + "`: " + error);
        return false;
      }
      for (VerificationKey& k : read) keys->push_back(std::move(k));
    }
  } else {
    const config::ConfigNode node = item["jwks_file"];
    std::optional<std::string> path = node.as_path();
    if (!path) return false;
    std::optional<std::string> json = read_file(node, *path);
    if (!json) return false;
    JwksParseResult parsed = parse_jwks(*json);
    if (!parsed.ok) {
      node.error("`" + *path + "`: " + parsed.error);
      return false;
    }
    if (!parsed.skipped.empty()) {
      std::string list;
      for (const std::string& s : parsed.skipped) list += (list.empty() ? "" : "; ") + s;
      node.error("`" + *path + "`: unusable keys: " + list);
      return false;
    }
    *keys = std::move(parsed.keys);
  }
  for (Algorithm alg : out.algorithms) {
    if (std::none_of(keys->begin(), keys->end(), [&](const VerificationKey& k) { return k.usable_for(alg); })) {
      item["algorithms"].error(std::string("no configured key can verify `").append(algorithm_name(alg)) + "`");
      return false;
    }
  }
  out.keys = std::move(keys);
  return true;
}

bool parse_issuers(const config::ConfigNode& node, JwtConfig& out) {
  if (!node.defined()) {
    node.error("missing required key `issuers` (a list of `{ issuer, audiences, algorithms, <key source> }`)");
    return false;
  }
  if (!node.is_sequence() || node.size() == 0) {
    node.error("expected a list of at least one issuer");
    return false;
  }
  bool ok = true;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const config::ConfigNode item = node.at(i);
    if (!item.expect_map()) {
      ok = false;
      continue;
    }
    bool item_ok = item.expect_keys({"issuer", "audiences", "algorithms", "secret", "public_key_files", "jwks_file",
                                     "jwks_uri", "ca_file", "min_cache_ttl", "max_cache_ttl", "refetch_interval",
                                     "fetch_timeout"});
    IssuerConfig issuer;
    std::optional<std::string> iss = item["issuer"].as_string();
    if (!item["issuer"].defined()) item.error("missing required key `issuer` (the exact `iss` of its tokens)");
    if (iss && iss->empty()) {
      item["issuer"].error("expected a non-empty issuer");
      iss.reset();
    }
    if (iss) {
      for (const IssuerConfig& other : out.issuers) {
        if (other.claims.issuer == *iss) {
          item["issuer"].error("issuer `" + *iss + "` is listed twice (give it one key source, e.g. a JWKS)");
          iss.reset();
          break;
        }
      }
    }
    if (!iss) item_ok = false;
    else issuer.claims.issuer = *iss;
    if (!item["audiences"].defined()) {
      item.error("missing required key `audiences` (the `aud` values accepted)");
      item_ok = false;
    } else if (std::optional<std::vector<std::string>> auds = item["audiences"].as_string_list()) {
      if (auds->empty()) {
        item["audiences"].error("expected at least one audience");
        item_ok = false;
      }
      issuer.claims.audiences = std::move(*auds);
    } else {
      item_ok = false;
    }
    std::optional<std::vector<Algorithm>> algs = parse_algorithms(item["algorithms"]);
    if (algs) issuer.algorithms = std::move(*algs);
    else item_ok = false;
    if (item_ok) item_ok = parse_key_source(item, issuer);
    if (item_ok) out.issuers.push_back(std::move(issuer));
    ok &= item_ok;
  }
  return ok;
}

bool parse_token_from(const config::ConfigNode& node, JwtConfig& out) {
  if (!node.defined()) return true;
  std::optional<std::vector<std::string>> items = node.as_string_list();
  if (!items) return false;
  if (items->empty()) {
    node.error("expected at least one token source");
    return false;
  }
  out.token_from.clear();
  for (const std::string& item : *items) {
    std::string_view text = item;
    TokenSource source;
    if (text == "authorization") {
      source.kind = TokenSource::Kind::kAuthorization;
    } else if (text.starts_with("header:") && is_token(text.substr(7))) {
      source = {TokenSource::Kind::kHeader, std::string(text.substr(7))};
    } else if (text.starts_with("cookie:") && is_token(text.substr(7))) {
      source = {TokenSource::Kind::kCookie, std::string(text.substr(7))};
    } else if (text.starts_with("query:") && text.size() > 6 &&
               text.substr(6).find_first_of("&=#? ") == std::string_view::npos) {
      source = {TokenSource::Kind::kQuery, std::string(text.substr(6))};
    } else {
      node.error("unknown token source `" + item +
                 "`: expected `authorization`, `header:NAME`, `cookie:NAME` or `query:NAME`");
      return false;
    }
    out.token_from.push_back(std::move(source));
  }
  return true;
}

std::optional<ClaimRule> parse_rule_group(const config::ConfigNode& node, int depth);

// One claim's condition: `admin` (equals), `[a, b]` (one of), `contains x`
// (all of [x]), or `{ equals: v }` / `{ one_of: [..] }` / `{ all_of: [..] }`.
std::optional<ClaimRule> parse_condition(const std::string& claim, const config::ConfigNode& node) {
  ClaimRule rule;
  rule.claim = claim;
  if (node.is_scalar()) {
    std::optional<std::string> text = node.as_string();
    if (!text) return std::nullopt;
    if (text->starts_with("contains ")) {
      std::string value = text->substr(9);
      value.erase(0, value.find_first_not_of(' '));
      if (value.empty()) {
        node.error("expected a value after `contains`");
        return std::nullopt;
      }
      rule.kind = ClaimRule::Kind::kContainsAll;
      rule.values.push_back(value);
    } else {
      rule.kind = ClaimRule::Kind::kEquals;
      rule.values.push_back(*text);
    }
    return rule;
  }
  if (node.is_sequence()) {
    std::optional<std::vector<std::string>> values = node.as_string_list();
    if (!values) return std::nullopt;
    if (values->empty()) {
      node.error("expected at least one value");
      return std::nullopt;
    }
    rule.kind = ClaimRule::Kind::kOneOf;
    rule.values = std::move(*values);
    return rule;
  }
  if (!node.is_map() || node.size() != 1 || !node.expect_keys({"equals", "one_of", "all_of"})) {
    if (node.is_map() && node.size() != 1) node.error("expected exactly one of `equals`, `one_of`, `all_of`");
    else if (!node.is_map()) node.error("expected a value, a list of values, or `{ equals | one_of | all_of: ... }`");
    return std::nullopt;
  }
  if (node["equals"].defined()) {
    std::optional<std::string> text = node["equals"].as_string();
    if (!text) return std::nullopt;
    rule.kind = ClaimRule::Kind::kEquals;
    rule.values.push_back(*text);
    return rule;
  }
  const bool one = node["one_of"].defined();
  const config::ConfigNode list = one ? node["one_of"] : node["all_of"];
  std::optional<std::vector<std::string>> values = list.as_string_list();
  if (!values) return std::nullopt;
  if (values->empty()) {
    list.error("expected at least one value");
    return std::nullopt;
  }
  rule.kind = one ? ClaimRule::Kind::kOneOf : ClaimRule::Kind::kContainsAll;
  rule.values = std::move(*values);
  return rule;
}

// A map of claim conditions (all must hold), or `{ any_of: [groups] }` /
// `{ all_of: [groups] }`.
std::optional<ClaimRule> parse_rule_group(const config::ConfigNode& node, int depth) {
  if (depth > 8) {
    node.error("rules nest too deeply (at most 8 levels)");
    return std::nullopt;
  }
  if (!node.is_map() || node.size() == 0) {
    node.error("expected a map of claim conditions (e.g. `{ role: [admin] }`), or `{ any_of: [...] }` / "
               "`{ all_of: [...] }`");
    return std::nullopt;
  }
  node.expect_unique_keys();
  std::vector<std::pair<std::string, config::ConfigNode>> entries = node.entries();
  if (entries.size() == 1 && (entries[0].first == "any_of" || entries[0].first == "all_of")) {
    const config::ConfigNode list = entries[0].second;
    if (!list.is_sequence() || list.size() == 0) {
      list.error("expected a list of rule groups");
      return std::nullopt;
    }
    ClaimRule group;
    group.kind = entries[0].first == "any_of" ? ClaimRule::Kind::kAnyOf : ClaimRule::Kind::kAllOf;
    bool ok = true;
    for (std::size_t i = 0; i < list.size(); ++i) {
      std::optional<ClaimRule> child = parse_rule_group(list.at(i), depth + 1);
      if (child) group.children.push_back(std::move(*child));
      else ok = false;
    }
    if (!ok) return std::nullopt;
    return group;
  }
  ClaimRule group;
  group.kind = ClaimRule::Kind::kAllOf;
  bool ok = entries.size() == node.size();
  for (auto& [claim, condition] : entries) {
    if (claim == "any_of" || claim == "all_of") {
      condition.error("`" + claim + "` must be the only key of its map (put the other conditions in its list)");
      ok = false;
      continue;
    }
    if (!valid_claim_name(claim)) {
      condition.error("`" + claim + "` is not a claim name");
      ok = false;
      continue;
    }
    std::optional<ClaimRule> leaf = parse_condition(claim, condition);
    if (leaf) group.children.push_back(std::move(*leaf));
    else ok = false;
  }
  if (!ok) return std::nullopt;
  return group;
}

bool parse_claims_to_headers(const config::ConfigNode& node, JwtConfig& out) {
  if (!node.defined()) return true;
  if (!node.expect_map()) return false;
  node.expect_unique_keys();
  bool ok = true;
  for (auto& [claim, header_node] : node.entries()) {
    std::optional<std::string> header = header_node.as_string();
    if (!header) {
      ok = false;
      continue;
    }
    if (!valid_claim_name(claim)) {
      header_node.error("`" + claim + "` is not a claim name");
      ok = false;
      continue;
    }
    if (!is_token(*header)) {
      header_node.error("`" + *header + "` is not a valid header name (an RFC 9110 token)");
      ok = false;
      continue;
    }
    for (std::string_view reserved : {"Host", "Content-Length", "Transfer-Encoding", "Connection", "Authorization",
                                      "Cookie", "Upgrade", "TE", "Keep-Alive", "Proxy-Connection"}) {
      if (http::iequals(*header, reserved)) {
        header_node.error("`" + *header + "` cannot carry a claim");
        ok = false;
      }
    }
    for (const HeaderFromClaim& other : out.claims_to_headers) {
      if (http::iequals(other.header, *header)) {
        header_node.error("header `" + *header + "` is given two claims");
        ok = false;
      }
    }
    out.claims_to_headers.push_back({claim, *header});
  }
  return ok;
}

}  // namespace

bool IssuerConfig::allows(Algorithm alg) const noexcept {
  return std::find(algorithms.begin(), algorithms.end(), alg) != algorithms.end();
}

std::optional<JwtConfig> parse_jwt_config(const config::ConfigNode& options) {
  if (!options.is_map()) {
    options.error("expected a map with at least `issuers` (e.g. `jwt: { issuers: [ { issuer: ..., audiences: [...], "
                  "algorithms: [ES256], jwks_uri: ... } ] }`)");
    return std::nullopt;
  }
  JwtConfig config;
  bool ok = options.expect_keys({"issuers", "token_from", "max_token_size", "optional", "leeway", "max_lifetime",
                                 "required_claims", "require", "claims_to_headers", "forward_token", "realm", "cache"});
  ok &= parse_issuers(options["issuers"], config);
  ok &= parse_token_from(options["token_from"], config);
  if (options["max_token_size"].defined()) {
    std::optional<std::uint64_t> size = options["max_token_size"].as_size(256, 64 * 1024);
    if (size) config.max_token_size = *size;
    else ok = false;
  }
  config.optional = options.bool_or("optional", false);
  config.forward_token = options.bool_or("forward_token", true);
  const seconds leeway = std::chrono::duration_cast<seconds>(options.duration_or("leeway", seconds(60), seconds(0), minutes(10)));
  std::optional<seconds> max_lifetime;
  if (options["max_lifetime"].defined()) {
    std::optional<config::Duration> d = options["max_lifetime"].as_duration(seconds(1), hours(24 * 365));
    if (d) max_lifetime = std::chrono::duration_cast<seconds>(*d);
    else ok = false;
  }
  std::vector<std::string> required;
  if (options["required_claims"].defined()) {
    std::optional<std::vector<std::string>> names = options["required_claims"].as_string_list();
    if (names) {
      for (const std::string& name : *names) {
        if (!valid_claim_name(name)) {
          options["required_claims"].error("`" + name + "` is not a claim name");
          ok = false;
        }
      }
      required = std::move(*names);
    } else {
      ok = false;
    }
  }
  for (IssuerConfig& issuer : config.issuers) {
    issuer.claims.leeway = leeway;
    issuer.claims.max_lifetime = max_lifetime;
    issuer.claims.required = required;
  }
  if (options["require"].defined()) {
    std::optional<ClaimRule> rule = parse_rule_group(options["require"], 0);
    if (rule) config.require = std::move(*rule);
    else ok = false;
  }
  ok &= parse_claims_to_headers(options["claims_to_headers"], config);
  if (options["realm"].defined()) {
    std::optional<std::string> realm = options["realm"].as_string();
    if (realm && (realm->empty() || !std::all_of(realm->begin(), realm->end(), [](char c) {
                    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
                  }))) {
      options["realm"].error("expected printable ASCII without `\"` or `\\`");
      ok = false;
    } else if (realm) {
      config.realm = *realm;
    } else {
      ok = false;
    }
  }
  const config::ConfigNode cache = options["cache"];
  if (cache.defined()) {
    if (cache.is_scalar()) {
      std::optional<std::string> text = cache.as_string();
      if (text && (*text == "off" || *text == "false")) config.cache_entries = 0;
      else if (text && (*text == "on" || *text == "true")) {
      } else {
        cache.error("expected `off`, or `{ max_entries: N }`");
        ok = false;
      }
    } else if (cache.is_map()) {
      ok &= cache.expect_keys({"max_entries"});
      if (cache["max_entries"].defined()) {
        std::optional<std::int64_t> n = cache["max_entries"].as_int(0, 10'000'000);
        if (n) config.cache_entries = static_cast<std::size_t>(*n);
        else ok = false;
      }
    } else {
      cache.error("expected `off`, or `{ max_entries: N }`");
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return config;
}

}  // namespace gatehouse::policies::jwt
