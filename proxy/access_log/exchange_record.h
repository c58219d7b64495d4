#pragma once
// What the proxy knows about one finished exchange, as views into the
// exchange's own state: the formatter reads it once, synchronously, while
// that state is still alive, so nothing here is copied or owned.
//
// An empty string_view means "unknown" and is logged as null (JSON) or `-`
// (text); so is a null pointer or an empty optional.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/json/object.hpp>

#include "proxy/http/header_map.h"

namespace gatehouse::access_log {

struct ExchangeRecord {
  std::chrono::system_clock::time_point start_time;  // when the request head arrived
  std::string_view request_id;
  std::string_view client_ip;  // after trusted-proxy handling
  std::string_view method;
  std::string_view path;
  std::string_view query;      // without '?'
  std::string_view uri;        // path and query, as in the request line
  std::string_view protocol;   // "HTTP/1.1"; empty when the request line was incomplete
  int status = 0;
  std::uint64_t bytes_sent = 0;          // to the client: head, body and framing
  std::uint64_t request_body_bytes = 0;  // from the client, without framing
  std::chrono::nanoseconds duration{0};  // head arrival to the end of the exchange
  std::string_view upstream;             // the route's upstream group, when one was tried
  std::string_view upstream_address;     // the last target tried ("host:port" as configured)
  std::optional<std::chrono::nanoseconds> upstream_duration;  // connect start to the response's end
  std::string_view route;
  std::string_view listener;
  std::string_view tls_version;          // "TLSv1.3"; empty on a plain listener
  std::optional<bool> tls_resumed;       // set on a TLS listener
  // The request's headers (as forwarded: after policies and X-Forwarded-*),
  // null when the head never completed.
  const http::HeaderMap* request_headers = nullptr;
  // The response head exactly as written to the client (status line and
  // header lines, possibly followed by body bytes); empty when none was.
  std::string_view response_head;
  // Verified JWT claims (policy::VerifiedClaims), null when none.
  const boost::json::object* claims = nullptr;
};

}  // namespace gatehouse::access_log
