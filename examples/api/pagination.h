#pragma once
// List pagination for collection endpoints, in two modes:
//
// - offset: `?page=N&limit=M` (the default when no cursor is given). Simple
//   and it reports totals, but a row inserted before the page being read
//   shifts later pages: a client may see a row twice (never miss one).
// - cursor: `?cursor=C&limit=M` (`cursor=` empty starts at the newest). The
//   cursor is opaque to clients (base64url of the last id served); since ids
//   only grow and lists are newest first (id descending), rows inserted
//   after the first page never appear in, or shift, later pages.
//
// limit defaults to 20 and is capped at 100; page is 1-based.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "examples/api/json_response.h"
#include "examples/api/query_string.h"

namespace gatehouse::api {

inline constexpr std::int64_t kDefaultPageLimit = 20;
inline constexpr std::int64_t kMaxPageLimit = 100;

struct PageRequest {
  enum class Mode { kOffset, kCursor };
  Mode mode = Mode::kOffset;
  std::int64_t limit = kDefaultPageLimit;
  std::int64_t page = 1;                  // offset mode
  std::optional<std::int64_t> before_id;  // cursor mode: rows with id < this
  std::int64_t offset() const { return (page - 1) * limit; }
};

// Reads page/limit/cursor from the query. On bad values returns nullopt
// and appends one FieldError per bad parameter (for a 422).
std::optional<PageRequest> parse_page_request(const QueryParams& query, std::vector<FieldError>& errors);

std::string encode_cursor(std::int64_t last_id);
std::optional<std::int64_t> decode_cursor(std::string_view cursor);

// {"page","limit","total","totalPages"}
boost::json::object offset_meta(const PageRequest& request, std::int64_t total);
// {"hasMore","nextCursor"} (nextCursor null when there is no more)
boost::json::object cursor_meta(bool has_more, std::optional<std::int64_t> last_id);

}  // namespace gatehouse::api
