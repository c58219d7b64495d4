#include "policies/cache/response_field_summary.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "policies/cache/storability.h"

namespace gatehouse::policies::cache {
namespace {

TEST(ResponseFieldSummaryTest, FindsTheFieldsTheCacheConsults) {
  http::HeaderMap h;
  h.add("Content-Type", "text/plain");
  h.add("CACHE-CONTROL", "max-age=5");
  h.add("Expires", "Thu, 01 Jan 1970 00:00:00 GMT");
  h.add("set-cookie", "a=b");
  h.add("Vary", "Accept");
  const ResponseFieldSummary s = summarize_response_fields(h, {});
  EXPECT_TRUE(s.cache_control);
  EXPECT_TRUE(s.expires);
  EXPECT_TRUE(s.set_cookie);
  EXPECT_TRUE(s.vary);
  EXPECT_FALSE(s.connection);
  EXPECT_FALSE(s.targeted);
  EXPECT_EQ(s.unstored, 0u);
  EXPECT_EQ(s.fields, 5u);
  EXPECT_EQ(s.stored_fields, 5u);

  const ResponseFieldSummary none = summarize_response_fields(http::HeaderMap{}, {});
  EXPECT_FALSE(none.cache_control || none.expires || none.set_cookie || none.vary || none.connection);
  EXPECT_EQ(none.stored_fields, 0u);
  EXPECT_EQ(none.stored_text, 0u);
}

// Names of the same length as a wanted one, or that differ only in case,
// are told apart correctly.
TEST(ResponseFieldSummaryTest, LookalikeNamesAreNotTaken) {
  http::HeaderMap h;
  h.add("Verb", "x");            // 4, not Vary
  h.add("Expired", "x");         // 7, not Expires
  h.add("Set-Cookie2", "x");     // 11
  h.add("Cache-Controls", "x");  // 14
  h.add("Connector!", "x");      // 10, not Connection
  const ResponseFieldSummary s = summarize_response_fields(h, {});
  EXPECT_FALSE(s.vary || s.expires || s.set_cookie || s.cache_control || s.connection);
  EXPECT_EQ(s.unstored, 0u);
}

// Each never-stored field is marked by its position, and the kept fields'
// count and text are what a copy of them needs.
TEST(ResponseFieldSummaryTest, MarksNeverStoredFieldsAndTheExcludedName) {
  http::HeaderMap h;
  h.add("Date", "d");                    // 0
  h.add("Connection", "close");          // 1
  h.add("TE", "trailers");               // 2
  h.add("Keep-Alive", "timeout=5");      // 3
  h.add("Proxy-Connection", "x");        // 4
  h.add("Transfer-Encoding", "chunked");  // 5
  h.add("Upgrade", "h2c");               // 6
  h.add("Proxy-Authenticate", "x");      // 7
  h.add("Proxy-Authorization", "x");     // 8
  h.add("Proxy-Authentication-Info", "x");  // 9
  h.add("X-Request-Id", "id");           // 10
  h.add("ETag", "\"v\"");               // 11
  const ResponseFieldSummary s = summarize_response_fields(h, {}, "x-request-id");
  EXPECT_TRUE(s.connection);
  EXPECT_EQ(s.unstored, 0b0111'1111'1110u);
  EXPECT_EQ(s.stored_fields, 2u);
  EXPECT_EQ(s.stored_text, std::string("Dated").size() + std::string("ETag\"v\"").size());
  EXPECT_EQ(s.also_excluded, "x-request-id");
  for (std::size_t i = 0; i < h.size(); ++i) {
    EXPECT_EQ(is_never_stored_field(h[i].name), i >= 1 && i <= 9) << h[i].name;
  }
}

TEST(ResponseFieldSummaryTest, TargetedFieldsAnyCase) {
  const std::vector<std::string> targets = {"cdn-cache-control", "gatehouse-cache-control"};
  http::HeaderMap h;
  h.add("Content-Length", "1");  // 14: no target has it
  h.add("CDN-Cache-Control", "max-age=5");
  EXPECT_TRUE(summarize_response_fields(h, targets).targeted);
  EXPECT_FALSE(summarize_response_fields(h, {}).targeted);
  http::HeaderMap other;
  other.add("CDN-Cache-Contrul", "max-age=5");  // same length, another name
  EXPECT_FALSE(summarize_response_fields(other, targets).targeted);
}

// Past 64 fields the positions are not all marked: the stored section is
// then judged field by field (stored_headers_into's general path), and
// still leaves out what it must.
TEST(ResponseFieldSummaryTest, ManyFieldsFallBackToTheGeneralCopy) {
  http::HeaderMap h;
  for (int i = 0; i < 70; ++i) h.add(std::string("X-F").append(std::to_string(i)), "v");
  h.add("Keep-Alive", "timeout=5");
  const ResponseFieldSummary s = summarize_response_fields(h, {});
  EXPECT_FALSE(s.marks_all());
  std::vector<char> storage(stored_headers_size(h, s, CacheControl{}, true));
  const StoredFields f = stored_headers_into(storage.data(), h, s, CacheControl{}, true);
  EXPECT_EQ(f.size(), 70u);
  EXPECT_FALSE(f.contains("keep-alive"));
}

// The summary's one-pass copy and the field-by-field judgement keep the
// same fields, whatever lists the response carries.
TEST(ResponseFieldSummaryTest, StoredHeadersAgreeWithTheGeneralPath) {
  struct Case {
    std::vector<std::pair<std::string, std::string>> fields;
  };
  const std::vector<Case> cases = {
      {{{"Content-Type", "a"}, {"X-Request-Id", "r"}, {"Via", "1.1 gatehouse"}}},
      {{{"Connection", "X-Hop"}, {"X-Hop", "1"}, {"ETag", "\"e\""}}},
      {{{"Cache-Control", "no-cache=\"Set-Thing\", private=\"X-Private\""},
        {"Set-Thing", "1"},
        {"X-Private", "2"},
        {"Date", "d"}}},
      {{{"Transfer-Encoding", "chunked"}, {"x-request-id", "r"}, {"Content-Length", "10"}}},
  };
  for (const Case& c : cases) {
    http::HeaderMap h;
    for (const auto& [name, value] : c.fields) h.add(name, value);
    const CacheControl cc = response_cache_control(h);
    for (bool shared : {true, false}) {
      const ResponseFieldSummary s = summarize_response_fields(h, {}, "x-request-id");
      std::vector<char> storage(stored_headers_size(h, s, cc, shared));
      const StoredFields fast = stored_headers_into(storage.data(), h, s, cc, shared);
      const StoredFields general = stored_headers(h, cc, shared, "x-request-id");
      ASSERT_EQ(fast.size(), general.size()) << c.fields.front().first;
      for (std::size_t i = 0; i < fast.size(); ++i) {
        EXPECT_EQ(fast[i].name, general[i].name);
        EXPECT_EQ(fast[i].value, general[i].value);
      }
    }
  }
}

}  // namespace
}  // namespace gatehouse::policies::cache
