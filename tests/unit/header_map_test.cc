#include "proxy/http/header_map.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace gatehouse::http {
namespace {

std::vector<std::string> names(const HeaderMap& m) {
  std::vector<std::string> out;
  for (const Header& h : m) out.push_back(h.name);
  return out;
}

std::vector<std::string> values(const HeaderMap& m) {
  std::vector<std::string> out;
  for (const Header& h : m) out.push_back(h.value);
  return out;
}

TEST(HeaderMapTest, StartsEmpty) {
  HeaderMap m;
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(m.begin(), m.end());
  EXPECT_EQ(m.find("host"), nullptr);
  EXPECT_FALSE(m.contains("host"));
  EXPECT_EQ(m.count("host"), 0u);
}

TEST(HeaderMapTest, AddKeepsOrderAndDuplicates) {
  HeaderMap m;
  m.add("Host", "example.com");
  m.add("Accept", "a");
  m.add("accept", "b");
  m.add("X-Other", "c");
  EXPECT_EQ(m.size(), 4u);
  EXPECT_EQ(names(m), (std::vector<std::string>{"Host", "Accept", "accept", "X-Other"}));
  EXPECT_EQ(values(m), (std::vector<std::string>{"example.com", "a", "b", "c"}));
  EXPECT_EQ(m[2].name, "accept");
  EXPECT_EQ(m.count("ACCEPT"), 2u);
}

TEST(HeaderMapTest, FindIsCaseInsensitiveAndReturnsFirst) {
  HeaderMap m;
  m.add("Content-Type", "text/plain");
  m.add("content-type", "text/html");
  ASSERT_NE(m.find("CONTENT-TYPE"), nullptr);
  EXPECT_EQ(*m.find("CONTENT-TYPE"), "text/plain");
  EXPECT_EQ(*m.find("content-type"), "text/plain");
  EXPECT_TRUE(m.contains("Content-type"));
  EXPECT_EQ(m.find("Content-Typ"), nullptr);
  EXPECT_EQ(m.find("Content-Types"), nullptr);

  // The mutable overload edits in place.
  *m.find("content-TYPE") = "application/json";
  EXPECT_EQ(m[0].value, "application/json");
  const HeaderMap& cm = m;
  EXPECT_EQ(*cm.find("Content-Type"), "application/json");
}

TEST(HeaderMapTest, SetReplacesAllKeepingFirstPosition) {
  HeaderMap m;
  m.add("A", "1");
  m.add("X-Dup", "first");
  m.add("B", "2");
  m.add("x-dup", "second");
  m.add("C", "3");
  m.set("X-DUP", "only");
  EXPECT_EQ(names(m), (std::vector<std::string>{"A", "X-Dup", "B", "C"}));
  EXPECT_EQ(values(m), (std::vector<std::string>{"1", "only", "2", "3"}));
  EXPECT_EQ(m.count("x-dup"), 1u);
}

TEST(HeaderMapTest, SetAppendsWhenAbsent) {
  HeaderMap m;
  m.add("A", "1");
  m.set("Via", "1.1 gatehouse");
  EXPECT_EQ(names(m), (std::vector<std::string>{"A", "Via"}));
  EXPECT_EQ(*m.find("via"), "1.1 gatehouse");
}

TEST(HeaderMapTest, RemoveAllMatchesAndKeepsOrderOfRest) {
  HeaderMap m;
  m.add("Connection", "close");
  m.add("A", "1");
  m.add("CONNECTION", "keep-alive");
  m.add("B", "2");
  m.add("connection", "x");
  m.add("C", "3");
  EXPECT_EQ(m.remove("Connection"), 3u);
  EXPECT_EQ(names(m), (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(values(m), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(m.remove("connection"), 0u);
  EXPECT_EQ(m.size(), 3u);
}

TEST(HeaderMapTest, RemoveIfKeepsOrder) {
  HeaderMap m;
  for (int i = 0; i < 8; ++i) m.add(std::string("H").append(std::to_string(i)), std::to_string(i));
  std::size_t removed = m.remove_if([](const Header& h) { return (h.value[0] - '0') % 3 == 0; });
  EXPECT_EQ(removed, 3u);  // 0, 3, 6
  EXPECT_EQ(values(m), (std::vector<std::string>{"1", "2", "4", "5", "7"}));
}

TEST(HeaderMapTest, ClearReusesSlots) {
  HeaderMap m;
  m.add("First-Long-Header-Name", std::string(200, 'v'));
  m.add("Second", "2");
  const char* first_name_storage = m[0].name.data();
  const char* first_value_storage = m[0].value.data();
  m.clear();
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.begin(), m.end());
  EXPECT_EQ(m.find("second"), nullptr);

  // A slot handed out again is empty but keeps its capacity.
  Header& h = m.add_empty();
  EXPECT_TRUE(h.name.empty());
  EXPECT_TRUE(h.value.empty());
  h.name.append("Host");
  h.value.append("x");
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].name.data(), first_name_storage);
  EXPECT_EQ(m[0].value.data(), first_value_storage);
  EXPECT_EQ(*m.find("host"), "x");

  // Stale values in reused slots never leak through add().
  m.add("New", "n");
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(names(m), (std::vector<std::string>{"Host", "New"}));
  EXPECT_EQ(values(m), (std::vector<std::string>{"x", "n"}));
}

// add() into a reused slot: a shorter, an equal and a longer field each
// come out whole (the slot's old bytes never show), in the slot's buffer
// while they fit.
TEST(HeaderMapTest, AddIntoReusedSlotsOfEverySize) {
  HeaderMap m;
  m.add("Content-Type", "application/octet-stream");
  m.add("X-Long", std::string(100, 'a'));
  m.add("Age", "1");
  const char* value_storage = m[0].value.data();
  m.clear();
  m.add("Content-Type", "text/plain");      // shorter: same buffer
  m.add("X-Long", std::string(100, 'b'));   // equal
  m.add("Age", "12345678901234567890123");  // longer than the old value
  EXPECT_EQ(m[0].value.data(), value_storage);
  EXPECT_EQ(values(m), (std::vector<std::string>{"text/plain", std::string(100, 'b'), "12345678901234567890123"}));
  EXPECT_EQ(m[0].value.size(), 10u);
  EXPECT_EQ(m[0].value.c_str()[10], '\0');
  // Even a value viewing the old bytes of the slot it is written into (a
  // cleared map's, which the contract does not promise) comes out whole.
  m.clear();
  std::string_view own(m.begin()->value.data() + 5, 5);  // "plain" of the cleared slot 0
  const std::string expected(own);
  m.add("Content-Type", own);
  EXPECT_EQ(m[0].value, expected);
}

TEST(HeaderMapTest, RemovedSlotsAreReusedCleanly) {
  HeaderMap m;
  m.add("A", "1");
  m.add("B", "2");
  m.remove("A");
  Header& h = m.add_empty();
  EXPECT_TRUE(h.name.empty());
  EXPECT_TRUE(h.value.empty());
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].name, "B");
}

