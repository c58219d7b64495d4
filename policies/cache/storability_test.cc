// Storing responses, RFC 9111 §3, §3.1, §3.2, §3.5, §4.3.4.

#include <gtest/gtest.h>

#include "policies/cache/cache_test_support.h"
#include "policies/cache/storability.h"

namespace gatehouse::policies::cache {
namespace {

using test_support::fields;

StoreVerdict verdict(int status, const http::HeaderMap& response, const http::HeaderMap& request = {},
                     http::Method method = http::Method::kGet, StorabilityOptions options = {}) {
  return storability(method, request, request_cache_control(request), status, response,
                     response_cache_control(response), options);
}

std::vector<std::string> names_of(const http::HeaderMap& h) {
  std::vector<std::string> out;
  for (const http::Header& f : h) out.push_back(f.name + ": " + f.value);
  return out;
}

std::vector<std::string> names_of(const StoredFields& h) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < h.size(); ++i) out.push_back(std::string(h[i].name) + ": " + std::string(h[i].value));
  return out;
}

TEST(StorabilityTest, PlainCacheableResponseIsStorable) {
  EXPECT_EQ(verdict(200, fields({{"Cache-Control", "max-age=60"}})), StoreVerdict::kStorable);
  EXPECT_EQ(verdict(200, fields({})), StoreVerdict::kStorable);  // heuristically cacheable status
}

// §3: the method must be understood and cacheable.
TEST(StorabilityTest, OnlyGetAndHead) {
  http::HeaderMap r = fields({{"Cache-Control", "max-age=60"}});
  EXPECT_EQ(verdict(200, r, {}, http::Method::kHead), StoreVerdict::kStorable);
  for (http::Method m : {http::Method::kPost, http::Method::kPut, http::Method::kDelete, http::Method::kPatch,
                         http::Method::kOptions, http::Method::kOther}) {
    EXPECT_EQ(verdict(200, r, {}, m), StoreVerdict::kMethod);
  }
}

// §3: final status only; 206/304 need handling we do not implement.
TEST(StorabilityTest, NonFinalPartialAndNotModifiedAreNotStored) {
  http::HeaderMap r = fields({{"Cache-Control", "max-age=60"}});
  for (int s : {100, 101, 103, 206, 304}) EXPECT_EQ(verdict(s, r), StoreVerdict::kStatus) << s;
  EXPECT_EQ(verdict(302, r), StoreVerdict::kStorable);
  EXPECT_EQ(verdict(599, r), StoreVerdict::kStorable);  // unknown but final: stored with explicit freshness
}

// §3 last bullet: without explicit freshness only heuristically cacheable statuses.
TEST(StorabilityTest, NeedsExplicitFreshnessOrHeuristicStatus) {
  EXPECT_EQ(verdict(302, fields({})), StoreVerdict::kNoExplicitFreshness);
  EXPECT_EQ(verdict(500, fields({})), StoreVerdict::kNoExplicitFreshness);
  EXPECT_EQ(verdict(404, fields({})), StoreVerdict::kStorable);
  EXPECT_EQ(verdict(302, fields({{"Expires", "0"}})), StoreVerdict::kStorable);  // any Expires counts
  EXPECT_EQ(verdict(302, fields({{"Cache-Control", "public"}})), StoreVerdict::kStorable);
  EXPECT_EQ(verdict(302, fields({{"Cache-Control", "s-maxage=5"}})), StoreVerdict::kStorable);
  EXPECT_EQ(verdict(302, fields({{"Cache-Control", "s-maxage=5"}}), {}, http::Method::kGet, {.shared = false}),
            StoreVerdict::kNoExplicitFreshness);
  EXPECT_EQ(verdict(302, fields({{"Cache-Control", "private"}}), {}, http::Method::kGet, {.shared = false}),
            StoreVerdict::kStorable);
}

// §5.2.2.5 and §5.2.1.5.
TEST(StorabilityTest, NoStoreInResponseOrRequest) {
  EXPECT_EQ(verdict(200, fields({{"Cache-Control", "max-age=60, no-store"}})), StoreVerdict::kNoStore);
  EXPECT_EQ(verdict(200, fields({{"Cache-Control", "max-age=60"}}), fields({{"Cache-Control", "no-store"}})),
            StoreVerdict::kNoStore);
}

// §5.2.2.3: must-understand overrides no-store for an understood status, and
// forbids storing a status we do not understand.
TEST(StorabilityTest, MustUnderstand) {
  EXPECT_EQ(verdict(200, fields({{"Cache-Control", "max-age=60, no-store, must-understand"}})), StoreVerdict::kStorable);
  EXPECT_EQ(verdict(299, fields({{"Cache-Control", "max-age=60, no-store, must-understand"}})), StoreVerdict::kStatus);
  EXPECT_EQ(verdict(299, fields({{"Cache-Control", "max-age=60, must-understand"}})), StoreVerdict::kStatus);
}

