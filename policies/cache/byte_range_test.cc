// Byte ranges from a stored complete response: RFC 9110 §14 (Range),
// §13.1.5 (If-Range), §15.3.7 (206), §15.5.17 (416).

#include <gtest/gtest.h>

#include "policies/cache/byte_range.h"
#include "policies/cache/cache_test_support.h"

namespace gatehouse::policies::cache {
namespace {

using test_support::fields;

RangeSelection select_range_for(const char* range, std::uint64_t size = 11,
                                http::Method method = http::Method::kGet, int status = 200) {
  return select_byte_range(method, fields({{"Range", range}}), status, fields({}), size);
}

void expect_partial(const RangeSelection& s, std::uint64_t offset, std::uint64_t length) {
  EXPECT_EQ(s.action, RangeAction::kPartial);
  EXPECT_EQ(s.offset, offset);
  EXPECT_EQ(s.length, length);
}

// §14.1.2 ranges-specifier; the unit compares case-insensitively (§14.1).
TEST(ByteRangeTest, ParsesTheThreeFormsOfRangeSpec) {
  auto specs = parse_byte_ranges("bytes=0-1, 5-,-3");
  ASSERT_TRUE(specs.has_value());
  ASSERT_EQ(specs->size(), 3u);
  EXPECT_FALSE((*specs)[0].suffix);
  EXPECT_EQ((*specs)[0].first, 0u);
  EXPECT_EQ((*specs)[0].last, 1u);
  EXPECT_EQ((*specs)[1].first, 5u);
  EXPECT_FALSE((*specs)[1].last.has_value());
  EXPECT_TRUE((*specs)[2].suffix);
  EXPECT_EQ((*specs)[2].suffix_length, 3u);
  EXPECT_TRUE(parse_byte_ranges("BYTES=0-1").has_value());
  EXPECT_EQ(parse_byte_ranges(" bytes=0-1 ,, ")->size(), 1u);  // empty members are no members (§5.6.1)
}

// §14.2: a Range that does not parse, or another unit, is ignored.
TEST(ByteRangeTest, RejectsWhatIsNotAByteRangeSet) {
  for (const char* v : {"", "bytes", "bytes=", "bytes=,", "bytes=-", "bytes=a-b", "bytes=1-0", "bytes=+1-2",
                        "bytes=1--2", "bytes = 0-1", "bytes=0 -1", "bytes=0-1;x", "items=0-1", "0-1",
                        "bytes=--1", "bytes=0x1-2", "bytes=0-1,x"}) {
    EXPECT_FALSE(parse_byte_ranges(v).has_value()) << v;
  }
}

TEST(ByteRangeTest, HugePositionsSaturate) {
  auto specs = parse_byte_ranges("bytes=99999999999999999999999-");
  ASSERT_TRUE(specs.has_value());
  EXPECT_EQ(specs->front().first, UINT64_MAX);
  EXPECT_EQ(select_range_for("bytes=99999999999999999999999-").action, RangeAction::kUnsatisfiable);
  expect_partial(select_range_for("bytes=0-99999999999999999999999"), 0, 11);
  expect_partial(select_range_for("bytes=-99999999999999999999999"), 0, 11);
}

// §14.1.2 / §14.1.3: the cache-tests partial-store-complete-reuse-partial*
// cases on an 11-byte body.
TEST(ByteRangeTest, SelectsOneSatisfiableRange) {
  expect_partial(select_range_for("bytes=0-1"), 0, 2);
  expect_partial(select_range_for("bytes=1-"), 1, 10);
  expect_partial(select_range_for("bytes=-1"), 10, 1);
  expect_partial(select_range_for("bytes=10-10"), 10, 1);
  expect_partial(select_range_for("bytes=3-100"), 3, 8);   // last clamped to size - 1
  expect_partial(select_range_for("bytes=-100"), 0, 11);   // suffix longer than the body: all of it
  expect_partial(select_range_for("bytes=0-"), 0, 11);
}

// §14.1.1: first-pos at or past the length, or a zero suffix, is unsatisfiable.
TEST(ByteRangeTest, UnsatisfiableRanges) {
  EXPECT_EQ(select_range_for("bytes=11-").action, RangeAction::kUnsatisfiable);
  EXPECT_EQ(select_range_for("bytes=11-20").action, RangeAction::kUnsatisfiable);
  EXPECT_EQ(select_range_for("bytes=-0").action, RangeAction::kUnsatisfiable);
}

// What a server MAY do with any Range (ignore it) is done for several
// ranges, a stored status other than 200, an empty body, any method but GET.
TEST(ByteRangeTest, WholeResponseWhenRangeDoesNotApply) {
  EXPECT_EQ(select_range_for("bytes=0-1,3-4").action, RangeAction::kFull);
  EXPECT_EQ(select_range_for("bytes=0-1,20-").action, RangeAction::kFull);
  EXPECT_EQ(select_range_for("bytes=0-1", 11, http::Method::kHead).action, RangeAction::kFull);
  EXPECT_EQ(select_range_for("bytes=0-1", 11, http::Method::kGet, 203).action, RangeAction::kFull);
  EXPECT_EQ(select_range_for("bytes=0-1", 11, http::Method::kGet, 404).action, RangeAction::kFull);
  EXPECT_EQ(select_range_for("bytes=-1", 0).action, RangeAction::kFull);
  EXPECT_EQ(select_range_for("bytes=x").action, RangeAction::kFull);
  EXPECT_EQ(select_range_for("lines=0-1").action, RangeAction::kFull);
  EXPECT_EQ(select_byte_range(http::Method::kGet, fields({}), 200, fields({}), 11).action, RangeAction::kFull);
  // Two Range lines combine into something that is not a range-set.
  EXPECT_EQ(select_byte_range(http::Method::kGet, fields({{"Range", "bytes=0-1"}, {"Range", "bytes=2-3"}}), 200,
                              fields({}), 11).action,
            RangeAction::kFull);
}

// §13.1.5: an entity-tag compares strongly with the stored ETag.
TEST(ByteRangeTest, IfRangeEntityTagNeedsAStrongMatch) {
  const http::HeaderMap stored = fields({{"ETag", "\"v1\""}});
  EXPECT_TRUE(if_range_matches("\"v1\"", stored));
  EXPECT_TRUE(if_range_matches(" \"v1\" ", stored));
  EXPECT_FALSE(if_range_matches("\"v2\"", stored));
  EXPECT_FALSE(if_range_matches("W/\"v1\"", stored));
  EXPECT_FALSE(if_range_matches("\"v1\"", fields({{"ETag", "W/\"v1\""}})));
  EXPECT_FALSE(if_range_matches("\"v1\"", fields({})));
  EXPECT_FALSE(if_range_matches("\"v1", stored));
  EXPECT_FALSE(if_range_matches("\"v1\", \"v2\"", stored));  // one validator, not a list
}

// §13.1.5 + §8.8.2.2: a date matches Last-Modified exactly, and only when
// the stored Date is at least a second later (a strong validator).
TEST(ByteRangeTest, IfRangeDateNeedsAStrongLastModified) {
  const char* lm = "Sun, 06 Nov 1994 08:49:37 GMT";
  const http::HeaderMap strong = fields({{"Last-Modified", lm}, {"Date", "Sun, 06 Nov 1994 08:49:38 GMT"}});
  EXPECT_TRUE(if_range_matches(lm, strong));
  EXPECT_FALSE(if_range_matches("Sun, 06 Nov 1994 08:49:36 GMT", strong));
  EXPECT_FALSE(if_range_matches("Sun, 06 Nov 1994 08:49:38 GMT", strong));
  EXPECT_FALSE(if_range_matches(lm, fields({{"Last-Modified", lm}, {"Date", lm}})));  // weak: same second
  EXPECT_FALSE(if_range_matches(lm, fields({{"Last-Modified", lm}})));               // no Date: weak
  EXPECT_FALSE(if_range_matches(lm, fields({{"Date", "Sun, 06 Nov 1994 08:49:38 GMT"}})));
  EXPECT_FALSE(if_range_matches("yesterday", strong));
  EXPECT_FALSE(if_range_matches("", strong));
}

TEST(ByteRangeTest, IfRangeThatDoesNotMatchSendsTheWholeResponse) {
  const http::HeaderMap stored = fields({{"ETag", "\"v1\""}});
  EXPECT_EQ(select_byte_range(http::Method::kGet, fields({{"Range", "bytes=0-1"}, {"If-Range", "\"v1\""}}), 200,
                              stored, 11).action,
            RangeAction::kPartial);
  EXPECT_EQ(select_byte_range(http::Method::kGet, fields({{"Range", "bytes=0-1"}, {"If-Range", "\"v0\""}}), 200,
                              stored, 11).action,
            RangeAction::kFull);
  // An unsatisfiable range behind a failing If-Range is not a 416 either.
  EXPECT_EQ(select_byte_range(http::Method::kGet, fields({{"Range", "bytes=50-"}, {"If-Range", "\"v0\""}}), 200,
                              stored, 11).action,
            RangeAction::kFull);
}

// §15.3.7: a 206 keeps the 200's fields and adds Content-Range; the body is
// the stored one, shared, with a slice.
TEST(ByteRangeTest, ApplyMakesA206WithContentRangeAndASlice) {
  int status = 200;
  http::HeaderMap headers = fields({{"Content-Type", "text/plain"}, {"A", "1"}, {"Age", "3"}});
  const policy::SharedBody stored = policy::SharedBody::of("01234567890");
  policy::SharedBody body = stored;
  policy::BodySlice slice;
  EXPECT_TRUE(apply_byte_range(http::Method::kGet, fields({{"Range", "bytes=1-3"}}), status, headers, body, slice));
  EXPECT_EQ(status, 206);
  EXPECT_EQ(*headers.find("content-range"), "bytes 1-3/11");
  EXPECT_EQ(*headers.find("content-type"), "text/plain");
  EXPECT_EQ(*headers.find("a"), "1");
  EXPECT_EQ(body.bytes().data(), stored.bytes().data());  // not copied
  EXPECT_EQ(slice.of(body.bytes()), "123");
}

// §15.5.17: 416 with Content-Range "bytes */length", none of the
// representation's fields.
TEST(ByteRangeTest, ApplyMakesA416ForAnUnsatisfiableRange) {
  int status = 200;
  http::HeaderMap headers = fields({{"Content-Type", "text/plain"}, {"ETag", "\"v1\""}, {"Age", "3"},
                                    {"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}});
  policy::SharedBody body = policy::SharedBody::of("01234567890");
  policy::BodySlice slice;
  EXPECT_TRUE(apply_byte_range(http::Method::kGet, fields({{"Range", "bytes=11-"}}), status, headers, body, slice));
  EXPECT_EQ(status, 416);
  EXPECT_EQ(*headers.find("content-range"), "bytes */11");
  EXPECT_EQ(*headers.find("content-type"), "application/json");
  EXPECT_EQ(*headers.find("age"), "3");
  EXPECT_NE(headers.find("date"), nullptr);
  EXPECT_EQ(headers.find("etag"), nullptr);
  EXPECT_NE(slice.of(body.bytes()).find("range_not_satisfiable"), std::string_view::npos);
}

TEST(ByteRangeTest, ApplyLeavesAWholeResponseAlone) {
  int status = 200;
  http::HeaderMap headers = fields({{"A", "1"}});
  const policy::SharedBody stored = policy::SharedBody::of("01234567890");
  policy::SharedBody body = stored;
  policy::BodySlice slice;
  EXPECT_FALSE(apply_byte_range(http::Method::kGet, fields({{"Range", "bytes=0-1,4-5"}}), status, headers, body,
                                slice));
  EXPECT_EQ(status, 200);
  EXPECT_EQ(headers.find("content-range"), nullptr);
  EXPECT_EQ(slice.of(body.bytes()), "01234567890");
  status = 304;  // a client conditional already answered: no range of nothing
  EXPECT_FALSE(apply_byte_range(http::Method::kGet, fields({{"Range", "bytes=0-1"}}), status, headers, body, slice));
  EXPECT_EQ(status, 304);
}

TEST(ByteRangeTest, BodySliceClampsToTheBody) {
  EXPECT_EQ((policy::BodySlice{}.of("abc")), "abc");
  EXPECT_EQ((policy::BodySlice{.offset = 1, .length = 1}.of("abc")), "b");
  EXPECT_EQ((policy::BodySlice{.offset = 2, .length = 10}.of("abc")), "c");
  EXPECT_EQ((policy::BodySlice{.offset = 3, .length = 1}.of("abc")), "");
  EXPECT_EQ((policy::BodySlice{.offset = 9}.of("abc")), "");
}

// A 206's Content-Range (§14.4): the complete length, when it is one.
TEST(ContentRangeTest, CompleteLength) {
  auto length = [](const char* value) {
    http::HeaderMap h;
    h.add("Content-Range", value);
    return content_range_complete_length(h);
  };
  EXPECT_EQ(length("bytes 0-1/11"), 11u);
  EXPECT_EQ(length("BYTES 10-10/11"), 11u);
  EXPECT_EQ(length(" bytes 0-0/1 "), 1u);
  EXPECT_EQ(length("bytes */11"), std::nullopt);  // a 416's form
  EXPECT_EQ(length("bytes 0-1/*"), std::nullopt);
  EXPECT_EQ(length("bytes 2-1/11"), std::nullopt);
  EXPECT_EQ(length("bytes 0-11/11"), std::nullopt);
  EXPECT_EQ(length("bytes 0-1/1x"), std::nullopt);
  EXPECT_EQ(length("bytes -1/11"), std::nullopt);
  EXPECT_EQ(length("bytes0-1/11"), std::nullopt);
  EXPECT_EQ(length("bytes 0-1/99999999999999999999999"), std::nullopt);  // saturates: not a length
  http::HeaderMap two;
  two.add("Content-Range", "bytes 0-1/11");
  two.add("Content-Range", "bytes 0-1/11");
  EXPECT_EQ(content_range_complete_length(two), std::nullopt);
  EXPECT_EQ(content_range_complete_length(http::HeaderMap{}), std::nullopt);
}

}  // namespace
}  // namespace gatehouse::policies::cache
