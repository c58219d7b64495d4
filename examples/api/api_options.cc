#include "examples/api/api_options.h"

#include <charconv>
#include <functional>
#include <set>
#include <span>
#include <string_view>

#include <yaml-cpp/yaml.h>

namespace gatehouse::api {
namespace {

// Sets one option from its text; returns an error message or "".
using Setter = std::function<std::string(ApiOptions&, const std::string&)>;

struct OptionSpec {
  std::string_view flag;        // "--webhook-url"
  std::string_view config_key;  // "webhook_url"; empty: flag only
  bool is_switch;               // takes no value on the command line
  Setter set;
};

Setter text(std::string ApiOptions::*field) {
  return [field](ApiOptions& o, const std::string& v) -> std::string {
    if (v.empty()) return "must not be empty";
    o.*field = v;
    return {};
  };
}

template <typename Int>
Setter number(Int ApiOptions::*field, std::int64_t min, std::int64_t max) {
  return [field, min, max](ApiOptions& o, const std::string& v) -> std::string {
    std::int64_t n = 0;
    auto r = std::from_chars(v.data(), v.data() + v.size(), n);
    if (r.ec != std::errc() || r.ptr != v.data() + v.size() || n < min || n > max) {
      return "must be a whole number in " + std::to_string(min) + ".." + std::to_string(max);
    }
    o.*field = static_cast<Int>(n);
    return {};
  };
}

Setter boolean(bool ApiOptions::*field) {
  return [field](ApiOptions& o, const std::string& v) -> std::string {
    if (v == "true") {
      o.*field = true;
    } else if (v == "false") {
      o.*field = false;
    } else {
      return "must be true or false";
    }
    return {};
  };
}

// A comma-separated list of CIDRs ("10.0.0.0/8,::1").
Setter networks(std::vector<Cidr> ApiOptions::*field) {
  return [field](ApiOptions& o, const std::string& v) -> std::string {
    std::vector<Cidr> out;
    std::string_view rest = v;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      std::optional<Cidr> cidr = Cidr::parse(item);
      if (!cidr) return "`" + std::string(item) + "` is not an address or CIDR network";
      out.push_back(*cidr);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    if (out.empty()) return "must list at least one network";
    o.*field = std::move(out);
    return {};
  };
}

const std::vector<OptionSpec>& specs() {
  static const std::vector<OptionSpec> table{
      {"--listen", "listen", false, text(&ApiOptions::listen)},
      {"--db", "db", false, text(&ApiOptions::db)},
      {"--signing-key", "signing_key", false, text(&ApiOptions::signing_key)},
      {"--signing-secret-file", "signing_secret_file", false, text(&ApiOptions::signing_secret_file)},
      {"--issuer", "issuer", false, text(&ApiOptions::issuer)},
      {"--audience", "audience", false, text(&ApiOptions::audience)},
      {"--trust-gateway-headers", "trust_gateway_headers", true, boolean(&ApiOptions::trust_gateway_headers)},
      {"--gateway-networks", "gateway_networks", false, networks(&ApiOptions::gateway_networks)},
      {"--webhook-url", "webhook_url", false, text(&ApiOptions::webhook_url)},
      {"--outbox-max-attempts", "outbox_max_attempts", false,
       number(&ApiOptions::outbox_max_attempts, 1, 1000)},
      // For tests: fast hashing, quick retries and sweeps.
      {"--bcrypt-cost", "", false, number(&ApiOptions::bcrypt_cost, 4, 31)},
      {"--outbox-backoff-base-ms", "", false, number(&ApiOptions::outbox_backoff_base_ms, 0, 3'600'000)},
      {"--outbox-poll-ms", "", false, number(&ApiOptions::outbox_poll_ms, 1, 3'600'000)},
      {"--cleanup-interval-ms", "", false, number(&ApiOptions::cleanup_interval_ms, 1, 86'400'000)},
  };
  return table;
}

const OptionSpec* find_flag(std::string_view flag) {
  for (const OptionSpec& s : specs()) {
    if (s.flag == flag) return &s;
  }
  return nullptr;
}

const OptionSpec* find_key(std::string_view key) {
  for (const OptionSpec& s : specs()) {
    if (!s.config_key.empty() && s.config_key == key) return &s;
  }
  return nullptr;
}

// Applies the file's keys that the command line did not set.
bool load_file(const std::string& path, const std::set<std::string_view>& from_flags, ApiOptions& options,
               std::string& error) {
  try {
    YAML::Node root = YAML::LoadFile(path);
    if (!root.IsMap()) {
      error = path + ": the config must be a mapping";
      return false;
    }
    for (const auto& entry : root) {
      const std::string key = entry.first.as<std::string>();
      const std::string where = path + ":" + std::to_string(entry.first.Mark().line + 1) + ":" +
                                std::to_string(entry.first.Mark().column + 1) + ": ";
      const OptionSpec* spec = find_key(key);
      if (spec == nullptr) {
        error = where + "unknown key `" + key + "`";
        return false;
      }
      if (!entry.second.IsScalar()) {
        error = where + key + ": expected a single value";
        return false;
      }
      if (from_flags.count(spec->flag) != 0) continue;
      if (std::string why = spec->set(options, entry.second.Scalar()); !why.empty()) {
        error = where + key + ": " + why;
        return false;
      }
    }
    return true;
  } catch (const YAML::Exception& e) {
    error = path + ": " + e.what();
    return false;
  }
}

}  // namespace

const char* api_usage() {
  return "usage: gatehouse-api --listen HOST:PORT --db PATH (--signing-key PEM | --signing-secret-file FILE)\n"
         "                     [--issuer URL] [--audience NAME] [--trust-gateway-headers]\n"
         "                     [--gateway-networks CIDR[,CIDR...]] [--config FILE]\n"
         "                     [--webhook-url http://HOST:PORT/PATH] [--outbox-max-attempts N]\n";
}

std::optional<ApiOptions> parse_api_options(int argc, const char* const* argv, std::string& error) {
  ApiOptions options;
  std::set<std::string_view> from_flags;
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--config") {
      if (i + 1 >= argc) {
        error = "missing value after --config";
        return std::nullopt;
      }
      config_path = argv[++i];
      continue;
    }
    const OptionSpec* spec = find_flag(arg);
    if (spec == nullptr) {
      error = "unknown option " + std::string(arg);
      return std::nullopt;
    }
    std::string value = "true";
    if (!spec->is_switch) {
      if (i + 1 >= argc) {
        error = "missing value after " + std::string(arg);
        return std::nullopt;
      }
      value = argv[++i];
    }
    if (std::string why = spec->set(options, value); !why.empty()) {
      error = std::string(arg) + " " + why;
      return std::nullopt;
    }
    from_flags.insert(spec->flag);
  }
  if (!config_path.empty() && !load_file(config_path, from_flags, options, error)) return std::nullopt;
  if (options.listen.empty()) {
    error = "--listen is required";
  } else if (options.db.empty()) {
    error = "--db is required";
  } else if (options.signing_key.empty() == options.signing_secret_file.empty()) {
    error = "give exactly one of --signing-key (ES256) and --signing-secret-file (HS256)";
  }
  if (!error.empty()) return std::nullopt;
  return options;
}

}  // namespace gatehouse::api
