// Unit tests for the sample API's pagination parameters, cursors,
// conditional-GET rules and HTTP dates (examples/api).

#include "examples/api/pagination.h"

#include <gtest/gtest.h>

#include "examples/api/clock.h"
#include "examples/api/conditional.h"

namespace gatehouse::api {
namespace {

std::optional<PageRequest> parse(std::string_view query, std::vector<FieldError>* errors_out = nullptr) {
  std::vector<FieldError> errors;
  auto r = parse_page_request(QueryParams::parse(query), errors);
  if (errors_out) *errors_out = errors;
  return r;
}

TEST(ApiPagination, Defaults) {
  auto r = parse("");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->mode, PageRequest::Mode::kOffset);
  EXPECT_EQ(r->page, 1);
  EXPECT_EQ(r->limit, 20);
  EXPECT_EQ(r->offset(), 0);
}

TEST(ApiPagination, OffsetModeAndCap) {
  auto r = parse("page=3&limit=500");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->page, 3);
  EXPECT_EQ(r->limit, 100);
  EXPECT_EQ(r->offset(), 200);
}

TEST(ApiPagination, CursorMode) {
  auto r = parse("cursor=&limit=5");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->mode, PageRequest::Mode::kCursor);
  EXPECT_FALSE(r->before_id);
  r = parse("cursor=" + encode_cursor(77));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->before_id, 77);
}

TEST(ApiPagination, BadValuesNameTheirField) {
  for (std::string_view q : {"page=0", "page=x", "page=", "page=99999999999", "limit=0", "limit=-1", "limit=1.5",
                             "cursor=***", "cursor=Zm9v", "page=1&cursor="}) {
    std::vector<FieldError> errors;
    EXPECT_FALSE(parse(q, &errors)) << q;
    ASSERT_FALSE(errors.empty()) << q;
  }
  std::vector<FieldError> errors;
  EXPECT_FALSE(parse("page=0&limit=0", &errors));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].field, "limit");
  EXPECT_EQ(errors[1].field, "page");
}

TEST(ApiPagination, CursorRoundTripAndRejectsForgeries) {
  for (std::int64_t id : {std::int64_t{1}, std::int64_t{42}, std::int64_t{9'000'000'000}}) {
    EXPECT_EQ(decode_cursor(encode_cursor(id)), id);
  }
  EXPECT_FALSE(decode_cursor(""));
  EXPECT_FALSE(decode_cursor("aWQ6"));      // "id:" without a number
  EXPECT_FALSE(decode_cursor("aWQ6MA"));    // id 0
  EXPECT_FALSE(decode_cursor("aWQ6LTE"));   // id -1
  EXPECT_FALSE(decode_cursor("aWQ6MXg"));   // "id:1x"
  EXPECT_FALSE(decode_cursor("aWQ6MQ=="));  // padding is not our spelling
}

TEST(ApiPagination, Meta) {
  PageRequest r;
  r.page = 2;
  r.limit = 10;
  boost::json::object m = offset_meta(r, 21);
  EXPECT_EQ(m["totalPages"].as_int64(), 3);
  EXPECT_EQ(offset_meta(r, 0)["totalPages"].as_int64(), 0);
  boost::json::object c = cursor_meta(false, 5);
  EXPECT_TRUE(c["nextCursor"].is_null());
  c = cursor_meta(true, 5);
  EXPECT_EQ(decode_cursor(c["nextCursor"].as_string()), 5);
}

TEST(ApiConditional, IfNoneMatchUsesWeakComparison) {
  EXPECT_TRUE(if_none_match_matches("\"a\"", "\"a\""));
  EXPECT_TRUE(if_none_match_matches("W/\"a\"", "\"a\""));
  EXPECT_TRUE(if_none_match_matches("\"x\", \"a\"", "\"a\""));
  EXPECT_TRUE(if_none_match_matches("\"x,y\",\"a\"", "\"a\""));  // commas inside a tag
  EXPECT_TRUE(if_none_match_matches("*", "\"a\""));
  EXPECT_FALSE(if_none_match_matches("\"b\"", "\"a\""));
  EXPECT_FALSE(if_none_match_matches("a", "\"a\""));  // not a quoted tag
  EXPECT_FALSE(if_none_match_matches("", "\"a\""));
}

TEST(ApiConditional, IfMatchUsesStrongComparison) {
  EXPECT_TRUE(if_match_matches("\"a\"", "\"a\""));
  EXPECT_TRUE(if_match_matches("\"x\", \"a\"", "\"a\""));
  EXPECT_TRUE(if_match_matches("*", "\"a\""));
  EXPECT_FALSE(if_match_matches("W/\"a\"", "\"a\""));
  EXPECT_FALSE(if_match_matches("\"a\"", "W/\"a\""));
  EXPECT_FALSE(if_match_matches("\"b\"", "\"a\""));
}

TEST(ApiConditional, IfNoneMatchTakesPrecedence) {
  http::HeaderMap h;
  std::int64_t modified = 1'700'000'000'500;  // .5 s past a whole second
  h.add("If-Modified-Since", http_date(modified));
  EXPECT_TRUE(is_not_modified(h, "\"a\"", modified));
  EXPECT_FALSE(is_not_modified(h, "\"a\"", modified + 1000));
  h.add("If-None-Match", "\"b\"");
  EXPECT_FALSE(is_not_modified(h, "\"a\"", modified));
  h.set("If-Modified-Since", "garbage");
  h.set("If-None-Match", "\"a\"");
  EXPECT_TRUE(is_not_modified(h, "\"a\"", modified));
}

TEST(ApiClock, HttpDateRoundTrip) {
  EXPECT_EQ(http_date(784111777000), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_FALSE(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"));
  EXPECT_FALSE(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"));
  EXPECT_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC"));
  EXPECT_EQ(rfc3339_millis(784111777123), "1994-11-06T08:49:37.123Z");
}

}  // namespace
}  // namespace gatehouse::api
