#include "policies/cache/vary.h"

#include <algorithm>

#include "policies/cache/field_syntax.h"

namespace gatehouse::policies::cache {
namespace {

bool vary_is_negotiation_list(std::string_view name) noexcept {
  return http::iequals(name, "accept") || http::iequals(name, "accept-charset") ||
         http::iequals(name, "accept-encoding") || http::iequals(name, "accept-language");
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
  bool present = false;
  std::string out;
  bool list = vary_is_negotiation_list(name);
  for (const http::Header& h : request_headers) {
    if (!http::iequals(h.name, name)) continue;
    if (list) {
      for (std::string_view member : split_list(h.value)) {
        if (!out.empty()) out.append(", ");
        out.append(member);
      }
    } else {
      if (present) out.append(", ");
      out.append(trim_ows(h.value));
    }
    present = true;
  }
  if (!present) return std::nullopt;
  return out;
}

std::optional<std::vector<VaryValue>> select_vary_values(const http::HeaderMap& response_headers,
                                                         const http::HeaderMap& request_headers) {
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

}  // namespace gatehouse::policies::cache
