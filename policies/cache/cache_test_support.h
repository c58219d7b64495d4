#pragma once
// Helpers shared by the cache pieces' unit tests.

#include <chrono>
#include <initializer_list>
#include <string>
#include <utility>

#include <vector>

#include "policies/cache/http_date.h"
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

}  // namespace gatehouse::policies::cache::test_support
