#include "policies/cache/cache_control.h"

#include <optional>

#include "policies/cache/field_syntax.h"

namespace gatehouse::policies::cache {
namespace {

// The argument as text: a token as is, a quoted-string unquoted; nullopt
// when it is neither (so the directive counts as malformed).
std::optional<std::string> cc_argument_text(std::string_view raw) {
  if (!raw.empty() && raw.front() == '"') return unquote(raw);
  if (is_token(raw)) return std::string(raw);
  return std::nullopt;
}

void cc_set_delta(DeltaDirective& d, std::optional<std::string_view> raw, bool argument_required) {
  DeltaDirective next;
  next.present = true;
  if (raw.has_value()) {
    next.has_argument = true;
    std::optional<std::string> text = cc_argument_text(*raw);
    std::optional<std::int64_t> seconds = text ? parse_delta_seconds(*text) : std::nullopt;
    next.valid = seconds.has_value();
    next.seconds = seconds.value_or(0);
  } else {
    next.valid = !argument_required;
  }
  if (!d.present) {
    d = next;
    return;
  }
  // A repeat: harmless when it says the same, otherwise the value is not
  // trustworthy (§4.2.1).
  if (d.valid && next.valid && d.has_argument == next.has_argument && d.seconds == next.seconds) return;
  d.valid = false;
}

// `no-cache` / `private`: an optional list of field names, quoted or (as
// recipients tolerate) a single bare token. Returns true when this
// occurrence acts unqualified: no argument, or one that names no valid
// field (a malformed list must not narrow the directive).
bool cc_add_fields(std::vector<std::string>& fields, std::optional<std::string_view> raw) {
  if (!raw.has_value()) return true;
  std::optional<std::string> text = cc_argument_text(*raw);
  if (!text.has_value()) return true;
  std::vector<std::string> names;
  for (std::string_view name : split_list(*text)) {
    if (!is_token(name)) return true;
    names.push_back(to_lower(name));
  }
  if (names.empty()) return true;
  for (std::string& n : names) fields.push_back(std::move(n));
  return false;
}

}  // namespace

CacheControl parse_cache_control(std::string_view value) {
  CacheControl cc;
  // Once a `no-cache` / `private` has been seen unqualified it stays so.
  bool no_cache_whole = false;
  bool private_whole = false;
  for (std::string_view member : split_list(value)) {
    std::size_t eq = member.find('=');
    // No whitespace around "=" (RFC 9111 §5.2 grammar): "max-age =5" has no
    // token for a name and is skipped; "max-age= 5" has an invalid argument.
    std::string_view name = member.substr(0, eq);
    std::optional<std::string_view> arg;
    if (eq != std::string_view::npos) arg = member.substr(eq + 1);
    if (!is_token(name)) continue;
    if (http::iequals(name, "max-age")) {
      cc_set_delta(cc.max_age, arg, true);
    } else if (http::iequals(name, "s-maxage")) {
      cc_set_delta(cc.s_maxage, arg, true);
    } else if (http::iequals(name, "max-stale")) {
      cc_set_delta(cc.max_stale, arg, false);
    } else if (http::iequals(name, "min-fresh")) {
      cc_set_delta(cc.min_fresh, arg, true);
    } else if (http::iequals(name, "stale-while-revalidate")) {
      cc_set_delta(cc.stale_while_revalidate, arg, true);
    } else if (http::iequals(name, "stale-if-error")) {
      cc_set_delta(cc.stale_if_error, arg, true);
    } else if (http::iequals(name, "no-cache")) {
      cc.no_cache = true;
      if (cc_add_fields(cc.no_cache_fields, arg)) no_cache_whole = true;
    } else if (http::iequals(name, "private")) {
      cc.is_private = true;
      if (cc_add_fields(cc.private_fields, arg)) private_whole = true;
    } else if (http::iequals(name, "no-store")) {
      cc.no_store = true;
    } else if (http::iequals(name, "no-transform")) {
      cc.no_transform = true;
    } else if (http::iequals(name, "only-if-cached")) {
      cc.only_if_cached = true;
    } else if (http::iequals(name, "must-revalidate")) {
      cc.must_revalidate = true;
    } else if (http::iequals(name, "must-understand")) {
      cc.must_understand = true;
    } else if (http::iequals(name, "proxy-revalidate")) {
      cc.proxy_revalidate = true;
    } else if (http::iequals(name, "public")) {
      cc.is_public = true;
    } else if (http::iequals(name, "immutable")) {
      cc.immutable = true;
    }
    // anything else: an extension we do not understand (§5.2.3)
  }
  if (no_cache_whole) cc.no_cache_fields.clear();
  if (private_whole) cc.private_fields.clear();
  return cc;
}

CacheControl response_cache_control(const http::HeaderMap& response_headers) {
  if (!response_headers.contains("cache-control")) return CacheControl{};  // the common case, without parsing
  return parse_cache_control(combined_field(response_headers, "cache-control"));
}

CacheControl request_cache_control(const http::HeaderMap& request_headers) {
  // Most requests carry neither field: one look at each field name.
  bool any = false;
  for (const http::Header& h : request_headers) {
    if (http::iequals(h.name, "cache-control") || http::iequals(h.name, "pragma")) {
      any = true;
      break;
    }
  }
  if (!any) return CacheControl{};
  bool present = false;
  std::string value = combined_field(request_headers, "cache-control", &present);
  if (present) return parse_cache_control(value);
  CacheControl cc;
  std::string pragma = combined_field(request_headers, "pragma");  // outlives the views into it
  for (std::string_view member : split_list(pragma)) {
    if (http::iequals(member, "no-cache")) cc.no_cache = true;
  }
  return cc;
}

}  // namespace gatehouse::policies::cache
