#include "policies/jwt/claim_rules.h"

#include <algorithm>

#include "proxy/policy/verified_claims.h"

namespace gatehouse::policies::jwt {
namespace {

const boost::json::value* find_claim(const boost::json::object& claims, std::string_view name) {
  if (const boost::json::value* v = claims.if_contains(name)) return v;
  const boost::json::object* level = &claims;
  while (true) {
    std::size_t dot = name.find('.');
    const boost::json::value* v = level->if_contains(name.substr(0, dot));
    if (v == nullptr || dot == std::string_view::npos) return v;
    level = v->if_object();
    if (level == nullptr) return nullptr;
    name.remove_prefix(dot + 1);
  }
}

void add_words(std::string_view text, std::vector<std::string>& out) {
  while (!text.empty()) {
    std::size_t start = text.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    text.remove_prefix(start);
    std::size_t end = text.find(' ');
    out.emplace_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end);
  }
}

std::vector<std::string> claim_values(const boost::json::value& v) {
  std::vector<std::string> out;
  if (const boost::json::array* list = v.if_array()) {
    for (const boost::json::value& item : *list) {
      if (item.is_array() || item.is_object()) continue;
      if (std::optional<std::string> text = policy::detail::claim_value_text(item)) out.push_back(std::move(*text));
    }
  } else if (v.is_string()) {
    add_words(v.get_string(), out);
  } else if (!v.is_object()) {
    if (std::optional<std::string> text = policy::detail::claim_value_text(v)) out.push_back(std::move(*text));
  }
  return out;
}

}  // namespace

bool ClaimRule::holds(const boost::json::object& claims) const {
  switch (kind) {
    case Kind::kAllOf:
      return std::all_of(children.begin(), children.end(), [&](const ClaimRule& r) { return r.holds(claims); });
    case Kind::kAnyOf:
      return std::any_of(children.begin(), children.end(), [&](const ClaimRule& r) { return r.holds(claims); });
    default:
      break;
  }
  const boost::json::value* v = find_claim(claims, claim);
  if (v == nullptr || v->is_null()) return false;
  if (kind == Kind::kEquals) {
    if (v->is_array() || v->is_object()) return false;
    std::optional<std::string> text = policy::detail::claim_value_text(*v);
    return text && !values.empty() && *text == values.front();
  }
  const std::vector<std::string> have = claim_values(*v);
  auto has = [&](const std::string& want) { return std::find(have.begin(), have.end(), want) != have.end(); };
  if (kind == Kind::kOneOf) return std::any_of(values.begin(), values.end(), has);
  return std::all_of(values.begin(), values.end(), has);
}

}  // namespace gatehouse::policies::jwt