// §5.2.2.7: unqualified private: never in a shared cache; qualified: stored
// without the named fields.
TEST(StorabilityTest, PrivateInASharedCache) {
  EXPECT_EQ(verdict(200, fields({{"Cache-Control", "private, max-age=60"}})), StoreVerdict::kPrivate);
  EXPECT_EQ(verdict(200, fields({{"Cache-Control", "private=\"x-user\", max-age=60"}})), StoreVerdict::kStorable);
}

// §3.5.
TEST(StorabilityTest, AuthorizationNeedsPublicSMaxageOrMustRevalidate) {
  http::HeaderMap auth = fields({{"Authorization", "Bearer x"}});
  EXPECT_EQ(verdict(200, fields({{"Cache-Control", "max-age=60"}}), auth), StoreVerdict::kAuthorization);
  EXPECT_EQ(verdict(200, fields({{"Cache-Control", "max-age=60, public"}}), auth), StoreVerdict::kStorable);
  EXPECT_EQ(verdict(200, fields({{"Cache-Control", "s-maxage=60"}}), auth), StoreVerdict::kStorable);
  EXPECT_EQ(verdict(200, fields({{"Cache-Control", "max-age=60, must-revalidate"}}), auth), StoreVerdict::kStorable);
  EXPECT_EQ(verdict(200, fields({{"Cache-Control", "max-age=60"}}), auth, http::Method::kGet, {.shared = false}),
            StoreVerdict::kStorable);
}

TEST(StorabilityTest, SetCookieOnlyWhenConfigured) {
  http::HeaderMap r = fields({{"Cache-Control", "max-age=60"}, {"Set-Cookie", "a=b"}});
  EXPECT_EQ(verdict(200, r), StoreVerdict::kSetCookie);
  EXPECT_EQ(verdict(200, r, {}, http::Method::kGet, {.store_set_cookie = true}), StoreVerdict::kStorable);
}

// §4.1: Vary: * never matches, so it is not kept.
TEST(StorabilityTest, VaryStarIsNotStored) {
  EXPECT_EQ(verdict(200, fields({{"Cache-Control", "max-age=60"}, {"Vary", "Accept, *"}})), StoreVerdict::kVaryStar);
  EXPECT_EQ(verdict(200, fields({{"Cache-Control", "max-age=60"}, {"Vary", "Accept"}})), StoreVerdict::kStorable);
}

TEST(StorabilityTest, VerdictLabels) {
  EXPECT_EQ(store_verdict_label(StoreVerdict::kNoStore), "no-store");
  EXPECT_EQ(store_verdict_label(StoreVerdict::kStorable), "storable");
}

// §3.1: hop-by-hop fields, those Connection names, and proxy auth fields are not stored.
TEST(StoredHeadersTest, HopByHopAndConnectionNominatedFieldsAreDropped) {
  http::HeaderMap r = fields({{"Content-Type", "text/plain"}, {"Connection", "close, X-Hop"}, {"X-Hop", "1"},
                              {"Keep-Alive", "timeout=5"}, {"Transfer-Encoding", "chunked"}, {"TE", "trailers"},
                              {"Upgrade", "h2c"}, {"Proxy-Connection", "keep-alive"},
                              {"Proxy-Authenticate", "Basic"}, {"Proxy-Authentication-Info", "x"},
                              {"proxy-authorization", "Basic eA=="}, {"ETag", "\"a\""}, {"X-Unknown", "kept"},
                              // The excluded names' lengths, other names.
                              {"Content-Location", "/a"}, {"X-Upstream-Request", "1"}, {"Vary", "a"}});
  EXPECT_EQ(names_of(stored_headers(r, response_cache_control(r), true)),
            (std::vector<std::string>{"Content-Type: text/plain", "ETag: \"a\"", "X-Unknown: kept",
                                      "Content-Location: /a", "X-Upstream-Request: 1", "Vary: a"}));
  // And a name the caller excludes (the proxy's own X-Request-Id), in any case.
  EXPECT_EQ(names_of(stored_headers(r, response_cache_control(r), true, "x-unknown")),
            (std::vector<std::string>{"Content-Type: text/plain", "ETag: \"a\"", "Content-Location: /a",
                                      "X-Upstream-Request: 1", "Vary: a"}));
}

// §5.2.2.4 / §5.2.2.7: fields named by qualified no-cache (any cache) and
// private (shared caches) are not stored.
TEST(StoredHeadersTest, QualifiedDirectivesDropTheirFields) {
  http::HeaderMap r = fields({{"Cache-Control", "no-cache=\"X-A\", private=\"x-b\""}, {"X-A", "1"}, {"x-b", "2"},
                              {"X-C", "3"}});
  CacheControl cc = response_cache_control(r);
  EXPECT_EQ(names_of(stored_headers(r, cc, true)),
            (std::vector<std::string>{"Cache-Control: no-cache=\"X-A\", private=\"x-b\"", "X-C: 3"}));
  EXPECT_EQ(names_of(stored_headers(r, cc, false)).size(), 3u);
}

