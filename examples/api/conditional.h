#pragma once
// Conditional GET (RFC 9110 §13): deciding when a cached copy is still good.

#include <cstdint>
#include <string_view>

#include "proxy/http/header_map.h"

namespace gatehouse::api {

// True when `header` (an If-None-Match value: "*" or a list of entity tags)
// matches `etag` under weak comparison (W/ prefixes ignored on both sides).
bool if_none_match_matches(std::string_view header, std::string_view etag);

// True when `header` (an If-Match value: "*" or a list of entity tags)
// matches `etag` under strong comparison: a weak tag never matches.
bool if_match_matches(std::string_view header, std::string_view etag);

// True when a GET/HEAD for a representation with this ETag and Last-Modified
// (Unix ms) should be answered 304. If-None-Match, when present, decides
// alone (If-Modified-Since is then ignored, §13.2.2); an If-Modified-Since
// that is not a valid IMF-fixdate is ignored.
bool is_not_modified(const http::HeaderMap& headers, std::string_view etag, std::int64_t last_modified_millis);

}  // namespace gatehouse::api
