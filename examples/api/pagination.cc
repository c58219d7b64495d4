#include "examples/api/pagination.h"

#include <algorithm>
#include <charconv>

#include "examples/api/auth/base64url.h"

namespace gatehouse::api {
namespace {

constexpr std::int64_t kMaxPage = 10'000'000;  // keeps page * limit far from overflow
constexpr std::string_view kCursorPrefix = "id:";

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string encode_cursor(std::int64_t last_id) {
  return auth::base64url_encode(std::string(kCursorPrefix) + std::to_string(last_id));
}

std::optional<std::int64_t> decode_cursor(std::string_view cursor) {
  std::optional<std::string> text = auth::base64url_decode(cursor);
  if (!text || !std::string_view(*text).starts_with(kCursorPrefix)) return std::nullopt;
  std::optional<std::int64_t> id = parse_int(std::string_view(*text).substr(kCursorPrefix.size()));
  if (!id || *id <= 0) return std::nullopt;
  return id;
}

std::optional<PageRequest> parse_page_request(const QueryParams& query, std::vector<FieldError>& errors) {
  PageRequest request;
  std::size_t errors_before = errors.size();
  if (std::optional<std::string> limit = query.get("limit")) {
    std::optional<std::int64_t> v = parse_int(*limit);
    if (!v || *v < 1) {
      errors.push_back({"limit", "must be an integer of at least 1 (at most 100 are returned)"});
    } else {
      request.limit = std::min(*v, kMaxPageLimit);
    }
  }
  std::optional<std::string> cursor = query.get("cursor");
  std::optional<std::string> page = query.get("page");
  if (cursor && page) {
    errors.push_back({"cursor", "use either page or cursor, not both"});
  } else if (cursor) {
    request.mode = PageRequest::Mode::kCursor;
    if (!cursor->empty()) {
      request.before_id = decode_cursor(*cursor);
      if (!request.before_id) errors.push_back({"cursor", "is not a cursor this service issued"});
    }
  } else if (page) {
    std::optional<std::int64_t> v = parse_int(*page);
    if (!v || *v < 1 || *v > kMaxPage) {
      errors.push_back({"page", "must be an integer from 1 to 10000000"});
    } else {
      request.page = *v;
    }
  }
  if (errors.size() != errors_before) return std::nullopt;
  return request;
}

boost::json::object offset_meta(const PageRequest& request, std::int64_t total) {
  return {{"page", request.page},
          {"limit", request.limit},
          {"total", total},
          {"totalPages", (total + request.limit - 1) / request.limit}};
}

boost::json::object cursor_meta(bool has_more, std::optional<std::int64_t> last_id) {
  boost::json::object meta{{"hasMore", has_more}};
  if (has_more && last_id) {
    meta["nextCursor"] = encode_cursor(*last_id);
  } else {
    meta["nextCursor"] = nullptr;
  }
  return meta;
}

}  // namespace gatehouse::api