// §3.2: a 304's fields replace the stored ones of the same name; the rest stay.
TEST(UpdatedHeadersTest, NotModifiedReplacesFieldsByName) {
  http::HeaderMap stored = fields({{"Content-Type", "text/plain"}, {"Cache-Control", "max-age=10"},
                                   {"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}, {"ETag", "\"a\""},
                                   {"X-Multi", "1"}, {"X-Multi", "2"}, {"Content-Length", "5"}});
  http::HeaderMap not_modified = fields({{"Cache-Control", "max-age=60"}, {"Date", "Sun, 06 Nov 1994 09:49:37 GMT"},
                                         {"X-Multi", "3"}, {"X-New", "n"}});
  EXPECT_EQ(names_of(updated_headers(stored, not_modified, true)),
            (std::vector<std::string>{"Content-Type: text/plain", "ETag: \"a\"", "Content-Length: 5",
                                      "Cache-Control: max-age=60", "Date: Sun, 06 Nov 1994 09:49:37 GMT",
                                      "X-Multi: 3", "X-New: n"}));
}

// §3.2 exceptions: Content-Length, hop-by-hop and Connection-named fields,
// and fields named by qualified no-cache are not taken from the 304; a
// stored field the 304's no-cache now names is dropped.
TEST(UpdatedHeadersTest, ExcludedFieldsAreNotUpdated) {
  http::HeaderMap stored = fields({{"Content-Length", "5"}, {"Content-Range", "bytes 0-4/5"}, {"X-A", "old"}});
  http::HeaderMap not_modified = fields({{"Content-Length", "0"}, {"Content-Range", "bytes */9"},
                                         {"Connection", "X-Hop"}, {"X-Hop", "1"}, {"Keep-Alive", "t=1"},
                                         {"Cache-Control", "no-cache=\"x-a\""}, {"X-A", "new"}});
  EXPECT_EQ(names_of(updated_headers(stored, not_modified, true)),
            (std::vector<std::string>{"Content-Length: 5", "Content-Range: bytes 0-4/5",
                                      "Cache-Control: no-cache=\"x-a\""}));
}

// §4.3.4: which stored response a 304 selects.
TEST(SelectedForUpdateTest, StrongETagMustMatchStrongly) {
  http::HeaderMap s = fields({{"ETag", "\"a\""}});
  EXPECT_TRUE(selected_for_update(s, fields({{"ETag", "\"a\""}}), false));
  EXPECT_FALSE(selected_for_update(s, fields({{"ETag", "\"b\""}}), true));
  EXPECT_FALSE(selected_for_update(fields({{"ETag", "W/\"a\""}}), fields({{"ETag", "\"a\""}}), true));
}

TEST(SelectedForUpdateTest, WeakETagMatchesWeakly) {
  EXPECT_TRUE(selected_for_update(fields({{"ETag", "\"a\""}}), fields({{"ETag", "W/\"a\""}}), false));
  EXPECT_TRUE(selected_for_update(fields({{"ETag", "W/\"a\""}}), fields({{"ETag", "W/\"a\""}}), false));
}

TEST(SelectedForUpdateTest, LastModifiedMustBeIdentical) {
  http::HeaderMap s = fields({{"Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"}});
  EXPECT_TRUE(selected_for_update(s, fields({{"Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"}}), false));
  EXPECT_FALSE(selected_for_update(s, fields({{"Last-Modified", "Mon, 07 Nov 1994 08:49:37 GMT"}}), true));
}

TEST(SelectedForUpdateTest, NoValidatorSelectsTheOneResponseThatWasRevalidated) {
  EXPECT_TRUE(selected_for_update(fields({}), fields({}), true));
  EXPECT_FALSE(selected_for_update(fields({}), fields({}), false));
  // Origins often leave validators out of a 304 to If-None-Match.
  EXPECT_TRUE(selected_for_update(fields({{"ETag", "\"a\""}}), fields({{"Cache-Control", "max-age=60"}}), true));
  EXPECT_FALSE(selected_for_update(fields({{"ETag", "\"a\""}}), fields({}), false));
}

// §4.3.5.
TEST(HeadMatchesStoredTest, ReceivedValidatorsAndLengthMustAgree) {
  const http::HeaderMap stored = fields({{"ETag", "\"a\""}, {"Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"}});
  EXPECT_TRUE(head_matches_stored(stored, 5, fields({})));
  EXPECT_TRUE(head_matches_stored(stored, 5, fields({{"ETag", "\"a\""}, {"Content-Length", "5"}})));
  EXPECT_TRUE(head_matches_stored(stored, 5, fields({{"Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"}})));
  EXPECT_FALSE(head_matches_stored(stored, 5, fields({{"ETag", "\"b\""}})));
  EXPECT_FALSE(head_matches_stored(stored, 5, fields({{"Last-Modified", "Mon, 07 Nov 1994 08:49:37 GMT"}})));
  EXPECT_FALSE(head_matches_stored(stored, 5, fields({{"Content-Length", "6"}})));
  EXPECT_FALSE(head_matches_stored(stored, 5, fields({{"Content-Length", "5x"}})));
  // A validator the stored response lacks cannot match.
  EXPECT_FALSE(head_matches_stored(fields({}), 5, fields({{"ETag", "\"a\""}})));
}

}  // namespace
}  // namespace gatehouse::policies::cache
