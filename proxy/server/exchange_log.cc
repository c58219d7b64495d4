// The access-log line of an exchange (see proxy/access_log/): gathered from
// the exchange's state while it is still alive (the request head, the
// policies' data with the verified claims), formatted on the worker, and
// handed to the process's writer, which never makes a worker wait.
#include <charconv>

#include <openssl/ssl.h>

#include "proxy/access_log/line_formatter.h"
#include "proxy/policy/verified_claims.h"
#include "proxy/server/downstream_connection.h"
#include "proxy/server/worker.h"

namespace gatehouse {
namespace {

// The status line's code ("HTTP/1.1 404 Not Found"): what the client was
// sent, after any response policy changed it. 0 when there is none.
int status_of_written_head(std::string_view head) {
  if (head.size() < 12 || !head.starts_with("HTTP/")) return 0;
  int status = 0;
  const char* begin = head.data() + 9;
  auto [end, ec] = std::from_chars(begin, begin + 3, status);
  return ec == std::errc() && end == begin + 3 ? status : 0;
}

// What nginx logs for a request whose client closed the connection before
// any response was sent.
constexpr int kClientClosedRequest = 499;

}  // namespace

void DownstreamConnection::begin_unparsed_exchange() {
  log_state_ = LogState::kUnparsedHead;
  request_start_ = std::chrono::steady_clock::now();
  route_ = nullptr;
  request_data_.clear();
  request_body_bytes_ = 0;
  bytes_sent_ = 0;
  upstream_target_ = kNoTarget;
  upstream_end_ = {};
  response_head_.clear();
}

void DownstreamConnection::log_exchange() {
  if (log_state_ == LogState::kNone) return;
  const LogState head_state = log_state_;
  log_state_ = LogState::kNone;
  const config::Config& config = serving_->config();
  const access_log::AccessLogConfig& settings = config.access_log;
  if (!settings.enabled || settings.writer == nullptr) return;
  if (route_ != nullptr && !route_->access_log) return;

  const auto now = std::chrono::steady_clock::now();
  const auto elapsed = now - request_start_;
  access_log::ExchangeRecord r;
  r.start_time = std::chrono::time_point_cast<std::chrono::system_clock::duration>(
      std::chrono::system_clock::now() - elapsed);
  r.duration = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed);
  r.request_id = request_id_;
  r.listener = config.listeners[listener_index_].name;
  r.bytes_sent = bytes_sent_;
  r.request_body_bytes = request_body_bytes_;
  r.response_head = response_head_;
  r.status = status_of_written_head(response_head_);
  if (r.status == 0) r.status = response_status_ != 0 ? response_status_ : kClientClosedRequest;

  const http::RequestHead& head = parser_.head();
  if (head_state == LogState::kParsedHead) {
    r.client_ip = client_address_;
    r.method = head.method;
    r.path = head.path();
    r.query = head.query();
    r.uri = head.origin_form();
    r.protocol = head.version_minor == 0 ? "HTTP/1.0" : "HTTP/1.1";
    r.request_headers = &head.headers;
  } else {
    // The head never completed: the request line as far as it was read, if
    // it belongs to this message; headers are not trusted to be whole.
    r.client_ip = peer_text_;
    if (parser_.in_message()) {
      r.method = head.method;
      r.path = head.path();
      r.query = head.query();
      r.uri = head.origin_form();
    }
  }
  if (route_ != nullptr) {
    r.route = route_->name;
    if (upstream_target_ != kNoTarget && route_->upstream_index < config.upstreams.size()) {
      const config::UpstreamConfig& upstream = config.upstreams[route_->upstream_index];
      r.upstream = upstream.name;
      if (upstream_target_ < upstream.targets.size()) r.upstream_address = upstream.targets[upstream_target_].text;
      const auto end = upstream_end_ != std::chrono::steady_clock::time_point{} ? upstream_end_ : now;
      r.upstream_duration = std::chrono::duration_cast<std::chrono::nanoseconds>(end - upstream_start_);
    }
  }
  if (stream_.is_tls() && stream_.ssl() != nullptr) {
    r.tls_version = SSL_get_version(stream_.ssl());
    r.tls_resumed = SSL_session_reused(stream_.ssl()) == 1;
  }
  if (const policy::VerifiedClaims* claims = policy::verified_claims(*this)) r.claims = &claims->claims;

  // One buffer per worker thread, reused: formatting allocates nothing once
  // it has grown to the longest line.
  thread_local std::string line;
  line.clear();
  access_log::format_line(settings.format, r, line);
  settings.writer->submit(line);
}

}  // namespace gatehouse
