#pragma once
// A request Gatehouse sends on its own behalf (not forwarded for a client)
// and the response it gets: plain values, for the code that asks (a policy,
// through RequestContext::fetch_in_background) and the code that sends
// (proxy/upstream/upstream_fetch.h).

#include <cstddef>
#include <string>

#include "proxy/http/header_map.h"
#include "proxy/http/message.h"

namespace gatehouse::http {

struct FetchRequest {
  Method method = Method::kGet;  // GET or HEAD: a fetch has no body
  std::string target;            // origin-form: path and query
  HeaderMap headers;             // sent as given (Host too)
  std::size_t max_body = 1024 * 1024;  // a longer body fails the fetch
};

struct FetchResult {
  bool ok = false;     // a complete response arrived (any status)
  std::string error;   // why not, when !ok
  int status = 0;
  HeaderMap headers;
  std::string body;
};

}  // namespace gatehouse::http
