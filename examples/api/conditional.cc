#include "examples/api/conditional.h"

#include "examples/api/clock.h"

namespace gatehouse::api {
namespace {

// Calls fn(tag) for each entity tag ("\"x\"" or "W/\"x\"") in a list, or
// fn("*") for a wildcard, until fn returns true. A malformed element stops
// the scan with no match. Tags may contain commas, so this scans quotes
// rather than splitting on ','.
template <typename Fn>
bool any_entity_tag(std::string_view header, Fn fn) {
  std::size_t i = 0;
  while (i < header.size()) {
    char c = header[i];
    if (c == ' ' || c == '\t' || c == ',') {
      ++i;
      continue;
    }
    if (c == '*') return fn(std::string_view("*"));
    std::size_t start = i;
    if (header.substr(i).starts_with("W/")) i += 2;
    if (i >= header.size() || header[i] != '"') return false;
    std::size_t close = header.find('"', i + 1);
    if (close == std::string_view::npos) return false;
    if (fn(header.substr(start, close + 1 - start))) return true;
    i = close + 1;
  }
  return false;
}

std::string_view opaque(std::string_view tag) {
  if (tag.starts_with("W/")) tag.remove_prefix(2);
  return tag;
}

}  // namespace

bool if_none_match_matches(std::string_view header, std::string_view etag) {
  return any_entity_tag(header, [&](std::string_view tag) { return tag == "*" || opaque(tag) == opaque(etag); });
}

bool if_match_matches(std::string_view header, std::string_view etag) {
  if (etag.starts_with("W/")) return false;
  return any_entity_tag(header, [&](std::string_view tag) { return tag == "*" || tag == etag; });
}

bool is_not_modified(const http::HeaderMap& headers, std::string_view etag, std::int64_t last_modified_millis) {
  if (const std::string* inm = headers.find("If-None-Match")) return if_none_match_matches(*inm, etag);
  if (const std::string* ims = headers.find("If-Modified-Since")) {
    std::optional<std::int64_t> since = parse_http_date(*ims);
    // Last-Modified is sent in whole seconds, so compare in seconds.
    if (since) return last_modified_millis / 1000 <= *since;
  }
  return false;
}

}  // namespace gatehouse::api
