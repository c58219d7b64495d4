#pragma once
// Helpers shared by the cache pieces' unit tests.

#include <chrono>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>

#include <vector>

#include "policies/cache/cache_store.h"
#include "policies/cache/http_date.h"
#include "policies/cache/stored_response.h"
#include "policies/cache/vary.h"
#include "proxy/http/header_map.h"
#include "proxy/http/message.h"

namespace gatehouse::policies::cache::test_support {

inline http::HeaderMap fields(std::initializer_list<std::pair<std::string, std::string>> list) {
  http::HeaderMap map;
  for (const auto& [name, value] : list) map.add(name, value);
  return map;
}

// Makes `head` the request `method target` to Host example.test with
// `headers` (a policy test's request, in place of the parser's).
inline void set_request(http::RequestHead& head, const char* method, const char* target,
                        const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  head.method = method;
  head.method_id = http::method_from_string(method);
  head.target = target;
  head.headers.clear();
  head.headers.add("Host", "example.test");
  for (const auto& [n, v] : headers) head.headers.add(n, v);
}

// 1994-11-06 08:49:37 UTC (RFC 9110's example date) plus `seconds`.
inline HttpTime t0(long seconds = 0) {
  using namespace std::chrono;
  return sys_days{year{1994} / November / 6} + hours{8} + minutes{49} + std::chrono::seconds{37 + seconds};
}

// A stored response with `body`, filled by `request`, whose header section
// is `headers` (its Vary selects the request's values) and whose key_extra
// is `extra`.
inline std::shared_ptr<const StoredResponse> response(std::string body, const http::HeaderMap& request = {},
                                                      const http::HeaderMap& headers = {}, std::string extra = {}) {
  auto r = std::make_shared<StoredResponse>();
  r->headers = headers;
  r->content.assign(std::move(body));
  r->timing = {t0(), t0()};
  r->vary = select_vary_values(headers, request).value_or(std::vector<VaryValue>{});
  r->key_extra = std::move(extra);
  return r;
}

// A store of one shard, so byte budgets are exact.
inline std::unique_ptr<CacheStore> one_shard(std::size_t max_size, std::size_t max_object = 1 << 20) {
  auto store = std::make_unique<CacheStore>(1);
  store->set_limits({.max_size = max_size, .max_object_size = max_object});
  return store;
}

}  // namespace gatehouse::policies::cache::test_support
