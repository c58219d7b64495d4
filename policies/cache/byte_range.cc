#include "policies/cache/byte_range.h"

#include <algorithm>
#include <limits>
#include <string>

#include "policies/cache/entity_tag.h"
#include "policies/cache/field_syntax.h"
#include "policies/cache/http_date.h"

namespace gatehouse::policies::cache {
namespace {

constexpr std::uint64_t kRangePosMax = std::numeric_limits<std::uint64_t>::max();

// 1*DIGIT, saturating: a position too large to represent is past any body.
std::optional<std::uint64_t> parse_range_pos(std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    v = v > (kRangePosMax - digit) / 10 ? kRangePosMax : v * 10 + digit;
  }
  return v;
}

std::optional<ByteRangeSpec> parse_range_spec(std::string_view s) {
  const std::size_t dash = s.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  ByteRangeSpec spec;
  if (dash == 0) {
    std::optional<std::uint64_t> n = parse_range_pos(s.substr(1));
    if (!n) return std::nullopt;
    spec.suffix = true;
    spec.suffix_length = *n;
    return spec;
  }
  std::optional<std::uint64_t> first = parse_range_pos(s.substr(0, dash));
  if (!first) return std::nullopt;
  spec.first = *first;
  const std::string_view last = s.substr(dash + 1);
  if (!last.empty()) {
    spec.last = parse_range_pos(last);
    if (!spec.last || *spec.last < spec.first) return std::nullopt;  // §14.1.1: invalid
  }
  return spec;
}

// Date's HTTP-date is at least one second after Last-Modified's
// (RFC 9110 §8.8.2.2, the test an intermediate cache may apply).
bool last_modified_is_strong(const http::HeaderMap& stored, HttpTime last_modified) {
  std::optional<HttpTime> date = date_field(stored, "date");
  return date.has_value() && *date - last_modified >= std::chrono::seconds(1);
}

const policy::SharedBody& unsatisfiable_body() {
  static const policy::SharedBody body = policy::SharedBody::of(
      R"({"error":{"code":"range_not_satisfiable","message":"no byte of the requested range lies within the stored response"}})");
  return body;
}

}  // namespace

std::optional<std::vector<ByteRangeSpec>> parse_byte_ranges(std::string_view value) {
  value = trim_ows(value);
  const std::size_t eq = value.find('=');
  if (eq == std::string_view::npos || !http::iequals(value.substr(0, eq), "bytes")) return std::nullopt;
  std::vector<ByteRangeSpec> specs;
  std::string_view set = value.substr(eq + 1);
  while (true) {
    const std::size_t comma = set.find(',');
    const std::string_view member = trim_ows(set.substr(0, comma));
    if (!member.empty()) {
      std::optional<ByteRangeSpec> spec = parse_range_spec(member);
      if (!spec) return std::nullopt;
      specs.push_back(*spec);
    }
    if (comma == std::string_view::npos) break;
    set.remove_prefix(comma + 1);
  }
  if (specs.empty()) return std::nullopt;  // 1#range-spec
  return specs;
}

std::optional<std::uint64_t> content_range_complete_length(const http::HeaderMap& response_headers) {
  const std::string value = combined_field(response_headers, "content-range");
  std::string_view v = trim_ows(value);
  constexpr std::string_view kUnit = "bytes ";
  if (v.size() <= kUnit.size() || !http::iequals(v.substr(0, kUnit.size()), kUnit)) return std::nullopt;
  v.remove_prefix(kUnit.size());
  const std::size_t dash = v.find('-');
  const std::size_t slash = v.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) return std::nullopt;
  const std::optional<std::uint64_t> first = parse_range_pos(v.substr(0, dash));
  const std::optional<std::uint64_t> last = parse_range_pos(v.substr(dash + 1, slash - dash - 1));
  const std::optional<std::uint64_t> length = parse_range_pos(v.substr(slash + 1));
  if (!first || !last || !length || *first > *last || *last >= *length || *length == kRangePosMax) return std::nullopt;
  return length;
}

bool if_range_matches(std::string_view if_range, const http::HeaderMap& stored) {
  if_range = trim_ows(if_range);
  // §13.1.5: an entity-tag starts with DQUOTE (or W/ for a weak one, which
  // never matches strongly); anything else is read as an HTTP-date.
  if (if_range.starts_with('"') || if_range.starts_with("W/")) {
    std::optional<EntityTag> tag = parse_entity_tag(if_range);
    std::optional<EntityTag> stored_tag = response_etag(stored);
    return tag.has_value() && stored_tag.has_value() && strong_match(*tag, *stored_tag);
  }
  std::optional<HttpTime> date = parse_http_date(if_range);
  std::optional<HttpTime> last_modified = date_field(stored, "last-modified");
  return date.has_value() && last_modified.has_value() && *date == *last_modified &&
         last_modified_is_strong(stored, *last_modified);
}

RangeSelection select_byte_range(http::Method method, const http::HeaderMap& request_headers, int status,
                                 const http::HeaderMap& stored, std::uint64_t size) {
  RangeSelection full;
  if (method != http::Method::kGet || status != 200 || size == 0) return full;
  bool present = false;
  const std::string range = combined_field(request_headers, "range", &present);
  if (!present) return full;
  std::optional<std::vector<ByteRangeSpec>> specs = parse_byte_ranges(range);
  if (!specs || specs->size() != 1) return full;
  bool if_range_present = false;
  const std::string if_range = combined_field(request_headers, "if-range", &if_range_present);
  if (if_range_present && !if_range_matches(if_range, stored)) return full;

  const ByteRangeSpec& spec = specs->front();
  RangeSelection selection{.action = RangeAction::kUnsatisfiable};
  if (spec.suffix) {
    if (spec.suffix_length == 0) return selection;
    selection.length = std::min(spec.suffix_length, size);
    selection.offset = size - selection.length;
  } else {
    if (spec.first >= size) return selection;
    const std::uint64_t last = std::min(spec.last.value_or(size - 1), size - 1);
    selection.offset = spec.first;
    selection.length = last - spec.first + 1;
  }
  selection.action = RangeAction::kPartial;
  return selection;
}

bool apply_byte_range(http::Method method, const http::HeaderMap& request_headers, int& status,
                      http::HeaderMap& headers, policy::SharedBody& body, policy::BodySlice& slice) {
  const std::uint64_t size = body.bytes().size();
  const RangeSelection selection = select_byte_range(method, request_headers, status, headers, size);
  switch (selection.action) {
    case RangeAction::kFull:
      return false;
    case RangeAction::kPartial:
      status = 206;
      headers.set("Content-Range", "bytes " + std::to_string(selection.offset) + "-" +
                                       std::to_string(selection.offset + selection.length - 1) + "/" +
                                       std::to_string(size));
      slice = policy::BodySlice{.offset = static_cast<std::size_t>(selection.offset),
                                .length = static_cast<std::size_t>(selection.length)};
      return true;
    case RangeAction::kUnsatisfiable:
      break;
  }
  http::HeaderMap kept;
  for (std::string_view name : {"Date", "Age", "X-Request-Id"}) {
    if (const std::string* value = headers.find(name)) kept.set(name, *value);
  }
  kept.set("Content-Range", "bytes */" + std::to_string(size));
  kept.set("Content-Type", "application/json");
  headers = std::move(kept);
  status = 416;
  body = unsatisfiable_body();
  slice = {};
  return true;
}

}  // namespace gatehouse::policies::cache
