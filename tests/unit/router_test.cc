#include "proxy/router/router.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

namespace gatehouse {
namespace {

using config::RouteConfig;
using config::RouteMatch;
using http::Method;

RouteConfig route(std::string name, std::string host, RouteMatch::PathKind kind, std::string path,
                  std::vector<Method> methods = {}) {
  RouteConfig r;
  r.name = std::move(name);
  r.match.host = std::move(host);
  r.match.path_kind = kind;
  if (kind == RouteMatch::PathKind::kRegex) {
    r.match.path_regex = std::make_shared<const re2::RE2>(path);
  } else {
    r.match.path = std::move(path);
  }
  for (Method m : methods) {
    r.match.methods[static_cast<std::size_t>(m)] = true;
    r.match.any_method = false;
  }
  return r;
}

std::string matched(const Router& router, std::string_view host, std::string_view path, Method m = Method::kGet) {
  const RouteConfig* r = router.match(host, path, m);
  return r == nullptr ? "none" : r->name;
}

TEST(RouterTest, FirstMatchInFileOrderWins) {
  std::vector<RouteConfig> routes;
  routes.push_back(route("users", "*", RouteMatch::PathKind::kPrefix, "/api/users"));
  routes.push_back(route("api", "*", RouteMatch::PathKind::kPrefix, "/api/"));
  routes.push_back(route("users-late", "*", RouteMatch::PathKind::kPrefix, "/api/users/1"));
  Router router(routes);
  EXPECT_EQ(matched(router, "x", "/api/users/1"), "users");
  EXPECT_EQ(matched(router, "x", "/api/posts"), "api");
  EXPECT_EQ(matched(router, "x", "/apix"), "none");
}

TEST(RouterTest, ExactPathMatchesOnlyThatPath) {
  std::vector<RouteConfig> routes;
  routes.push_back(route("health", "*", RouteMatch::PathKind::kExact, "/healthz"));
  Router router(routes);
  EXPECT_EQ(matched(router, "x", "/healthz"), "health");
  EXPECT_EQ(matched(router, "x", "/healthz/"), "none");
  EXPECT_EQ(matched(router, "x", "/health"), "none");
}

TEST(RouterTest, RegexMustMatchTheWholePath) {
  std::vector<RouteConfig> routes;
  routes.push_back(route("post", "*", RouteMatch::PathKind::kRegex, "/api/posts/[0-9]+"));
  Router router(routes);
  EXPECT_EQ(matched(router, "x", "/api/posts/42"), "post");
  EXPECT_EQ(matched(router, "x", "/api/posts/42/comments"), "none");
  EXPECT_EQ(matched(router, "x", "/x/api/posts/42"), "none");
}

TEST(RouterTest, HostExactIgnoresCaseAndPort) {
  std::vector<RouteConfig> routes;
  routes.push_back(route("a", "api.example.com", RouteMatch::PathKind::kAny, ""));
  Router router(routes);
  EXPECT_EQ(matched(router, "API.Example.COM:8080", "/"), "a");
  EXPECT_EQ(matched(router, "api.example.com", "/"), "a");
  EXPECT_EQ(matched(router, "www.example.com", "/"), "none");
  EXPECT_EQ(matched(router, "", "/"), "none");
}

TEST(RouterTest, WildcardHostMatchesSubdomainsOnly) {
  std::vector<RouteConfig> routes;
  routes.push_back(route("w", "*.example.com", RouteMatch::PathKind::kAny, ""));
  Router router(routes);
  EXPECT_EQ(matched(router, "a.example.com", "/"), "w");
  EXPECT_EQ(matched(router, "a.b.example.com:443", "/"), "w");
  EXPECT_EQ(matched(router, "example.com", "/"), "none");
  EXPECT_EQ(matched(router, "badexample.com", "/"), "none");
}

TEST(RouterTest, MethodsRestrictAndGetImpliesHead) {
  std::vector<RouteConfig> routes;
  routes.push_back(route("write", "*", RouteMatch::PathKind::kPrefix, "/", {Method::kPost, Method::kPut}));
  routes.push_back(route("read", "*", RouteMatch::PathKind::kPrefix, "/", {Method::kGet}));
  Router router(routes);
  EXPECT_EQ(matched(router, "x", "/", Method::kPost), "write");
  EXPECT_EQ(matched(router, "x", "/", Method::kGet), "read");
  EXPECT_EQ(matched(router, "x", "/", Method::kHead), "read");
  EXPECT_EQ(matched(router, "x", "/", Method::kDelete), "none");
}

TEST(RouterTest, HostWithoutPortHandlesIpv6Literals) {
  EXPECT_EQ(Router::host_without_port("[::1]:8080"), "::1");
  EXPECT_EQ(Router::host_without_port("[::1]"), "::1");
  EXPECT_EQ(Router::host_without_port("example.com:80"), "example.com");
  EXPECT_EQ(Router::host_without_port("example.com"), "example.com");
}

}  // namespace
}  // namespace gatehouse
