// Unit tests for the sample API's router, query parsing and dispatcher
// failure boundary (examples/api). No sockets.

#include "examples/api/router.h"

#include <gtest/gtest.h>

#include "examples/api/api_service.h"
#include "examples/api/database.h"
#include "examples/api/migrations.h"
#include "examples/api/query_string.h"

namespace gatehouse::api {
namespace {

using http::Method;

http::ServerResponse status_only(int status) {
  http::ServerResponse r;
  r.status = status;
  return r;
}

TEST(ApiRouter, MatchesLiteralsAndBindsParameters) {
  Router router;
  router.add(Method::kGet, "/api/posts", [](const ApiRequest&) { return status_only(200); });
  router.add(Method::kGet, "/api/posts/:id", [](const ApiRequest&) { return status_only(201); });
  router.add(Method::kGet, "/api/users/:uid/posts", [](const ApiRequest&) { return status_only(202); });

  Router::Match m = router.match(Method::kGet, "/api/posts/42");
  ASSERT_EQ(m.kind, Router::Match::Kind::kFound);
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0].first, "id");
  EXPECT_EQ(m.params[0].second, "42");

  m = router.match(Method::kGet, "/api/users/7/posts");
  ASSERT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(m.params[0].first, "uid");
  EXPECT_EQ(m.params[0].second, "7");

  EXPECT_EQ(router.match(Method::kGet, "/api/posts").kind, Router::Match::Kind::kFound);
  EXPECT_EQ(router.match(Method::kGet, "/api/posts/").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(router.match(Method::kGet, "/api/posts/1/x").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(router.match(Method::kGet, "/api").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(router.match(Method::kGet, "/").kind, Router::Match::Kind::kNotFound);
}

TEST(ApiRouter, WrongMethodListsAllowedOnes) {
  Router router;
  router.add(Method::kGet, "/api/posts/:id", [](const ApiRequest&) { return status_only(200); });
  router.add(Method::kDelete, "/api/posts/:id", [](const ApiRequest&) { return status_only(204); });
  Router::Match m = router.match(Method::kPost, "/api/posts/1");
  EXPECT_EQ(m.kind, Router::Match::Kind::kMethodNotAllowed);
  EXPECT_EQ(m.allow, "GET, HEAD, DELETE");
  // HEAD is served by the GET route.
  EXPECT_EQ(router.match(Method::kHead, "/api/posts/1").kind, Router::Match::Kind::kFound);
}

TEST(ApiRouter, ParametersArePercentDecoded) {
  Router router;
  router.add(Method::kGet, "/t/:name", [](const ApiRequest&) { return status_only(200); });
  Router::Match m = router.match(Method::kGet, "/t/a%20b+c");
  ASSERT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(m.params[0].second, "a b+c");  // '+' is literal in a path
}

TEST(ApiQueryString, ParsesDecodesAndKeepsFirstValue) {
  QueryParams q = QueryParams::parse("page=2&cursor=&q=a+b%21&page=9&flag&bad=%zz");
  EXPECT_EQ(q.get("page"), "2");
  EXPECT_EQ(q.get("cursor"), "");
  EXPECT_EQ(q.get("q"), "a b!");
  EXPECT_EQ(q.get("flag"), "");
  EXPECT_EQ(q.get("bad"), "%zz");
  EXPECT_FALSE(q.get("missing").has_value());
  EXPECT_FALSE(QueryParams::parse("").has("x"));
}

// The dispatcher's failure boundary, through ApiService with an in-memory
// database and extra routes.
class ApiServiceTest : public ::testing::Test {
 protected:
  ApiServiceTest()
      : db_(":memory:"),
        signer_(*auth::JwtSigner::from_hs256_secret("unit-test-secret-unit-test-secret-0123")),
        service_((migrate(db_, schema_migrations()), db_), io_, signer_, ApiSettings{}) {}

  std::vector<http::ServerResponse> call(Method method, std::string target) {
    http::ServerRequest request;
    request.head.method = std::string(http::method_label(method));
    request.head.method_id = method;
    request.head.target = std::move(target);
    std::vector<http::ServerResponse> responses;
    service_.handle(request, [&](http::ServerResponse r) { responses.push_back(std::move(r)); });
    return responses;
  }

  Database db_;
  boost::asio::io_context io_;
  auth::JwtSigner signer_;
  ApiService service_;
};

TEST_F(ApiServiceTest, ExceptionBecomesGeneric500) {
  service_.router().add(Method::kGet, "/boom", [](const ApiRequest&) -> http::ServerResponse {
    throw std::runtime_error("secret detail");
  });
  auto responses = call(Method::kGet, "/boom");
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 500);
  EXPECT_EQ(responses[0].body.find("secret"), std::string::npos);
  EXPECT_NE(responses[0].body.find("\"INTERNAL_ERROR\""), std::string::npos);
}

TEST_F(ApiServiceTest, RespondsOnceEvenWhenAHandlerMisbehaves) {
  service_.router().add_async(Method::kGet, "/twice", [](const ApiRequest&, http::Respond respond) {
    respond(status_only(200));
    respond(status_only(201));
    throw std::runtime_error("after responding");
  });
  auto responses = call(Method::kGet, "/twice");
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 200);
}

TEST_F(ApiServiceTest, UnknownRouteAndWrongMethod) {
  auto responses = call(Method::kGet, "/nope?x=1");
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 404);
  responses = call(Method::kPut, "/healthz");
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 405);
  ASSERT_NE(responses[0].headers.find("Allow"), nullptr);
  EXPECT_EQ(*responses[0].headers.find("Allow"), "GET, HEAD");
  EXPECT_EQ(call(Method::kGet, "/healthz")[0].status, 200);
}

}  // namespace
}  // namespace gatehouse::api
