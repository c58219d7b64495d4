// The primary and extra cache keys.

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "policies/cache/cache_key.h"
#include "policies/cache/cache_test_support.h"

namespace gatehouse::policies::cache {
namespace {

using test_support::fields;

std::string pk(std::string_view scheme, std::string_view host, std::string_view target, CacheKeyOptions o = {}) {
  return primary_key(scheme, host, target, o);
}

TEST(CacheKeyTest, SchemeHostPathQuery) {
  EXPECT_EQ(pk("http", "example.com", "/a/b?x=1"), "http://example.com/a/b?x=1");
}

TEST(CacheKeyTest, SchemeAndHostAreCaseInsensitivePathIsNot) {
  EXPECT_EQ(pk("HTTP", "Example.COM", "/A"), "http://example.com/A");
}

TEST(CacheKeyTest, DefaultPortIsRemoved) {
  EXPECT_EQ(pk("http", "example.com:80", "/"), "http://example.com/");
  EXPECT_EQ(pk("https", "example.com:443", "/"), "https://example.com/");
  EXPECT_EQ(pk("http", "example.com:", "/"), "http://example.com/");
  EXPECT_EQ(pk("http", "example.com:443", "/"), "http://example.com:443/");
  EXPECT_EQ(pk("https", "example.com:8443", "/"), "https://example.com:8443/");
  EXPECT_EQ(pk("http", "[::1]:80", "/"), "http://[::1]/");
  EXPECT_EQ(pk("http", "[::1]", "/"), "http://[::1]/");
}

// The "scheme://authority" part is kept per thread for the last scheme and
// Host: a change of either, alone or back again, gives that key's own.
TEST(CacheKeyTest, TheKeptPrefixFollowsEveryChangeOfSchemeOrHost) {
  const std::vector<std::tuple<std::string_view, std::string_view, std::string>> steps = {
      {"http", "A.example:80", "http://a.example/x"},     {"http", "A.example:80", "http://a.example/x"},
      {"https", "A.example:80", "https://a.example:80/x"}, {"https", "A.example:443", "https://a.example/x"},
      {"http", "A.example:443", "http://a.example:443/x"}, {"http", "b.example", "http://b.example/x"},
      {"http", "B.example", "http://b.example/x"},         {"http", "", "http:///x"},
      {"HTTP", "b.example", "http://b.example/x"},
  };
  for (const auto& [scheme, host, key] : steps) EXPECT_EQ(pk(scheme, host, "/x"), key) << scheme << " " << host;
  CacheKey built;
  build_cache_key(built, "http", "C.example", "/y", http::HeaderMap{}, {});
  EXPECT_EQ(built.primary, "http://c.example/y");
  build_cache_key(built, "http", "d.example", "/y", http::HeaderMap{}, {});
  EXPECT_EQ(built.primary, "http://d.example/y");
}

TEST(CacheKeyTest, EmptyPathIsSlash) { EXPECT_EQ(pk("http", "h", ""), "http://h/"); }

TEST(CacheKeyTest, QueryKeptAsSentByDefault) {
  EXPECT_EQ(pk("http", "h", "/p?b=2&a=1"), "http://h/p?b=2&a=1");
  EXPECT_EQ(pk("http", "h", "/p?"), "http://h/p?");
  EXPECT_NE(pk("http", "h", "/p?"), pk("http", "h", "/p"));
}

TEST(CacheKeyTest, SortQueryIsStableByName) {
  EXPECT_EQ(pk("http", "h", "/p?b=2&a=1&b=1&c", {.sort_query = true}), "http://h/p?a=1&b=2&b=1&c");
}

TEST(CacheKeyTest, IgnoredQueryParameters) {
  CacheKeyOptions o{.ignore_query_params = {"utm_source", "fbclid"}};
  EXPECT_EQ(pk("http", "h", "/p?utm_source=x&id=3&fbclid", o), "http://h/p?id=3");
  EXPECT_EQ(pk("http", "h", "/p?utm_source=x", o), "http://h/p");
  EXPECT_EQ(pk("http", "h", "/p?utm_sourcex=1", o), "http://h/p?utm_sourcex=1");
}

TEST(CacheKeyTest, ExtraKeyFromConfiguredHeaders) {
  CacheKeyOptions o{.include_headers = {"X-Tenant", "Accept-Encoding"}};
  CacheKey a = make_cache_key("http", "h", "/", fields({{"x-tenant", "a"}, {"Accept-Encoding", "gzip,br"}}), o);
  CacheKey b = make_cache_key("http", "h", "/", fields({{"X-Tenant", "a"}, {"Accept-Encoding", "gzip, br"}}), o);
  CacheKey c = make_cache_key("http", "h", "/", fields({{"X-Tenant", "b"}}), o);
  CacheKey d = make_cache_key("http", "h", "/", fields({{"X-Tenant", ""}}), o);
  CacheKey e = make_cache_key("http", "h", "/", fields({}), o);
  EXPECT_EQ(a.primary, c.primary);
  EXPECT_EQ(a.extra, b.extra);
  EXPECT_NE(a.extra, c.extra);
  EXPECT_NE(d.extra, e.extra);  // empty is not absent
  EXPECT_TRUE(make_cache_key("http", "h", "/", fields({{"X-Tenant", "a"}}), {}).extra.empty());
}

// RFC 9111 §4.4: Location / Content-Location on the same host only.
TEST(CacheKeyTest, ReferencesResolveAgainstTheRequest) {
  auto ref = [](std::string_view r) { return primary_key_for_reference(r, "http", "h", "/a/b?q=1", {}); };
  EXPECT_EQ(ref("/x"), "http://h/x");
  EXPECT_EQ(ref("c"), "http://h/a/c");
  EXPECT_EQ(ref("../c?z"), "http://h/c?z");
  EXPECT_EQ(ref("./c/./d/../e"), "http://h/a/c/e");
  EXPECT_EQ(ref("?n=2"), "http://h/a/b?n=2");
  EXPECT_EQ(ref("http://H:80/y#frag"), "http://h/y");
  EXPECT_EQ(ref("//h/z"), "http://h/z");
  EXPECT_EQ(ref("https://h/s"), "https://h/s");
  EXPECT_EQ(ref(""), "http://h/a/b?q=1");
}

TEST(CacheKeyTest, ReferencesToOtherHostsAreRefused) {
  auto ref = [](std::string_view r) { return primary_key_for_reference(r, "http", "h", "/a", {}); };
  EXPECT_FALSE(ref("http://evil/x"));
  EXPECT_FALSE(ref("//evil/x"));
  EXPECT_FALSE(ref("http://h:8080/x"));
  EXPECT_FALSE(ref("http://user@h/x"));
  EXPECT_FALSE(ref("mailto:a@h"));
}

// A kept key holds what it was given, a usual primary key inside the
// object and a longer one on the heap, whatever it held before.
TEST(KeptKeyTest, HoldsShortAndLongKeysAndTheirExtraPart) {
  KeptKey kept;
  EXPECT_TRUE(kept.empty());
  const std::string usual = "http://example.test/items/42?page=2";
  kept.assign(CacheKey{usual, ""});
  EXPECT_EQ(kept.primary(), usual);
  EXPECT_EQ(kept.extra(), "");
  auto inside = [&kept] {
    const auto at = reinterpret_cast<std::uintptr_t>(kept.primary().data());
    const auto object = reinterpret_cast<std::uintptr_t>(&kept);
    return at >= object && at < object + sizeof kept;
  };
  EXPECT_TRUE(inside());  // no allocation for a usual key

  const std::string long_key = "http://example.test/" + std::string(KeptKey::kInlinePrimary, 'a');
  kept.assign(long_key, "x-tenant: a\n");
  EXPECT_EQ(kept.primary(), long_key);
  EXPECT_EQ(kept.extra(), "x-tenant: a\n");
  EXPECT_FALSE(inside());

  kept.assign(usual, "");
  EXPECT_EQ(kept.primary(), usual);
  EXPECT_EQ(kept.extra(), "");  // the earlier extra part is gone
  EXPECT_TRUE(inside());
  EXPECT_FALSE(kept.empty());
}

}  // namespace
}  // namespace gatehouse::policies::cache
