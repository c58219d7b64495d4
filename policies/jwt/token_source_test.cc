// Where tokens are found: Authorization: Bearer, a header, a cookie, a query
// parameter, in the configured order.

#include <gtest/gtest.h>

#include "policies/jwt/token_source.h"

namespace gatehouse::policies::jwt {
namespace {

using Kind = FoundToken::Kind;

std::vector<TokenSource> sources(std::initializer_list<TokenSource> list) { return list; }

TEST(JwtTokenSourceTest, AuthorizationBearer) {
  http::RequestHead r;
  const auto from = sources({TokenSource{}});
  EXPECT_EQ(find_token(r, from).kind, Kind::kNone);
  r.headers.add("Authorization", "Bearer abc.def.ghi");
  EXPECT_EQ(find_token(r, from).value, "abc.def.ghi");
  r.headers.set("authorization", "bearer   abc  ");
  EXPECT_EQ(find_token(r, from).value, "abc");
  r.headers.set("Authorization", "Basic dXNlcjpwdw==");
  EXPECT_EQ(find_token(r, from).kind, Kind::kNone);  // another scheme: not ours
  r.headers.set("Authorization", "Bearer");
  EXPECT_EQ(find_token(r, from).kind, Kind::kNone);
  r.headers.set("Authorization", "Bearerabc");
  EXPECT_EQ(find_token(r, from).kind, Kind::kNone);
  r.headers.set("Authorization", "Bearer a");
  r.headers.add("Authorization", "Bearer b");
  EXPECT_EQ(find_token(r, from).kind, Kind::kMalformed);  // which one would the upstream believe?
}

TEST(JwtTokenSourceTest, HeaderCookieAndQueryInOrder) {
  const auto from = sources({{TokenSource::Kind::kHeader, "X-Token"},
                             {TokenSource::Kind::kCookie, "session"},
                             {TokenSource::Kind::kQuery, "access_token"}});
  http::RequestHead r;
  r.target = "/p?x=1&access_token=q%2Eq&y";
  EXPECT_EQ(find_token(r, from).value, "q.q");
  r.headers.add("Cookie", "a=1; session=\"c.c\"");
  EXPECT_EQ(find_token(r, from).value, "c.c");
  r.headers.add("X-Token", "Bearer h.h");
  FoundToken found = find_token(r, from);
  EXPECT_EQ(found.value, "h.h");
  EXPECT_EQ(found.source, &from[0]);
  r.headers.set("X-Token", "raw.token");
  EXPECT_EQ(find_token(r, from).value, "raw.token");

  http::RequestHead q;
  q.target = "/p?access_token=%zz";
  EXPECT_EQ(find_token(q, from).kind, Kind::kMalformed);
  q.target = "/p?access_token_x=1&xaccess_token=2";
  EXPECT_EQ(find_token(q, from).kind, Kind::kNone);
  http::RequestHead c;
  c.headers.add("Cookie", "sessionx=1; xsession=2");
  c.headers.add("Cookie", "other=3;session=4");
  EXPECT_EQ(find_token(c, from).value, "4");
}

}  // namespace
}  // namespace gatehouse::policies::jwt
