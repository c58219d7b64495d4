#include "policies/cache/cache_admin.h"

#include <cctype>
#include <charconv>
#include <map>
#include <optional>
#include <string>
#include <system_error>

#include <boost/json.hpp>

#include "policies/cache/cache_key.h"
#include "proxy/admin/admin_routes.h"

namespace gatehouse::policies::cache {
namespace {

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The percent-decoded value of query parameter `name`; "" for a bare name.
std::optional<std::string> admin_query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    std::string_view raw = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '%' && i + 2 < raw.size() && hex_digit(raw[i + 1]) >= 0 && hex_digit(raw[i + 2]) >= 0) {
        out.push_back(static_cast<char>(hex_digit(raw[i + 1]) * 16 + hex_digit(raw[i + 2])));
        i += 2;
      } else {
        out.push_back(raw[i] == '+' ? ' ' : raw[i]);
      }
    }
    return out;
  }
  return std::nullopt;
}

http::ServerResponse admin_json_text(int status, std::string text) {
  http::ServerResponse r;
  r.status = status;
  r.headers.add("Content-Type", "application/json");
  r.body = std::move(text);
  r.body.push_back('\n');
  return r;
}

http::ServerResponse admin_json(int status, const boost::json::value& body) {
  return admin_json_text(status, boost::json::serialize(body));
}

// `object` serialized, with a last member `name` whose value is `number`
// written as a plain decimal: Boost.JSON 1.81 writes every double in
// scientific form ("2.5E-1"), valid JSON but not what an operator reading
// the stats expects.
std::string with_decimal_member(const boost::json::object& object, std::string_view name, double number) {
  std::string text = boost::json::serialize(object);
  text.pop_back();  // the closing brace
  if (!object.empty()) text.push_back(',');
  text += boost::json::serialize(boost::json::string_view(name.data(), name.size()));
  text.push_back(':');
  char digits[64];
  const std::to_chars_result written = std::to_chars(digits, digits + sizeof(digits), number, std::chars_format::fixed);
  text.append(digits, written.ec == std::errc{} ? written.ptr : digits);
  if (written.ec != std::errc{}) text += "0";
  text.push_back('}');
  return text;
}

// "http://Host:80/p?q" → the store's primary key; nullopt when not an
// absolute http(s) URL.
std::optional<std::string> url_key(std::string_view url) {
  const std::size_t sep = url.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  std::string scheme(url.substr(0, sep));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https") return std::nullopt;
  std::string_view rest = url.substr(sep + 3);
  const std::size_t slash = rest.find_first_of("/?");
  const std::string_view host = rest.substr(0, slash);
  if (host.empty()) return std::nullopt;
  std::string target = slash == std::string_view::npos ? std::string("/") : std::string(rest.substr(slash));
  if (target.front() == '?') target.insert(target.begin(), '/');
  return primary_key(scheme, host, target, CacheKeyOptions{});
}

http::ServerResponse stats(CacheRuntime& runtime) {
  const StoreStats s = runtime.store().stats();
  boost::json::object lookups;
  std::uint64_t total = 0;
  std::uint64_t from_cache = 0;
  for (const auto& [result, n] : runtime.lookup_totals()) {
    lookups[result] = n;
    if (result == "bypass") continue;
    total += n;
    if (result != "miss") from_cache += n;
  }
  boost::json::object body{{"bytes", s.bytes},
                           {"entries", s.entries},
                           {"keys", s.keys},
                           {"evictions", s.evictions},
                           {"max_size", runtime.store().limits().max_size},
                           {"lookups", std::move(lookups)}};
  const double hit_ratio = total > 0 ? static_cast<double>(from_cache) / static_cast<double>(total) : 0.0;
  return admin_json_text(200, with_decimal_member(body, "hit_ratio", hit_ratio));
}

http::ServerResponse purge(CacheRuntime& runtime, const http::RequestHead& head) {
  const std::string_view query = head.query();
  std::size_t purged = 0;
  if (std::optional<std::string> url = admin_query_param(query, "url")) {
    std::optional<std::string> key = url_key(*url);
    if (!key) {
      return http::json_error_response(400, "`url` must be an absolute http:// or https:// URL");
    }
    purged = runtime.store().invalidate(*key);
  } else if (std::optional<std::string> prefix = admin_query_param(query, "prefix")) {
    if (prefix->empty()) return http::json_error_response(400, "`prefix` must not be empty (use `?all`)");
    purged = runtime.store().purge_prefix(*prefix);
  } else if (admin_query_param(query, "all")) {
    purged = runtime.store().purge_all();
  } else {
    return http::json_error_response(400, "give `url=`, `prefix=` or `all`");
  }
  return admin_json(200, boost::json::object{{"purged", purged}});
}

}  // namespace

void register_cache_admin(policy::PolicyServices& services, CacheRuntime& runtime) {
  services.shared<AdminRoutes>().add("/cache", [&runtime](const http::ServerRequest& request) {
    const http::RequestHead& head = request.head;
    const std::string_view path = head.path();
    const http::Method m = head.method_id;
    if (path == "/cache/stats") {
      if (m == http::Method::kGet || m == http::Method::kHead) return stats(runtime);
      http::ServerResponse r = http::json_error_response(405, "/cache/stats answers GET and HEAD");
      r.headers.add("Allow", "GET, HEAD");
      return r;
    }
    if (path == "/cache/purge") {
      if (m == http::Method::kPost || m == http::Method::kDelete) return purge(runtime, head);
      http::ServerResponse r = http::json_error_response(405, "/cache/purge answers POST and DELETE");
      r.headers.add("Allow", "POST, DELETE");
      return r;
    }
    return http::json_error_response(404, "unknown admin path (try /cache/stats or /cache/purge)");
  });
}

}  // namespace gatehouse::policies::cache
