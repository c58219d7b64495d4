#include "policies/cache/vary.h"

#include <algorithm>
#include <cstddef>

#include "policies/cache/field_syntax.h"

namespace gatehouse::policies::cache {
namespace {

bool vary_is_negotiation_list(std::string_view name) noexcept {
  return http::iequals(name, "accept") || http::iequals(name, "accept-charset") ||
         http::iequals(name, "accept-encoding");
}

// Single values whose commas are data (a User-Agent comment, a cookie, a
// credential, a URI): only the OWS around the whole value goes.
bool vary_is_opaque(std::string_view name) noexcept {
  return http::iequals(name, "user-agent") || http::iequals(name, "cookie") ||
         http::iequals(name, "authorization") || http::iequals(name, "proxy-authorization") ||
         http::iequals(name, "referer");
}

// Appends `line` with OWS around every comma outside a quoted-string made
// ", ", and the OWS around the line dropped. Empty members are kept: for a
// field of unknown syntax "a,,b" and "a,b" need not mean the same.
void append_list_spacing(std::string& out, std::string_view line) {
  line = trim_ows(line);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      out.push_back(c);
      if (c == '\\' && i + 1 < line.size()) {
        out.push_back(line[++i]);
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (c == '"') quoted = true;
    if (c != ',') {
      out.push_back(c);
      continue;
    }
    while (!out.empty() && is_ows(out.back())) out.pop_back();
    out.append(", ");
    while (i + 1 < line.size() && is_ows(line[i + 1])) ++i;
  }
}

struct LanguagePreference {
  std::string range;  // lowercased
  int q = 1000;       // thousandths
};

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), RFC 9110 §12.4.2.
std::optional<int> parse_qvalue(std::string_view s) noexcept {
  if (s.empty() || (s[0] != '0' && s[0] != '1')) return std::nullopt;
  int q = (s[0] - '0') * 1000;
  if (s.size() == 1) return q;
  if (s[1] != '.' || s.size() > 5) return std::nullopt;
  int scale = 100;
  for (char c : s.substr(2)) {
    if (c < '0' || c > '9' || (q == 1000 && c != '0')) return std::nullopt;
    q += (c - '0') * scale;
    scale /= 10;
  }
  return q;
}

// language-range = ( 1*8ALPHA *( "-" 1*8alphanum ) ) / "*" (RFC 4647 §2.1),
// checked loosely: letters, digits and hyphens, or "*".
bool is_language_range(std::string_view s) noexcept {
  if (s == "*") return true;
  if (s.empty() || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// The members of a combined Accept-Language value, in the order given; ranges
// lowercased (RFC 4647 §2: they compare case-insensitively). nullopt when a
// member is not language-range [ weight ]: such a value is never read as
// preferences on a guess.
std::optional<std::vector<LanguagePreference>> parse_accept_language(std::string_view combined) {
  std::vector<LanguagePreference> prefs;
  for (std::string_view member : split_list(combined)) {
    LanguagePreference pref;
    const std::size_t semi = member.find(';');
    const std::string_view range = trim_ows(member.substr(0, semi));
    if (!is_language_range(range)) return std::nullopt;
    pref.range = to_lower(range);
    if (semi != std::string_view::npos) {
      // weight = OWS ";" OWS "q=" qvalue, the only parameter allowed.
      const std::string_view weight = trim_ows(member.substr(semi + 1));
      if (weight.size() < 2 || (weight[0] != 'q' && weight[0] != 'Q') || weight[1] != '=') return std::nullopt;
      std::optional<int> q = parse_qvalue(weight.substr(2));
      if (!q) return std::nullopt;
      pref.q = *q;
    }
    prefs.push_back(std::move(pref));
  }
  return prefs;
}

// Accept-Language in canonical form: ranges lowercased, ordered by weight,
// highest first, then by range (RFC 9110 §12.5.4 ranks by weight only;
// order among equal weights carries no meaning), ";q=1" left out, other
// weights without trailing zeros. nullopt when a member does not parse: the
// value is then compared as an ordinary list, never reordered on a guess.
std::optional<std::string> canonical_accept_language(std::string_view combined) {
  std::optional<std::vector<LanguagePreference>> parsed = parse_accept_language(combined);
  if (!parsed) return std::nullopt;
  std::vector<LanguagePreference>& prefs = *parsed;
  std::sort(prefs.begin(), prefs.end(), [](const LanguagePreference& a, const LanguagePreference& b) {
    return a.q != b.q ? a.q > b.q : a.range < b.range;
  });
  std::string out;
  for (const LanguagePreference& pref : prefs) {
    if (!out.empty()) out.append(", ");
    out.append(pref.range);
    if (pref.q == 1000) continue;
    std::string digits = std::to_string(1000 + pref.q).substr(1);  // "500" for 0.5
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    out.append(digits.empty() ? ";q=0" : ";q=0." + digits);
  }
  return out;
}

// The one language a stored response is in: its only Content-Language line
// holding exactly one language tag. nullopt for none, for several lines or
// tags (content meant for several audiences: which one a request picked it
// for is unknown) and for anything that is not a tag.
std::optional<std::string_view> single_content_language(const StoredFields& response_headers) {
  std::optional<std::string_view> line;
  for (std::size_t i = 0; i < response_headers.size(); ++i) {
    const FieldView field = response_headers[i];
    if (!http::iequals(field.name, "content-language")) continue;
    if (line) return std::nullopt;
    line = field.value;
  }
  if (!line) return std::nullopt;
  const std::vector<std::string_view> tags = split_list(*line);
  if (tags.size() != 1 || tags.front() == "*" || !is_language_range(tags.front())) return std::nullopt;
  return tags.front();
}

// The range of the request's strictly most preferred language: the one
// member with the highest weight, that weight above 0 and shared with no
// other member. nullopt when Accept-Language is absent or malformed, when
// the top weight is tied or 0, or when the top range is "*" (any language:
// the origin's pick among its languages is then unknown).
std::optional<std::string> unique_top_language(const http::HeaderMap& request_headers) {
  const std::optional<std::string> value = normalized_field(request_headers, "accept-language");
  if (!value) return std::nullopt;
  std::optional<std::vector<LanguagePreference>> prefs = parse_accept_language(*value);
  if (!prefs || prefs->empty()) return std::nullopt;
  const LanguagePreference* top = &prefs->front();
  bool tied = false;
  for (std::size_t i = 1; i < prefs->size(); ++i) {
    const LanguagePreference& pref = (*prefs)[i];
    if (pref.q == top->q) {
      tied = true;
    } else if (pref.q > top->q) {
      top = &pref;
      tied = false;
    }
  }
  if (tied || top->q == 0 || top->range == "*") return std::nullopt;
  return top->range;
}

}  // namespace

std::optional<std::vector<std::string>> vary_names(const http::HeaderMap& response_headers) {
  std::vector<std::string> names;
  for (const http::Header& h : response_headers) {
    if (!http::iequals(h.name, "vary")) continue;
    for (std::string_view member : split_list(h.value)) {
      if (member == "*") return std::nullopt;
      std::string lowered = to_lower(member);
      if (std::find(names.begin(), names.end(), lowered) == names.end()) names.push_back(std::move(lowered));
    }
  }
  return names;
}

std::optional<std::string> normalized_field(const http::HeaderMap& request_headers, std::string_view name) {
  const bool accept_language = http::iequals(name, "accept-language");
  const bool list = accept_language || vary_is_negotiation_list(name);
  const bool opaque = vary_is_opaque(name);
  bool present = false;
  std::string out;
  for (const http::Header& h : request_headers) {
    if (!http::iequals(h.name, name)) continue;
    if (list) {
      for (std::string_view member : split_list(h.value)) {
        if (!out.empty()) out.append(", ");
        out.append(member);
      }
    } else {
      if (present) out.append(", ");
      if (opaque) {
        out.append(trim_ows(h.value));
      } else {
        append_list_spacing(out, h.value);
      }
    }
    present = true;
  }
  if (!present) return std::nullopt;
  if (accept_language) {
    if (std::optional<std::string> canonical = canonical_accept_language(out)) return canonical;
  }
  return out;
}

std::optional<std::vector<VaryValue>> select_vary_values(const http::HeaderMap& response_headers,
                                                         const http::HeaderMap& request_headers) {
  if (!response_headers.contains("vary")) return std::vector<VaryValue>{};  // most responses: nothing to parse
  std::optional<std::vector<std::string>> names = vary_names(response_headers);
  if (!names.has_value()) return std::nullopt;
  std::vector<VaryValue> values;
  values.reserve(names->size());
  for (std::string& name : *names) {
    std::optional<std::string> value = normalized_field(request_headers, name);
    values.push_back({std::move(name), std::move(value)});
  }
  return values;
}

bool variant_matches(const std::vector<VaryValue>& stored, const http::HeaderMap& request_headers) {
  for (const VaryValue& v : stored) {
    if (normalized_field(request_headers, v.name) != v.value) return false;
  }
  return true;
}

bool language_selects(const std::vector<VaryValue>& stored, const StoredFields& response_headers,
                      const http::HeaderMap& request_headers) {
  // Cheapest first: most variants that reach here fail one of the first two.
  const bool varies_by_language =
      std::any_of(stored.begin(), stored.end(), [](const VaryValue& v) { return v.name == "accept-language"; });
  if (!varies_by_language) return false;
  const std::optional<std::string_view> language = single_content_language(response_headers);
  if (!language) return false;
  const std::optional<std::string> wanted = unique_top_language(request_headers);
  if (!wanted || !http::iequals(*wanted, *language)) return false;
  for (const VaryValue& v : stored) {
    if (v.name != "accept-language" && normalized_field(request_headers, v.name) != v.value) return false;
  }
  return true;
}

}  // namespace gatehouse::policies::cache
