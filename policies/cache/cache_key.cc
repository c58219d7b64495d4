#include "policies/cache/cache_key.h"

#include <algorithm>
#include <cstring>

#include "policies/cache/field_syntax.h"
#include "policies/cache/vary.h"
#include "proxy/common/short_bytes.h"

namespace gatehouse::policies::cache {
namespace {

// `host` without a port that is the scheme's default (or empty); not yet
// lowercased.
std::string_view key_authority_of(std::string_view scheme, std::string_view host) noexcept {
  const std::size_t colon = host.rfind(':');
  // No port, or the colon is inside an IP literal ("[::1]").
  if (colon == std::string_view::npos || host.find(']', colon) != std::string_view::npos) return host;
  const std::string_view port = host.substr(colon + 1);
  const std::optional<std::int64_t> number = parse_delta_seconds(port);  // 1*DIGIT
  const bool is_default = port.empty() || (number.has_value() && ((*number == 80 && http::iequals(scheme, "http")) ||
                                                                  (*number == 443 && http::iequals(scheme, "https"))));
  return is_default ? host.substr(0, colon) : host;
}

std::string key_authority(std::string_view scheme, std::string_view host) {
  return to_lower(key_authority_of(scheme, host));
}

std::string key_query(std::string_view query, const CacheKeyOptions& options) {
  if (options.ignore_query_params.empty() && !options.sort_query) return std::string(query);
  std::vector<std::string_view> params;
  while (true) {
    std::size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    std::string_view name = param.substr(0, param.find('='));
    bool ignored = std::find(options.ignore_query_params.begin(), options.ignore_query_params.end(), name) !=
                   options.ignore_query_params.end();
    if (!param.empty() && !ignored) params.push_back(param);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  if (options.sort_query) {
    std::stable_sort(params.begin(), params.end(), [](std::string_view a, std::string_view b) {
      return a.substr(0, a.find('=')) < b.substr(0, b.find('='));
    });
  }
  std::string out;
  for (std::string_view p : params) {
    if (!out.empty()) out.push_back('&');
    out.append(p);
  }
  return out;
}

// RFC 3986 §5.2.4.
std::string key_remove_dot_segments(std::string_view in) {
  std::string out;
  while (!in.empty()) {
    if (in.starts_with("../")) {
      in.remove_prefix(3);
    } else if (in.starts_with("./")) {
      in.remove_prefix(2);
    } else if (in.starts_with("/./")) {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.starts_with("/../") || in == "/..") {
      in = in.size() == 3 ? std::string_view("/") : in.substr(3);
      std::size_t slash = out.rfind('/');
      out.resize(slash == std::string::npos ? 0 : slash);
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      std::size_t next = in.find('/', in.front() == '/' ? 1 : 0);
      out.append(in.substr(0, next));
      in = next == std::string_view::npos ? std::string_view() : in.substr(next);
    }
  }
  return out;
}

bool key_has_scheme(std::string_view ref, std::string_view& scheme) {
  std::size_t colon = ref.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view candidate = ref.substr(0, colon);
  if (!((candidate[0] >= 'a' && candidate[0] <= 'z') || (candidate[0] >= 'A' && candidate[0] <= 'Z'))) return false;
  for (char c : candidate) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' ||
              c == '.';
    if (!ok) return false;
  }
  scheme = candidate;
  return true;
}

}  // namespace

namespace {

// "scheme://authority" of a key, lowercased, the authority without a
// default port. Kept per thread for the last scheme and Host it was made
// from: most requests repeat the Host of the one before (a keep-alive
// connection always does), and comparing it costs a fraction of normalising
// it. Valid until this thread's next call.
std::string_view key_prefix(std::string_view scheme, std::string_view host) {
  struct Last {
    std::string scheme;
    std::string host;
    std::string prefix;
  };
  thread_local Last last;
  // Sizes, then the bytes inline: string_view's operator== is a call here.
  auto same = [](std::string_view a, const std::string& b) {
    return a.size() == b.size() && equal_short_bytes(a.data(), b.data(), a.size());
  };
  if (same(host, last.host) && same(scheme, last.scheme) && !last.prefix.empty()) return last.prefix;
  const std::string_view authority = key_authority_of(scheme, host);
  last.prefix.resize(scheme.size() + 3 + authority.size());
  char* out = copy_lowercase(last.prefix.data(), scheme);
  std::memcpy(out, "://", 3);
  copy_lowercase(out + 3, authority);
  last.scheme.assign(scheme);
  last.host.assign(host);
  return last.prefix;
}

// The primary key, into `key` (whatever it held before). Written in one
// pass into the string's own buffer: this runs for every cacheable request.
void assign_primary_key(std::string& key, std::string_view scheme, std::string_view host, std::string_view target,
                        const CacheKeyOptions& options) {
  const std::string_view prefix = key_prefix(scheme, host);
  const bool rewrites = !options.ignore_query_params.empty() || options.sort_query;
  // Without query rewriting the target is copied whole.
  const std::size_t q = rewrites ? target.find('?') : std::string_view::npos;
  const std::string_view copied = rewrites ? target.substr(0, q) : target;
  const bool slash = copied.empty() || copied.front() != '/';
  key.resize(prefix.size() + (slash ? 1 : 0) + copied.size());
  char* out = key.data();
  std::memcpy(out, prefix.data(), prefix.size());
  out += prefix.size();
  if (slash) *out++ = '/';
  std::memcpy(out, copied.data(), copied.size());
  if (q == std::string_view::npos) return;
  std::string query = key_query(target.substr(q + 1), options);
  if (query.empty()) return;
  key.push_back('?');
  key.append(query);
}

}  // namespace

std::string primary_key(std::string_view scheme, std::string_view host, std::string_view target,
                        const CacheKeyOptions& options) {
  // Built in place, one allocation: this runs for every cacheable request.
  std::string key;
  assign_primary_key(key, scheme, host, target, options);
  return key;
}

void build_cache_key(CacheKey& key, std::string_view scheme, std::string_view host, std::string_view target,
                     const http::HeaderMap& request_headers, const CacheKeyOptions& options) {
  assign_primary_key(key.primary, scheme, host, target, options);
  key.extra.clear();
  for (const std::string& name : options.include_headers) {
    std::optional<std::string> value = normalized_field(request_headers, name);
    key.extra.append(to_lower(name));
    // '\n' cannot occur in a field value, so the encoding is unambiguous;
    // '\x01' marks an absent field apart from an empty one.
    key.extra.append(value.has_value() ? ": " + *value : std::string(":\x01"));
    key.extra.push_back('\n');
  }
}

CacheKey make_cache_key(std::string_view scheme, std::string_view host, std::string_view target,
                        const http::HeaderMap& request_headers, const CacheKeyOptions& options) {
  CacheKey key;
  build_cache_key(key, scheme, host, target, request_headers, options);
  return key;
}

std::optional<std::string> primary_key_for_reference(std::string_view reference, std::string_view scheme,
                                                     std::string_view host, std::string_view target,
                                                     const CacheKeyOptions& options) {
  reference = trim_ows(reference);
  reference = reference.substr(0, reference.find('#'));
  std::string_view ref_scheme = scheme;
  std::string_view authority = host;
  std::string path_and_query;
  if (key_has_scheme(reference, ref_scheme)) {
    reference.remove_prefix(ref_scheme.size() + 1);
    if (!reference.starts_with("//")) return std::nullopt;
  }
  if (reference.starts_with("//")) {
    reference.remove_prefix(2);
    std::size_t end = reference.find_first_of("/?");
    authority = reference.substr(0, end);
    if (authority.find('@') != std::string_view::npos) return std::nullopt;  // userinfo: not ours to judge
    reference = end == std::string_view::npos ? std::string_view() : reference.substr(end);
    path_and_query = reference.empty() ? "/" : std::string(reference);
  } else if (reference.starts_with("/")) {
    path_and_query = reference;
  } else {
    std::string_view base = target.substr(0, target.find('?'));
    if (reference.empty()) {
      path_and_query = target;
    } else if (reference.front() == '?') {
      path_and_query = std::string(base).append(reference);
    } else {
      std::size_t slash = base.rfind('/');
      path_and_query = std::string(slash == std::string_view::npos ? "/" : base.substr(0, slash + 1));
      path_and_query.append(reference);
    }
  }
  std::size_t q = path_and_query.find('?');
  std::string path = key_remove_dot_segments(std::string_view(path_and_query).substr(0, q));
  if (q != std::string::npos) path.append(path_and_query.substr(q));
  if (key_authority(ref_scheme, authority) != key_authority(scheme, host)) {
    // A different port is another origin; the scheme alone may differ (§4.4
    // compares hosts) but the default port must then be judged per scheme.
    return std::nullopt;
  }
  return primary_key(ref_scheme, authority, path, options);
}

}  // namespace gatehouse::policies::cache
