#pragma once
// What the measuring tools in tests/bench share: the response scripts/bench's
// upstream sends, as a stored miss holds it, and their argument parsing.

#include <cstddef>
#include <cstdlib>
#include <string>
#include <vector>

#include "policies/cache/cache_control.h"
#include "proxy/http/header_map.h"

namespace gatehouse::bench {

// The response an upstream of scripts/bench sends for GET /bytes/N, as the
// proxy holds it (its X-Request-Id added), and a wrk request.
struct Exchange {
  http::HeaderMap response;
  http::HeaderMap request;
  policies::cache::CacheControl response_cc;
  std::string body;
};

inline Exchange sample_exchange(std::size_t body) {
  Exchange ex;
  ex.response.add("X-Upstream-Connection", "23");
  ex.response.add("X-Upstream-Request", "1");
  ex.response.add("X-Upstream-Port", "19001");
  ex.response.add("Content-Type", "application/octet-stream");
  ex.response.add("Content-Length", std::to_string(body));
  ex.response.add("X-Request-Id", "4f1c2a9e8b7d6c5b4a39281706f5e4d3");
  ex.request.add("Host", "127.0.0.1:18080");
  ex.response_cc = policies::cache::response_cache_control(ex.response);
  ex.body.assign(body, 'x');
  return ex;
}

// "1,2,4" → {1, 2, 4}; false when `text` is not such a list of positive numbers.
inline bool parse_counts(const char* text, std::vector<std::size_t>& out) {
  out.clear();
  for (const char* p = text; *p != '\0';) {
    char* end = nullptr;
    const unsigned long long n = std::strtoull(p, &end, 10);
    if (end == p || n == 0) return false;
    out.push_back(static_cast<std::size_t>(n));
    if (*end == ',') ++end;
    else if (*end != '\0') return false;
    p = end;
  }
  return !out.empty();
}

}  // namespace gatehouse::bench
