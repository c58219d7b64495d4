// Entity tags and conditional requests: RFC 9110 §8.8.3, §13, §15.4.5 and
// RFC 9111 §4.3.

#include <gtest/gtest.h>

#include "policies/cache/cache_test_support.h"
#include "policies/cache/conditional.h"
#include "policies/cache/entity_tag.h"

namespace gatehouse::policies::cache {
namespace {

using test_support::fields;
using test_support::t0;

const http::HeaderMap& stored_fixture() {
  static const http::HeaderMap h = fields({{"ETag", "\"v1\""}, {"Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"},
                                          {"Date", "Sun, 06 Nov 1994 09:49:37 GMT"}});
  return h;
}

ConditionalOutcome eval(const http::HeaderMap& request, http::Method method = http::Method::kGet,
                        const http::HeaderMap& stored = stored_fixture(),
                        OriginPreconditions origin = OriginPreconditions::kEvaluate) {
  return evaluate_conditionals(method, request, 200, stored, t0(), {.origin_preconditions = origin});
}

TEST(EntityTagTest, ParsesStrongAndWeak) {
  auto strong = parse_entity_tag("\"xyzzy\"");
  ASSERT_TRUE(strong);
  EXPECT_FALSE(strong->weak);
  EXPECT_EQ(strong->opaque, "xyzzy");
  auto weak = parse_entity_tag(" W/\"xyzzy\" ");
  ASSERT_TRUE(weak);
  EXPECT_TRUE(weak->weak);
  EXPECT_TRUE(parse_entity_tag("\"\""));
}

TEST(EntityTagTest, MalformedTagsAreRejected) {
  for (const char* v : {"\"xyz", "xyz\"", "W/x", "\"a\"b\"", "\"a b\"", "a b", "W/ \"x\"", "\"", ""}) {
    EXPECT_FALSE(parse_entity_tag(v)) << v;
  }
}

// What origins send in place of a valid tag, read for what it plainly means.
TEST(EntityTagTest, LenientFormsParse) {
  auto unquoted = parse_entity_tag("xyzzy");
  ASSERT_TRUE(unquoted);
  EXPECT_FALSE(unquoted->weak);
  EXPECT_EQ(unquoted->opaque, "xyzzy");
  EXPECT_EQ(format_entity_tag(*unquoted), "\"xyzzy\"");
  for (const char* v : {"w/\"x\"", "W\\\"x\"", "W\"x\""}) {
    auto weak = parse_entity_tag(v);
    ASSERT_TRUE(weak) << v;
    EXPECT_TRUE(weak->weak) << v;
    EXPECT_EQ(weak->opaque, "x") << v;
    EXPECT_EQ(format_entity_tag(*weak), "W/\"x\"") << v;
  }
}

// §8.8.3.2.
TEST(EntityTagTest, StrongAndWeakComparison) {
  EntityTag w1{true, "1"}, w1b{true, "1"}, s1{false, "1"}, s2{false, "2"};
  EXPECT_FALSE(strong_match(w1, w1b));
  EXPECT_FALSE(strong_match(w1, s1));
  EXPECT_TRUE(strong_match(s1, s1));
  EXPECT_TRUE(weak_match(w1, w1b));
  EXPECT_TRUE(weak_match(w1, s1));
  EXPECT_FALSE(weak_match(s1, s2));
}

TEST(EntityTagTest, ListsAndStar) {
  auto list = entity_tag_list(fields({{"If-None-Match", "\"a\", W/\"b\""}, {"If-None-Match", "\"c\""}}),
                              "if-none-match");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->tags.size(), 3u);
  EXPECT_TRUE(entity_tag_list(fields({{"If-Match", "*"}}), "if-match")->any);
  EXPECT_FALSE(entity_tag_list(fields({{"If-Match", "\"a\", \"b"}}), "if-match"));
  EXPECT_FALSE(entity_tag_list(fields({{"If-Match", "*, \"a\""}}), "if-match"));
  EXPECT_FALSE(entity_tag_list(fields({}), "if-match"));
}

TEST(EntityTagTest, ResponseETagIsASingleValidField) {
  EXPECT_TRUE(response_etag(fields({{"ETag", "\"a\""}})));
  EXPECT_FALSE(response_etag(fields({{"ETag", "\"a"}})));
  EXPECT_FALSE(response_etag(fields({{"ETag", "\"a\""}, {"ETag", "\"b\""}})));
}

TEST(EntityTagTest, GeneratedTagIsStrongQuotedAndContentDependent) {
  std::string a = generate_strong_etag("hello");
  std::string b = generate_strong_etag("hellp");
  EXPECT_EQ(a.size(), 24u);  // 22 base64url characters for 128 bits, plus quotes
  EXPECT_EQ(a, generate_strong_etag("hello"));
  EXPECT_NE(a, b);
  auto tag = parse_entity_tag(a);
  ASSERT_TRUE(tag);
  EXPECT_FALSE(tag->weak);
  // base64url of the first 16 bytes of SHA-256("hello") (2cf24dba5fb0a30e...), unpadded.
  EXPECT_EQ(a, "\"LPJNul-wow4m6Dsqxbning\"");
}

TEST(ConditionalTest, NoPreconditionsServe) { EXPECT_EQ(eval(fields({})), ConditionalOutcome::kServe); }

// §13.1.2: weak comparison, lists and `*`.
TEST(ConditionalTest, IfNoneMatch) {
  EXPECT_EQ(eval(fields({{"If-None-Match", "\"v1\""}})), ConditionalOutcome::kNotModified);
  EXPECT_EQ(eval(fields({{"If-None-Match", "W/\"v1\""}})), ConditionalOutcome::kNotModified);
  EXPECT_EQ(eval(fields({{"If-None-Match", "\"x\", \"v1\""}})), ConditionalOutcome::kNotModified);
  EXPECT_EQ(eval(fields({{"If-None-Match", "*"}})), ConditionalOutcome::kNotModified);
  EXPECT_EQ(eval(fields({{"If-None-Match", "\"x\""}})), ConditionalOutcome::kServe);
  EXPECT_EQ(eval(fields({{"If-None-Match", "\"v1\""}}), http::Method::kHead), ConditionalOutcome::kNotModified);
  EXPECT_EQ(eval(fields({{"If-None-Match", "\"v1\""}}), http::Method::kPost), ConditionalOutcome::kPreconditionFailed);
}

TEST(ConditionalTest, IfNoneMatchMalformedOrWithoutStoredETagServes) {
  EXPECT_EQ(eval(fields({{"If-None-Match", "\"v1"}})), ConditionalOutcome::kServe);
  // An unquoted tag is read as the quoted one.
  EXPECT_EQ(eval(fields({{"If-None-Match", "v1"}})), ConditionalOutcome::kNotModified);
  EXPECT_EQ(eval(fields({{"If-None-Match", "\"v1\""}}), http::Method::kGet, fields({})), ConditionalOutcome::kServe);
}

// §13.1.3: If-Modified-Since.
TEST(ConditionalTest, IfModifiedSince) {
  EXPECT_EQ(eval(fields({{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}})), ConditionalOutcome::kNotModified);
  EXPECT_EQ(eval(fields({{"If-Modified-Since", "Sun, 06 Nov 1994 10:00:00 GMT"}})), ConditionalOutcome::kNotModified);
  EXPECT_EQ(eval(fields({{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:36 GMT"}})), ConditionalOutcome::kServe);
}

// Ignored when invalid, repeated, with If-None-Match, or not GET/HEAD.
TEST(ConditionalTest, IfModifiedSinceIgnoredCases) {
  EXPECT_EQ(eval(fields({{"If-Modified-Since", "yesterday"}})), ConditionalOutcome::kServe);
  EXPECT_EQ(eval(fields({{"If-Modified-Since", "Sun, 06 Nov 1994 10:00:00 GMT"},
                         {"If-Modified-Since", "Sun, 06 Nov 1994 10:00:00 GMT"}})),
            ConditionalOutcome::kServe);
  EXPECT_EQ(eval(fields({{"If-None-Match", "\"x\""}, {"If-Modified-Since", "Sun, 06 Nov 1994 10:00:00 GMT"}})),
            ConditionalOutcome::kServe);
  EXPECT_EQ(eval(fields({{"If-Modified-Since", "Sun, 06 Nov 1994 10:00:00 GMT"}}), http::Method::kPost),
            ConditionalOutcome::kServe);
}

// RFC 9111 §4.3.2: without Last-Modified, Date, then the receive time.
TEST(ConditionalTest, IfModifiedSinceFallsBackToDateThenResponseTime) {
  http::HeaderMap dated = fields({{"Date", "Sun, 06 Nov 1994 09:49:37 GMT"}});
  EXPECT_EQ(eval(fields({{"If-Modified-Since", "Sun, 06 Nov 1994 09:49:37 GMT"}}), http::Method::kGet, dated),
            ConditionalOutcome::kNotModified);
  EXPECT_EQ(eval(fields({{"If-Modified-Since", "Sun, 06 Nov 1994 09:00:00 GMT"}}), http::Method::kGet, dated),
            ConditionalOutcome::kServe);
  EXPECT_EQ(eval(fields({{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}), http::Method::kGet, fields({})),
            ConditionalOutcome::kNotModified);  // t0() is the response time
}

// §13.1.1: If-Match uses strong comparison; failure is 412.
TEST(ConditionalTest, IfMatch) {
  EXPECT_EQ(eval(fields({{"If-Match", "\"v1\""}})), ConditionalOutcome::kServe);
  EXPECT_EQ(eval(fields({{"If-Match", "*"}})), ConditionalOutcome::kServe);
  EXPECT_EQ(eval(fields({{"If-Match", "W/\"v1\""}})), ConditionalOutcome::kPreconditionFailed);
  EXPECT_EQ(eval(fields({{"If-Match", "\"x\""}})), ConditionalOutcome::kPreconditionFailed);
  EXPECT_EQ(eval(fields({{"If-Match", "garbage"}})), ConditionalOutcome::kPreconditionFailed);
  EXPECT_EQ(eval(fields({{"If-Match", "\"v1\""}}), http::Method::kGet, fields({})),
            ConditionalOutcome::kPreconditionFailed);
}

// §13.1.4.
TEST(ConditionalTest, IfUnmodifiedSince) {
  EXPECT_EQ(eval(fields({{"If-Unmodified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}})), ConditionalOutcome::kServe);
  EXPECT_EQ(eval(fields({{"If-Unmodified-Since", "Sun, 06 Nov 1994 08:00:00 GMT"}})),
            ConditionalOutcome::kPreconditionFailed);
  EXPECT_EQ(eval(fields({{"If-Unmodified-Since", "nonsense"}})), ConditionalOutcome::kServe);
  EXPECT_EQ(eval(fields({{"If-Unmodified-Since", "Sun, 06 Nov 1994 08:00:00 GMT"}}), http::Method::kGet, fields({})),
            ConditionalOutcome::kServe);
}

// §13.2.2: If-Match takes precedence over If-Unmodified-Since, and both
// come before If-None-Match.
TEST(ConditionalTest, Precedence) {
  EXPECT_EQ(eval(fields({{"If-Match", "\"v1\""}, {"If-Unmodified-Since", "Sun, 06 Nov 1994 08:00:00 GMT"}})),
            ConditionalOutcome::kServe);
  EXPECT_EQ(eval(fields({{"If-Match", "\"x\""}, {"If-None-Match", "\"v1\""}})), ConditionalOutcome::kPreconditionFailed);
  EXPECT_EQ(eval(fields({{"If-Match", "\"v1\""}, {"If-None-Match", "\"v1\""}})), ConditionalOutcome::kNotModified);
  EXPECT_EQ(eval(fields({{"If-None-Match", "\"v1\""}, {"If-Modified-Since", "Sun, 06 Nov 1994 08:00:00 GMT"}})),
            ConditionalOutcome::kNotModified);
}

// RFC 9111 §4.3.2: by default a cache leaves If-Match / If-Unmodified-Since to the origin.
TEST(ConditionalTest, OriginPreconditionsAreForwardedByDefault) {
  http::HeaderMap r = fields({{"If-Match", "\"x\""}});
  EXPECT_EQ(evaluate_conditionals(http::Method::kGet, r, 200, stored_fixture(), t0()), ConditionalOutcome::kForward);
  EXPECT_EQ(evaluate_conditionals(http::Method::kGet, fields({{"If-Unmodified-Since", "x"}}), 200, stored_fixture(), t0()),
            ConditionalOutcome::kForward);
  EXPECT_EQ(evaluate_conditionals(http::Method::kGet, fields({{"If-None-Match", "\"v1\""}}), 200, stored_fixture(), t0()),
            ConditionalOutcome::kNotModified);
}

// RFC 9110 §13.2.1: a stored non-2xx response ignores every precondition.
TEST(ConditionalTest, PreconditionsAreIgnoredForNon2xxStoredResponses) {
  for (int status : {301, 404, 410, 500}) {
    EXPECT_EQ(evaluate_conditionals(http::Method::kGet, fields({{"If-None-Match", "\"v1\""}}), status,
                                    stored_fixture(), t0()),
              ConditionalOutcome::kServe)
        << status;
    EXPECT_EQ(evaluate_conditionals(http::Method::kGet, fields({{"If-Match", "\"x\""}}), status, stored_fixture(),
                                    t0(), {.origin_preconditions = OriginPreconditions::kEvaluate}),
              ConditionalOutcome::kServe)
        << status;
  }
  EXPECT_EQ(evaluate_conditionals(http::Method::kGet, fields({{"If-None-Match", "\"v1\""}}), 204, stored_fixture(),
                                  t0()),
            ConditionalOutcome::kNotModified);
}

// RFC 9110 §15.4.5.
TEST(NotModifiedHeadersTest, CarriesTheListedFieldsOnly) {
  http::HeaderMap served = fields({{"Content-Type", "text/html"}, {"Content-Length", "42"},
                                   {"Cache-Control", "max-age=60"}, {"ETag", "\"v1\""}, {"Date", "d"},
                                   {"Expires", "e"}, {"Vary", "Accept"}, {"Content-Location", "/x"},
                                   {"Last-Modified", "lm"}, {"Age", "3"}, {"Set-Cookie", "a=b"},
                                   {"Content-Encoding", "gzip"}});
  http::HeaderMap out = not_modified_headers(served);
  std::vector<std::string> names;
  for (const http::Header& h : out) names.push_back(h.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Cache-Control", "ETag", "Date", "Expires", "Vary", "Content-Location", "Age"}));
}

TEST(NotModifiedHeadersTest, LastModifiedWhenThereIsNoETag) {
  http::HeaderMap out = not_modified_headers(fields({{"Last-Modified", "lm"}, {"Date", "d"}}));
  EXPECT_TRUE(out.contains("last-modified"));
}

// RFC 9111 §4.3.1.
TEST(RevalidationTest, SendsStoredValidatorsAndReplacesTheClients) {
  http::HeaderMap a = fields({{"ETag", "\"a\""}, {"Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"}});
  http::HeaderMap b = fields({{"ETag", "W/\"b\""}, {"Last-Modified", "Mon, 07 Nov 1994 08:49:37 GMT"}});
  http::HeaderMap dup = fields({{"ETag", "\"a\""}});
  http::HeaderMap request = fields({{"Host", "h"}, {"If-None-Match", "\"client\""},
                                    {"If-Modified-Since", "Sat, 01 Jan 1994 00:00:00 GMT"}, {"If-Match", "\"m\""}});
  EXPECT_TRUE(add_revalidation_preconditions(request, {&a, &b, &dup}));
  EXPECT_EQ(*request.find("if-none-match"), "\"a\", W/\"b\"");
  EXPECT_EQ(*request.find("if-modified-since"), "Mon, 07 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(request.count("if-none-match"), 1u);
  EXPECT_EQ(*request.find("if-match"), "\"m\"");  // other preconditions untouched
}

TEST(RevalidationTest, LastModifiedOnly) {
  http::HeaderMap s = fields({{"Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"}});
  http::HeaderMap request;
  EXPECT_TRUE(add_revalidation_preconditions(request, {&s}));
  EXPECT_FALSE(request.contains("if-none-match"));
  EXPECT_EQ(*request.find("if-modified-since"), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(RevalidationTest, NoValidatorLeavesTheRequestAlone) {
  http::HeaderMap s = fields({{"ETag", "\"bad"}, {"Last-Modified", "bad"}});
  http::HeaderMap request = fields({{"If-None-Match", "\"client\""}});
  EXPECT_FALSE(add_revalidation_preconditions(request, {&s}));
  EXPECT_EQ(*request.find("if-none-match"), "\"client\"");
}

}  // namespace
}  // namespace gatehouse::policies::cache