TEST(HeaderMapTest, CopyIsIndependent) {
  HeaderMap m;
  m.add("A", "1");
  HeaderMap copy = m;
  copy.set("A", "2");
  copy.add("B", "3");
  EXPECT_EQ(*m.find("a"), "1");
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(copy.size(), 2u);
}

TEST(IequalsTest, AsciiCaseInsensitive) {
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("abc", "abd"));
  EXPECT_FALSE(iequals("abc", "abcd"));
  // Only ASCII letters fold: '@' (0x40) and '`' (0x60) differ by the same bit.
  EXPECT_FALSE(iequals("@", "`"));
  EXPECT_FALSE(iequals("[", "{"));
}

// For every pair of byte values, at every position of names from 1 to 20
// bytes: equal exactly when they are the same byte or the same ASCII letter.
TEST(IequalsTest, OnlyAsciiLettersFoldForEveryBytePair) {
  auto fold = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; };
  std::string a;
  std::string b;
  for (std::size_t n = 1; n <= 20; ++n) {
    for (std::size_t pos = 0; pos < n; ++pos) {
      for (int x = 0; x < 256; ++x) {
        for (int y = 0; y < 256; ++y) {
          a.assign(n, 'k');
          b.assign(n, 'K');
          a[pos] = static_cast<char>(x);
          b[pos] = static_cast<char>(y);
          const bool expected = fold(static_cast<unsigned char>(x)) == fold(static_cast<unsigned char>(y));
          if (iequals(a, b) != expected) {
            ADD_FAILURE() << "n " << n << " pos " << pos << " bytes " << x << ", " << y;
            return;
          }
        }
      }
    }
  }
}

TEST(ListContainsTokenTest, Basic) {
  EXPECT_TRUE(list_contains_token("close", "close"));
  EXPECT_TRUE(list_contains_token("Close", "close"));
  EXPECT_TRUE(list_contains_token("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(list_contains_token("gzip,chunked", "chunked"));
  EXPECT_TRUE(list_contains_token("  gzip \t,\t chunked  ", "chunked"));
  EXPECT_TRUE(list_contains_token("a,,b", "b"));
  EXPECT_FALSE(list_contains_token("", "close"));
  EXPECT_FALSE(list_contains_token("closed", "close"));
  EXPECT_FALSE(list_contains_token("clo se", "close"));
  EXPECT_FALSE(list_contains_token("x-close, keep-alive", "close"));
  EXPECT_FALSE(list_contains_token(",", "close"));
}

}  // namespace
}  // namespace gatehouse::http
