#include "policies/cache/cache_control.h"

#include <optional>

#include "policies/cache/field_syntax.h"
#include "proxy/http/structured_fields.h"

namespace gatehouse::policies::cache {
namespace {

// The argument as text: a token as is, a quoted-string unquoted (into
// `unquoted`, which the view then refers to); nullopt when it is neither (so
// the directive counts as malformed).
std::optional<std::string_view> cc_argument_text(std::string_view raw, std::string& unquoted) {
  if (!raw.empty() && raw.front() == '"') {
    std::optional<std::string> text = unquote(raw);
    if (!text.has_value()) return std::nullopt;
    unquoted = std::move(*text);
    return std::string_view(unquoted);
  }
  if (is_token(raw)) return raw;
  return std::nullopt;
}

void cc_set_delta(DeltaDirective& d, std::optional<std::string_view> raw, bool argument_required) {
  DeltaDirective next;
  next.present = true;
  if (raw.has_value()) {
    next.has_argument = true;
    std::string unquoted;
    std::optional<std::string_view> text = cc_argument_text(*raw, unquoted);
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
  std::string unquoted;
  std::optional<std::string_view> text = cc_argument_text(*raw, unquoted);
  if (!text.has_value()) return true;
  std::vector<std::string> names;
  bool valid = true;
  for_each_list_member(*text, [&](std::string_view name) {
    valid = valid && is_token(name);
    if (valid) names.push_back(to_lower(name));
  });
  if (!valid || names.empty()) return true;
  for (std::string& n : names) fields.push_back(std::move(n));
  return false;
}

// Reads directives one list member at a time, so that several field lines
// parse as their combination would (RFC 9110 §5.3) without joining them.
class CacheControlReader {
 public:
  void member(std::string_view member) {
    const std::size_t eq = member.find('=');
    // No whitespace around "=" (RFC 9111 §5.2 grammar): "max-age =5" has no
    // token for a name and is skipped; "max-age= 5" has an invalid argument.
    const std::string_view name = member.substr(0, eq);
    std::optional<std::string_view> arg;
    if (eq != std::string_view::npos) arg = member.substr(eq + 1);
    if (!is_token(name)) return;
    directive(name, arg);
  }

  // One directive: `arg` is its argument as sent (a token or a
  // quoted-string), nullopt when it has none.
  void directive(std::string_view name, std::optional<std::string_view> arg) {
    // By length first: one or two names to compare instead of all of them.
    auto is = [&name](std::string_view directive) { return http::iequals(name, directive); };
    switch (name.size()) {
      case 6:
        if (is("public")) cc_.is_public = true;
        break;
      case 7:
        if (is("max-age")) {
          cc_set_delta(cc_.max_age, arg, true);
        } else if (is("private")) {
          cc_.is_private = true;
          if (cc_add_fields(cc_.private_fields, arg)) private_whole_ = true;
        }
        break;
      case 8:
        if (is("s-maxage")) {
          cc_set_delta(cc_.s_maxage, arg, true);
        } else if (is("no-cache")) {
          cc_.no_cache = true;
          if (cc_add_fields(cc_.no_cache_fields, arg)) no_cache_whole_ = true;
        } else if (is("no-store")) {
          cc_.no_store = true;
        }
        break;
      case 9:
        if (is("max-stale")) {
          cc_set_delta(cc_.max_stale, arg, false);
        } else if (is("min-fresh")) {
          cc_set_delta(cc_.min_fresh, arg, true);
        } else if (is("immutable")) {
          cc_.immutable = true;
        }
        break;
      case 12:
        if (is("no-transform")) cc_.no_transform = true;
        break;
      case 14:
        if (is("stale-if-error")) {
          cc_set_delta(cc_.stale_if_error, arg, true);
        } else if (is("only-if-cached")) {
          cc_.only_if_cached = true;
        }
        break;
      case 15:
        if (is("must-revalidate")) {
          cc_.must_revalidate = true;
        } else if (is("must-understand")) {
          cc_.must_understand = true;
        }
        break;
      case 16:
        if (is("proxy-revalidate")) cc_.proxy_revalidate = true;
        break;
      case 22:
        if (is("stale-while-revalidate")) cc_set_delta(cc_.stale_while_revalidate, arg, true);
        break;
      default:
        break;  // an extension we do not understand (§5.2.3)
    }
  }

  void line(std::string_view value) {
    for_each_list_member(value, [this](std::string_view m) { member(m); });
  }

  CacheControl finish() {
    // Once a `no-cache` / `private` has been seen unqualified it stays so.
    if (no_cache_whole_) cc_.no_cache_fields.clear();
    if (private_whole_) cc_.private_fields.clear();
    return std::move(cc_);
  }

 private:
  CacheControl cc_;
  bool no_cache_whole_ = false;
  bool private_whole_ = false;
};

// Every line of the field `name`, read as one list.
CacheControl cc_of_lines(const http::HeaderMap& headers, std::string_view name) {
  CacheControlReader reader;
  for (const http::Header& h : headers) {
    if (http::iequals(h.name, name)) reader.line(h.value);
  }
  return reader.finish();
}

// How a targeted field's Dictionary value maps onto a directive (RFC 9213
// §2.1): Integer for delta-seconds, Boolean true or a String list of field
// names for no-cache and private, Boolean true for the rest.
enum class TargetedKind { kDelta, kFieldList, kFlag, kOther };

TargetedKind targeted_kind(std::string_view key) {
  static constexpr std::string_view kDelta[] = {"max-age", "s-maxage", "stale-while-revalidate", "stale-if-error"};
  static constexpr std::string_view kFlags[] = {"no-store",  "must-revalidate", "proxy-revalidate", "public",
                                               "immutable", "must-understand", "no-transform"};
  for (std::string_view d : kDelta) {
    if (key == d) return TargetedKind::kDelta;
  }
  if (key == "no-cache" || key == "private") return TargetedKind::kFieldList;
  for (std::string_view f : kFlags) {
    if (key == f) return TargetedKind::kFlag;
  }
  return TargetedKind::kOther;
}

// `text` as a quoted-string, for the reader that takes arguments as sent.
std::string quoted_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace

CacheControl parse_cache_control(std::string_view value) {
  CacheControlReader reader;
  reader.line(value);
  return reader.finish();
}

CacheControl response_cache_control(const http::HeaderMap& response_headers) {
  if (!response_headers.contains("cache-control")) return CacheControl{};  // the common case, without parsing
  return cc_of_lines(response_headers, "cache-control");
}

std::optional<CacheControl> targeted_cache_control(std::string_view value) {
  std::optional<std::vector<http::sf::DictionaryMember>> dictionary = http::sf::parse_dictionary(value);
  if (!dictionary || dictionary->empty()) return std::nullopt;
  CacheControlReader reader;
  for (const http::sf::DictionaryMember& m : *dictionary) {
    using Type = http::sf::Item::Type;
    const http::sf::Item& v = m.value;
    const bool is_true = v.type == Type::kBoolean && v.integer == 1;
    // RFC 9213 §2.1: a value of another type than the directive's is not
    // consumed (a decimal max-age is not rounded, a string one not read).
    switch (targeted_kind(m.key)) {
      case TargetedKind::kDelta:
        if (v.type == Type::kInteger && v.integer >= 0) reader.directive(m.key, std::to_string(v.integer));
        break;
      case TargetedKind::kFieldList:
        if (is_true) {
          reader.directive(m.key, std::nullopt);
        } else if (v.type == Type::kString) {
          reader.directive(m.key, quoted_string(v.text));
        }
        break;
      case TargetedKind::kFlag:
        if (is_true) reader.directive(m.key, std::nullopt);
        break;
      case TargetedKind::kOther:
        break;  // request-only or an extension (§5.2.3: ignored)
    }
  }
  CacheControl cc = reader.finish();
  cc.targeted = true;
  return cc;
}

CacheControl response_cache_control(const http::HeaderMap& response_headers, std::span<const std::string> targets) {
  // One look at each field name for the usual response, which carries no
  // targeted field: then it is Cache-Control or nothing.
  bool cache_control = false;
  bool targeted = false;
  for (const http::Header& h : response_headers) {
    const std::string& name = h.name;
    if (name.size() == 13 && http::iequals(name, "cache-control")) {
      cache_control = true;
      continue;
    }
    for (const std::string& target : targets) {
      targeted = targeted || (name.size() == target.size() && http::iequals(name, target));
    }
  }
  if (!targeted) return cache_control ? cc_of_lines(response_headers, "cache-control") : CacheControl{};
  for (const std::string& target : targets) {
    std::string combined;
    bool present = false;
    for (const http::Header& h : response_headers) {
      if (!http::iequals(h.name, target)) continue;
      if (present) combined += ", ";
      combined += h.value;
      present = true;
    }
    if (!present) continue;
    // An empty or invalid one is as if absent (§2.1): the next one decides.
    if (std::optional<CacheControl> cc = targeted_cache_control(combined)) return std::move(*cc);
  }
  return response_cache_control(response_headers);
}

CacheControl response_cache_control(const http::HeaderMap& response_headers, std::span<const std::string> targets,
                                    const ResponseFieldSummary& response_fields) {
  if (response_fields.targeted) return response_cache_control(response_headers, targets);
  return response_fields.cache_control ? cc_of_lines(response_headers, "cache-control") : CacheControl{};
}

CacheControl request_cache_control(const http::HeaderMap& request_headers) {
  // Most requests carry neither field: one look at each field name.
  bool cache_control = false;
  bool pragma = false;
  for (const http::Header& h : request_headers) {
    cache_control = cache_control || http::iequals(h.name, "cache-control");
    pragma = pragma || http::iequals(h.name, "pragma");
  }
  if (cache_control) return cc_of_lines(request_headers, "cache-control");
  CacheControl cc;
  if (!pragma) return cc;
  for (const http::Header& h : request_headers) {
    if (!http::iequals(h.name, "pragma")) continue;
    for_each_list_member(h.value, [&cc](std::string_view member) {
      if (http::iequals(member, "no-cache")) cc.no_cache = true;
    });
  }
  return cc;
}

}  // namespace gatehouse::policies::cache
