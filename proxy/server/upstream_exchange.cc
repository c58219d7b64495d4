// Upstream side of DownstreamConnection: choosing and connecting an upstream
// connection, sending the request (head, then the body as it arrives) and
// streaming the response back to the client.
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/write.hpp>

#include "proxy/common/log.h"
#include "proxy/http/http_date.h"
#include "proxy/http/serializer.h"
#include "proxy/server/downstream_connection.h"
#include "proxy/server/forwarding_headers.h"
#include "proxy/server/worker.h"
#include "proxy/tls/client_context.h"

namespace gatehouse {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace

void DownstreamConnection::connect_upstream() {
  state_ = State::kConnecting;
  ++upstream_attempt_;
  UpstreamPool& pool = serving_->pool(route_->upstream_index);
  // A request that can be sent again on a fresh connection if a reused one
  // turns out closed (retry_on_fresh_connection) may reuse any pooled
  // connection, unprobed when it was idle only for a moment; others only
  // recently used ones (UpstreamPool::acquire).
  upstream_ = pool.acquire(tried_targets_, request_can_be_resent());
  if (!upstream_) {
    if (tried_targets_ == 0) {
      upstream_failed(503, "no healthy upstream target");
    } else if (last_connect_timed_out_) {
      upstream_failed(504, "timed out connecting to the upstream");
    } else {
      upstream_failed(502, "the upstream refused the connection");
    }
    return;
  }
  upstream_start_ = Clock::now();
  upstream_target_ = upstream_->target();
  if (upstream_->socket().is_open()) {
    begin_forwarding();
    return;
  }
  upstream_deadline_.arm(pool.config().connect_timeout, shared_from_this());
  upstream_->socket().async_connect(
      pool.endpoint(upstream_->target()),
      [self = shared_from_this(), attempt = upstream_attempt_](const boost::system::error_code& ec) {
        if (attempt != self->upstream_attempt_) return;
        self->on_upstream_connected(ec);
      });
}

void DownstreamConnection::on_upstream_connected(const boost::system::error_code& ec) {
  HandlerScope scope(*this);
  if (state_ != State::kConnecting) return;
  upstream_deadline_.disarm();
  if (ec) {
    serving_->snapshot->upstream_metrics(route_->upstream_index).connect_errors->Increment();
    std::size_t target = upstream_->target();
    serving_->pool(route_->upstream_index).report_connect_failure(target);
    if (target < 64) tried_targets_ |= std::uint64_t{1} << target;
    discard_upstream();
    connect_upstream();  // the next target, or the verdict
    return;
  }
  boost::system::error_code ignored;
  upstream_->socket().set_option(boost::asio::ip::tcp::no_delay(true), ignored);
  const UpstreamPool& pool = serving_->pool(route_->upstream_index);
  const config::UpstreamTarget& target = pool.config().targets[upstream_->target()];
  if (!target.tls) {
    begin_forwarding();
    return;
  }
  // The handshake runs under the connect timeout, still armed.
  SSL* ssl = pool.config().tls->new_connection(target.host);
  if (ssl == nullptr) {
    on_upstream_tls_failed(boost::asio::error::no_memory);
    return;
  }
  upstream_->stream().start_tls(ssl);
  upstream_deadline_.arm(pool.config().connect_timeout, shared_from_this());
  upstream_->stream().tls()->async_handshake(
      boost::asio::ssl::stream_base::client,
      [self = shared_from_this(), attempt = upstream_attempt_](const boost::system::error_code& ec) {
        if (attempt != self->upstream_attempt_ || self->state_ != State::kConnecting) return;
        self->upstream_deadline_.disarm();
        if (ec) {
          self->on_upstream_tls_failed(ec);
          return;
        }
        self->begin_forwarding();
      });
}

void DownstreamConnection::on_upstream_tls_failed(const boost::system::error_code& ec) {
  // Counted and tried like a refused connection: the next target may be
  // fine, and a target with a bad certificate must not take traffic.
  serving_->snapshot->upstream_metrics(route_->upstream_index).connect_errors->Increment();
  const std::size_t target = upstream_->target();
  serving_->pool(route_->upstream_index).report_connect_failure(target);
  if (target < 64) tried_targets_ |= std::uint64_t{1} << target;
  // Logged every time, as nginx does: a certificate problem is the operator's to fix.
  log_warn("TLS handshake with upstream `" + route_->upstream + "` target " +
           serving_->pool(route_->upstream_index).config().targets[target].text + " failed: " + ec.message());
  discard_upstream();
  connect_upstream();
}

void DownstreamConnection::build_upstream_head() {
  http::RequestHead& head = parser_.head();
  http::HeaderMap& headers = head.headers;
  remove_hop_by_hop(headers);
  headers.remove("expect");  // we answered 100-continue ourselves
  const config::ListenerConfig& listener = serving_->config().listeners[listener_index_];
  bool trusted = !listener.trusted_proxies.empty() && any_contains(listener.trusted_proxies, peer_);
  add_forwarded_headers(headers, {.peer = peer_, .peer_text = peer_text_, .peer_trusted = trusted, .proto = stream_.is_tls() ? "https" : "http"});
  if (!headers.contains("host")) {
    // HTTP/1.0 allowed a request without Host; HTTP/1.1 upstreams need one.
    headers.add("Host", serving_->config().upstreams[route_->upstream_index].targets[upstream_->target()].text);
  }
  if (head.framing == http::BodyFraming::kChunked) {
    headers.remove("content-length");
    headers.add("Transfer-Encoding", "chunked");
  }
  upstream_head_.clear();
  http::append_request_head(upstream_head_, head.method, head.origin_form(), headers);
}

void DownstreamConnection::begin_forwarding() {
  state_ = State::kForwarding;
  upstream_->parser().expect_response_to(parser_.head().method_id);
  if (upstream_head_.empty()) build_upstream_head();  // a retry reuses it
  upstream_head_pending_ = true;
  upstream_deadline_.arm(serving_->pool(route_->upstream_index).config().timeout, shared_from_this());
  if (parser_.head().expect_continue && !request_complete_ && !interim_sent_) {
    // Tell the client to send the body before any response bytes can race it.
    interim_sent_ = true;
    stream_.async_write(boost::asio::buffer(kContinue),
                             [self = shared_from_this(), attempt = upstream_attempt_](
                                 const boost::system::error_code& ec, std::size_t n) {
                               self->bytes_sent_ += n;
                               if (self->state_ == State::kClosed) return;
                               if (ec) {
                                 self->close();
                                 return;
                               }
                               if (attempt != self->upstream_attempt_) return;
                               self->read_upstream();
                               self->forward_request_body();
                             });
    return;
  }
  if (parser_.head().framing == http::BodyFraming::kNone) {
    // The request goes out in one write; reading once it is written finds
    // the response sooner, instead of first finding an empty socket.
    read_after_write_ = true;
  } else {
    read_upstream();  // an early answer may cut a long body short
  }
  forward_request_body();
}

void DownstreamConnection::forward_request_body() {
  upstream_batch_.clear();
  if (upstream_head_pending_) upstream_batch_.add_view(upstream_head_);
  const bool chunked = parser_.head().framing == http::BodyFraming::kChunked;
  if (!request_complete_) {
    spans_.clear();
    http::ParseStep step = parser_.parse(in_.pending(), spans_);
    in_.consume(step.consumed);
    if (step.status == http::ParseStatus::kError) {
      keep_alive_ = false;
      if (response_started_) {
        close();
      } else {
        release_upstream(false);
        send_error(400, parser_.error_reason());
      }
      return;
    }
    for (std::string_view span : spans_) {
      request_body_bytes_ += span.size();
      upstream_batch_.add_body(span, chunked);
    }
    if (request_body_bytes_ > body_limit_) {
      keep_alive_ = false;
      if (response_started_) {
        close();
      } else {
        release_upstream(false);
        send_error(413, "request body exceeds the route's body size limit");
      }
      return;
    }
    if (step.status == http::ParseStatus::kMessageComplete) {
      request_complete_ = true;
      if (chunked) upstream_batch_.add_last_chunk();
      if (upstream_head_pending_) keep_request_for_resend();
    }
  }
  if (upstream_batch_.empty()) {
    in_.clear();  // all consumed; wait for more body bytes
    client_deadline_.arm(serving_->config().listeners[listener_index_].idle_timeout, shared_from_this());
    read_client();
    return;
  }
  upstream_head_pending_ = false;
  upstream_write_pending_ = true;
  write(upstream_->stream(), upstream_batch_.buffers(),
        FinishedWrite::upstream_request(request_complete_, upstream_attempt_));
}

bool DownstreamConnection::body_may_be_kept(std::uint64_t body_bytes) const noexcept {
  // An idempotent method (RFC 9110 §9.2.2) with a body small enough to
  // copy: nginx resends such requests on its next connection too, from its
  // buffered body.
  constexpr std::uint64_t kResendableBody = 64 * 1024;
  return http::is_idempotent_method(parser_.head().method_id) && body_bytes <= kResendableBody;
}

bool DownstreamConnection::request_can_be_resent() const noexcept {
  const http::RequestHead& head = parser_.head();
  if (head.framing == http::BodyFraming::kNone || body_in_upstream_head_) return true;
  // A Content-Length body already read whole: keep_request_for_resend
  // will keep it.
  return head.framing == http::BodyFraming::kContentLength && body_may_be_kept(head.content_length) &&
         !request_complete_ && in_.pending().size() >= head.content_length;
}

void DownstreamConnection::keep_request_for_resend() {
  // Only where a resend can happen (a reused connection) and may.
  if (upstream_->requests_served() == 0 || !body_may_be_kept(request_body_bytes_)) return;
  std::string whole;
  whole.reserve(upstream_head_.size() + request_body_bytes_ + 64);
  upstream_batch_.append_to(whole);
  upstream_head_.swap(whole);
  upstream_batch_.clear();
  upstream_batch_.add_view(upstream_head_);
  body_in_upstream_head_ = true;
}

void DownstreamConnection::on_upstream_written(const boost::system::error_code& ec, bool request_complete) {
  upstream_write_pending_ = false;
  if (state_ != State::kForwarding) return;
  if (read_after_write_) {
    read_after_write_ = false;
    read_upstream();  // on a failed write too: the read side decides what follows
  }
  if (ec) {
    // The read side sees the same failure and decides (retry, 502, or the
    // early response the upstream sent before closing).
    keep_alive_ = keep_alive_ && request_complete;
    return;
  }
  if (request_complete) {
    request_sent_ = true;
    if (finish_pending_) finish_response();
    return;
  }
  in_.clear();  // the written body bytes are no longer needed
  client_deadline_.arm(serving_->config().listeners[listener_index_].idle_timeout, shared_from_this());
  read_client();
}

void DownstreamConnection::read_upstream() {
  upstream_->buffer().compact();
  upstream_->stream().async_read_some(
      boost::asio::buffer(upstream_->buffer().free_space(), upstream_->buffer().free_size()),
      [self = shared_from_this(), attempt = upstream_attempt_](const boost::system::error_code& ec,
                                                               std::size_t n) {
        if (attempt != self->upstream_attempt_) return;
        self->on_upstream_read(ec, n);
      });
}

void DownstreamConnection::on_upstream_read(const boost::system::error_code& ec, std::size_t n) {
  HandlerScope scope(*this);
  if (state_ != State::kForwarding) return;
  if (ec && ec != boost::asio::error::eof) {
    if (retry_on_fresh_connection()) return;
    upstream_failed(502, "the upstream connection failed");
    return;
  }
  if (!ec) {
    upstream_->buffer().commit(n);
    upstream_deadline_.arm(serving_->pool(route_->upstream_index).config().timeout, shared_from_this());
  }
  process_upstream_input(ec == boost::asio::error::eof);
}

void DownstreamConnection::process_upstream_input(bool upstream_eof) {
  // A released held body and the interim responses have been written by now
  // (this runs after each client write completes).
  if (!holding_ && !held_body_.empty()) std::string().swap(held_body_);
  interim_heads_.clear();
  http::ResponseParser& rp = upstream_->parser();
  response_spans_.clear();
  for (;;) {
    http::ParseStep step = rp.parse(upstream_->buffer().pending(), response_spans_);
    upstream_->buffer().consume(step.consumed);
    if (step.status == http::ParseStatus::kError) {
      if (retry_after_stray_bytes()) return;
      upstream_failed(502, "the upstream sent an invalid response");
      return;
    }
    if (step.status == http::ParseStatus::kNeedMore) break;
    const int status = rp.head().status;
    if (status < 200) {
      if (status == 101) {
        upstream_failed(502, "the upstream switched protocols, which this route does not proxy");
        return;
      }
      // Once, when its head is parsed (the same 1xx completes in the next step).
      if (step.status == http::ParseStatus::kHeadComplete) forward_interim_response(rp.head());
      continue;
    }
    if (!response_started_) prepare_response_head();
    if (step.status == http::ParseStatus::kMessageComplete) {
      response_complete_ = true;
      break;
    }
  }
  if (upstream_eof && !response_complete_) {
    if (rp.finish() == http::ParseStatus::kMessageComplete && response_started_) {
      response_complete_ = true;  // a close-delimited body ended
    } else {
      if (!response_started_ && retry_on_fresh_connection()) return;
      upstream_failed(502, "the upstream closed the connection before a complete response");
      return;
    }
  }
  bool released = false;  // the held body goes out in this round's write
  if (holding_) {
    for (std::string_view span : response_spans_) held_body_.append(span);
    if (held_body_.size() > hold_limit_) {
      release_held_response();
      released = true;
    } else if (response_complete_) {
      complete_held_response();
    }
  }
  if (response_complete_) {
    upstream_end_ = Clock::now();
    serving_->snapshot->upstream_metrics(route_->upstream_index)
        .duration->observe(std::chrono::duration<double>(upstream_end_ - upstream_start_).count());
    record_request_metrics();
  }
  client_batch_.clear();
  if (!interim_heads_.empty()) client_batch_.add_view(interim_heads_);
  if (response_head_pending_) {
    client_batch_.add_view(response_head_);
    response_head_pending_ = false;
  }
  if (body_observer_) {
    for (std::string_view span : response_spans_) body_observer_->on_body(span);
    if (response_complete_) {
      body_observer_->on_complete();
      body_observer_.reset();
    }
  }
  if (replacement_body_) {
    const std::string_view replacement = replacement_slice_.of(replacement_body_.bytes());
    if (response_complete_ && !replacement.empty() && !http::status_forbids_body(response_status_) &&
        parser_.head().method_id != http::Method::kHead) {
      client_batch_.add_view(replacement);
    }
  } else if (holding_) {
    // Nothing is sent until the whole body is in (or the limit is passed).
  } else if (released) {
    // What was held goes first; this round's spans are in it.
    client_batch_.add_body(held_body_, response_chunked_);
    if (response_complete_ && response_chunked_) client_batch_.add_last_chunk();
  } else {
    for (std::string_view span : response_spans_) client_batch_.add_body(span, response_chunked_);
    if (response_complete_ && response_chunked_) client_batch_.add_last_chunk();
  }
  if (client_batch_.empty()) {
    if (response_complete_) {
      finish_response();
    } else {
      read_upstream();
    }
    return;
  }
  client_deadline_.arm(serving_->config().listeners[listener_index_].idle_timeout, shared_from_this());
  write(stream_, client_batch_.buffers(), FinishedWrite::client_response());
}

void DownstreamConnection::forward_interim_response(http::ResponseHead& head) {
  // RFC 9110 §15.2: a proxy forwards 1xx responses (102 Processing, 103
  // Early Hints), but not to an HTTP/1.0 client, which cannot read them, nor
  // 100 Continue, which the gateway answers the client itself
  // (begin_forwarding). They are never stored: the cache sees only the
  // final response.
  if (head.status == 100 || parser_.head().version_minor == 0) return;
  remove_hop_by_hop(head.headers);
  append_to_list(head.headers, "Via", kViaEntry);
  http::append_response_head(interim_heads_, head.status, head.reason, head.headers);
}

void DownstreamConnection::prepare_response_head() {
  http::ResponseHead& head = upstream_->parser().head();
  const http::RequestHead& request = parser_.head();
  remove_hop_by_hop(head.headers);
  append_to_list(head.headers, "Via", kViaEntry);
  // Before the policies: a cache stores the Date it forwards.
  http::add_date_if_missing(head.headers);
  head.headers.set("X-Request-Id", request_id_);
  run_response_policies(head);
  response_status_ = head.status;
  response_started_ = true;
  if (held_handler_) {
    if (!replacement_body_ && request.method_id != http::Method::kHead && !http::status_forbids_body(head.status)) {
      // The head waits for the body (complete_held_response).
      holding_ = true;
      held_body_.clear();
      if (head.framing == http::BodyFraming::kContentLength && head.content_length <= hold_limit_) {
        held_body_.reserve(static_cast<std::size_t>(head.content_length));
      }
      return;
    }
    held_handler_.reset();
  }
  frame_response_head(head);
}

void DownstreamConnection::frame_response_head(http::ResponseHead& head) {
  const http::RequestHead& request = parser_.head();
  response_chunked_ = false;
  if (replacement_body_) {
    // Sent once the upstream's body has been read and dropped.
    http::set_content_length(head, replacement_slice_.of(replacement_body_.bytes()).size());
  } else if (head.framing == http::BodyFraming::kChunked || head.framing == http::BodyFraming::kUntilClose) {
    head.headers.remove("content-length");
    if (request.version_minor >= 1) {
      head.headers.add("Transfer-Encoding", "chunked");
      response_chunked_ = true;
    } else {
      keep_alive_ = false;  // an HTTP/1.0 client reads to the close
    }
  }
  // A request body still unread when the response starts would have to be
  // discarded; closing afterwards is simpler and always safe.
  if (!request_complete_ || draining_ || worker_.draining()) keep_alive_ = false;
  if (!keep_alive_) {
    head.headers.set("Connection", "close");
  } else if (request.version_minor == 0) {
    head.headers.set("Connection", "keep-alive");
  }
  response_head_.clear();
  http::append_response_head(response_head_, head.status, head.reason, head.headers);
  response_head_pending_ = true;
}

void DownstreamConnection::complete_held_response() {
  holding_ = false;
  http::ResponseHead& head = upstream_->parser().head();
  std::unique_ptr<policy::HeldResponseHandler> handler = std::move(held_handler_);
  handler->on_whole_body(head, held_body_);
  response_status_ = head.status;
  // Sent as a replacement body: framed by Content-Length, none for 304.
  replacement_body_ = policy::SharedBody::of(std::move(held_body_));
  replacement_slice_ = {};
  held_body_.clear();
  frame_response_head(head);
}

void DownstreamConnection::release_held_response() {
  holding_ = false;
  held_handler_.reset();
  frame_response_head(upstream_->parser().head());
}

void DownstreamConnection::on_client_written(const boost::system::error_code& ec) {
  if (state_ == State::kClosed) return;
  if (ec) {
    close();
    return;
  }
  if (response_complete_) {
    finish_response();
    return;
  }
  read_upstream();
}

void DownstreamConnection::finish_response() {
  if (upstream_write_pending_ && request_complete_) {
    finish_pending_ = true;  // the last body bytes are still on their way up
    return;
  }
  finish_pending_ = false;
  upstream_deadline_.disarm();
  client_deadline_.disarm();
  bool reusable = request_sent_ && upstream_->parser().head().keep_alive && upstream_->buffer().empty();
  upstream_->count_request();
  release_upstream(reusable);
  if (!request_sent_) keep_alive_ = false;
  finish_exchange();
}

bool DownstreamConnection::retry_on_fresh_connection() {
  // A pooled connection the upstream closed just as we reused it: nothing
  // was processed, so one more try on a new connection is safe.
  if (!upstream_ || upstream_->parser().in_message()) return false;
  return resend_on_fresh_connection();
}

bool DownstreamConnection::retry_after_stray_bytes() {
  if (!http::is_safe_method(parser_.head().method_id)) return false;
  return resend_on_fresh_connection();
}

bool DownstreamConnection::resend_on_fresh_connection() {
  // Only while the whole request is still in hand (no body, or one kept by
  // keep_request_for_resend), and never twice: a fresh connection has
  // served no request before.
  if (!upstream_ || upstream_->requests_served() == 0 || response_started_) return false;
  if (parser_.head().framing != http::BodyFraming::kNone && !body_in_upstream_head_) return false;
  discard_upstream();
  connect_upstream();
  return true;
}

void DownstreamConnection::upstream_failed(int status, std::string_view message) {
  upstream_deadline_.disarm();
  release_upstream(false);
  if (response_started_) {
    close();  // the client sees a truncated response, never a forged end
    return;
  }
  if (!request_complete_) keep_alive_ = false;
  send_error(status, message);
}

void DownstreamConnection::on_upstream_deadline() {
  if (state_ == State::kConnecting && upstream_) {
    last_connect_timed_out_ = true;
    boost::system::error_code ignored;
    upstream_->socket().close(ignored);  // completes the connect with an error
    return;
  }
  if (state_ == State::kForwarding) upstream_failed(504, "the upstream did not answer in time");
}

void DownstreamConnection::discard_upstream() {
  if (!upstream_) return;
  if (!upstream_->stream().is_tls()) {
    upstream_.reset();  // a plain socket's pending operations own what they touch
    return;
  }
  // An operation pending on an SSL stream still uses the stream's state when
  // it completes, so the connection must outlive it: closing queues the
  // cancelled operations' completions now, and the connection is freed by a
  // handler queued after them.
  upstream_->stream().close();
  std::shared_ptr<UpstreamConnection> retired(std::move(upstream_));
  boost::asio::post(stream_.socket().get_executor(), [retired] {});
}

void DownstreamConnection::release_upstream(bool reusable) {
  if (!upstream_) return;
  ++upstream_attempt_;  // late completions of this connection are now stale
  if (reusable && route_ != nullptr) {
    serving_->pool(route_->upstream_index).release(std::move(upstream_));
  } else {
    discard_upstream();
  }
}

}  // namespace gatehouse
