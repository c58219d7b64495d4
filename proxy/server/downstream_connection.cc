// Client side of DownstreamConnection: reading and parsing requests, routing,
// running request-phase policies, local replies and the connection's life.
#include "proxy/server/downstream_connection.h"

#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <openssl/err.h>

#include "proxy/http/error_response.h"
#include "proxy/http/header_map_pool.h"
#include "proxy/http/http_date.h"
#include "proxy/http/serializer.h"
#include "proxy/server/forwarding_headers.h"
#include "proxy/server/worker.h"
#include "proxy/tls/server_context.h"
#include "proxy/upstream/upstream_fetch.h"

namespace gatehouse {
namespace {

using Clock = std::chrono::steady_clock;

http::RequestLimits limits_of(const config::ListenerConfig& listener) {
  return {.max_head_bytes = listener.max_header_size, .max_uri_bytes = listener.max_uri_size};
}

// After an error reply the client may still be sending (a body we refused);
// reading it for a while lets the reply arrive instead of being lost to a
// reset (nginx's lingering close).
constexpr std::chrono::seconds kLingerTime{2};
constexpr std::size_t kLingerMaxBytes = 1024 * 1024;

}  // namespace

DownstreamConnection::DownstreamConnection(Worker& worker, boost::asio::ip::tcp::socket socket,
                                           const boost::asio::ip::address& peer, std::size_t listener_index)
    : worker_(worker),
      stream_(std::move(socket)),
      listener_index_(listener_index),
      in_(kReadBufferSize),
      parser_(limits_of(worker.state()->config().listeners[listener_index])),
      client_deadline_(stream_.socket().get_executor(), kClientDeadline),
      upstream_deadline_(stream_.socket().get_executor(), kUpstreamDeadline),
      serving_(worker.state()) {
  peer_ = peer;
  if (peer_.is_v6() && peer_.to_v6().is_v4_mapped()) {
    peer_ = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, peer_.to_v6());
  }
  peer_text_ = peer_.to_string();
  worker_.add(this);
  worker_.metrics().active_connections().Increment();
}

DownstreamConnection::~DownstreamConnection() {
  worker_.metrics().active_connections().Decrement();
  worker_.remove(this);
}

void DownstreamConnection::start() {
  const config::ListenerConfig& listener = serving_->config().listeners[listener_index_];
  // The handshake and the first request head share the header timeout.
  client_deadline_.arm(listener.header_timeout, shared_from_this());
  if (listener.tls) {
    start_tls_handshake();
    return;
  }
  read_client();
}

void DownstreamConnection::start_tls_handshake() {
  tls_context_ = serving_->config().listeners[listener_index_].tls;
  SSL* ssl = tls_context_->new_connection();
  if (ssl == nullptr) {
    close();
    return;
  }
  stream_.start_tls(ssl);
  state_ = State::kHandshake;
  stream_.tls()->async_handshake(boost::asio::ssl::stream_base::server,
                                 [self = shared_from_this()](const boost::system::error_code& ec) {
                                   self->on_tls_handshake(ec);
                                 });
}

void DownstreamConnection::on_tls_handshake(const boost::system::error_code& ec) {
  if (state_ != State::kHandshake) return;  // closed (drain, abort) meanwhile
  tls_context_.reset();
  if (ec) {
    const config::ListenerConfig& listener = serving_->config().listeners[listener_index_];
    // A client that connects and leaves without a word (a port check) is
    // not a failed handshake.
    if (ec != boost::asio::error::eof) {
      const unsigned long reason = ec.category() == boost::asio::error::get_ssl_category()
                                       ? static_cast<unsigned long>(ERR_GET_REASON(static_cast<unsigned long>(ec.value())))
                                       : 0;
      if (listener.tls_counters.enabled()) {
        listener.tls_counters.count(tls::classify_handshake_error(reason, /*timed_out=*/false));
      }
    }
    close();
    return;
  }
  const config::ListenerConfig& listener = serving_->config().listeners[listener_index_];
  if (listener.tls_counters.enabled()) listener.tls_counters.count_completed(SSL_session_reused(stream_.ssl()) == 1);
  client_subject_ = tls::verified_client_subject(stream_.ssl());
  state_ = State::kReadingHead;
  read_client();
}

void DownstreamConnection::drain() {
  draining_ = true;
  if ((state_ == State::kReadingHead && !parser_.in_message()) || state_ == State::kHandshake) close();
}

void DownstreamConnection::abort() { close(); }

void DownstreamConnection::read_client() {
  in_.compact();
  reading_client_ = true;
  stream_.async_read_some(
      boost::asio::buffer(in_.free_space(), in_.free_size()),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        self->on_client_read(ec, n);
      });
}

void DownstreamConnection::on_client_read(const boost::system::error_code& ec, std::size_t n) {
  HandlerScope scope(*this);
  reading_client_ = false;
  if (state_ == State::kClosed) return;
  if (state_ == State::kLocalReply) return;  // the reply closes the connection
  if (state_ == State::kLingering) {
    linger_read(n);
    return;
  }
  if (ec) {
    close();  // the client went away (between requests, or mid-request)
    return;
  }
  in_.commit(n);
  if (state_ == State::kReadingHead) {
    parse_head();
  } else if (state_ == State::kForwarding && !request_complete_) {
    forward_request_body();
  }
}

void DownstreamConnection::parse_head() {
  for (;;) {
    spans_.clear();
    const bool was_in_message = parser_.in_message();
    http::ParseStep step = parser_.parse(in_.pending(), spans_);
    in_.consume(step.consumed);
    switch (step.status) {
      case http::ParseStatus::kNeedMore:
        in_.clear();  // the parser copied what it needs
        if (parser_.in_message() && !was_in_message) {
          // A head has begun: it must now complete within header_timeout.
          client_deadline_.arm(serving_->config().listeners[listener_index_].header_timeout,
                               shared_from_this());
        }
        read_client();
        return;
      case http::ParseStatus::kHeadComplete:
        on_request_head();
        return;
      case http::ParseStatus::kMessageComplete:
        continue;  // the tail of a previous body-less message; go on
      case http::ParseStatus::kError:
        keep_alive_ = false;
        worker_.request_ids().next(request_id_);
        begin_unparsed_exchange();
        send_error(parser_.error_status(), parser_.error_reason());
        return;
    }
  }
}

void DownstreamConnection::on_request_head() {
  ++exchange_id_;
  request_start_ = Clock::now();
  serving_ = worker_.state();
  client_deadline_.disarm();
  http::RequestHead& head = parser_.head();
  route_ = nullptr;
  policies_ran_ = 0;
  request_data_.clear();
  body_observer_.reset();
  replacement_body_.reset();
  held_handler_.reset();
  holding_ = false;
  keep_alive_ = head.keep_alive && !draining_;
  request_complete_ = head.framing == http::BodyFraming::kNone;
  request_sent_ = false;
  response_started_ = false;
  response_complete_ = false;
  response_chunked_ = false;
  response_head_pending_ = false;
  upstream_write_pending_ = false;
  read_after_write_ = false;
  finish_pending_ = false;
  interim_sent_ = false;
  upstream_head_.clear();
  body_in_upstream_head_ = false;
  last_connect_timed_out_ = false;
  response_status_ = 0;
  request_body_bytes_ = 0;
  tried_targets_ = 0;
  log_state_ = LogState::kParsedHead;
  bytes_sent_ = 0;
  upstream_target_ = kNoTarget;
  upstream_end_ = {};
  response_head_.clear();  // so a line never shows the previous response's headers

  const std::string* supplied_id = head.headers.find("x-request-id");
  if (supplied_id != nullptr && is_acceptable_request_id(*supplied_id)) {
    request_id_ = *supplied_id;
  } else {
    worker_.request_ids().next(request_id_);
    head.headers.set("X-Request-Id", request_id_);
  }
  if (request_complete_) {
    // Let the parser reach the end of this body-less message now (it
    // consumes no bytes), so the next pipelined request starts cleanly and
    // checks llhttp makes only after the head still count.
    spans_.clear();
    if (parser_.parse(in_.pending(), spans_).status == http::ParseStatus::kError) {
      keep_alive_ = false;
      send_error(parser_.error_status(), parser_.error_reason());
      return;
    }
  }
  const config::ListenerConfig& listener = serving_->config().listeners[listener_index_];
  gatehouse::client_address(head.headers, peer_, peer_text_, listener.trusted_proxies, client_address_);
  if (listener.redirect_to_https_port) {
    redirect_to_https(*listener.redirect_to_https_port);
    return;
  }
  if (!listener.client_subject_header.empty()) {
    // Only the verified subject, never what the client wrote, goes upstream.
    head.headers.remove(listener.client_subject_header);
    if (!client_subject_.empty()) head.headers.set(listener.client_subject_header, client_subject_);
  }

  if (head.method_id == http::Method::kConnect) {
    keep_alive_ = false;
    send_error(405, "CONNECT is not supported");
    return;
  }
  const std::string* host = head.headers.find("host");
  route_ = serving_->snapshot->router().match(host != nullptr ? std::string_view(*host) : std::string_view(),
                                     head.path(), head.method_id);
  if (route_ == nullptr) {
    if (!request_complete_) keep_alive_ = false;
    send_error(404, "no route matches this request");
    return;
  }
  if (head.framing == http::BodyFraming::kContentLength && head.content_length > route_->max_body_size) {
    keep_alive_ = false;
    send_error(413, "request body exceeds the route's max_body_size");
    return;
  }
  body_limit_ = route_->max_body_size;
  state_ = State::kPolicies;
  apply_outcome(route_->policies.run_request(*this, policies_ran_));
}

void DownstreamConnection::redirect_to_https(std::uint16_t port) {
  const http::RequestHead& head = parser_.head();
  const std::string* host_header = head.headers.find("host");
  std::string_view host = host_header != nullptr ? std::string_view(*host_header) : std::string_view();
  // Drop the port: "[v6]:80" keeps its brackets, "name:80" loses ":80".
  if (const std::size_t colon = host.rfind(':');
      colon != std::string_view::npos && host.find(']', colon) == std::string_view::npos) {
    host = host.substr(0, colon);
  }
  std::string location = "https://";
  location.append(host);
  if (port != 443) {
    location.push_back(':');
    http::append_decimal(location, port);
  }
  location.append(head.origin_form());
  policy::LocalReply reply;
  reply.status = 308;
  reply.headers.set("Location", location);
  if (!request_complete_) keep_alive_ = false;
  send_local_reply(std::move(reply));
}

void DownstreamConnection::apply_outcome(policy::RequestOutcome outcome) {
  switch (outcome.kind()) {
    case policy::RequestOutcome::Kind::kProceed:
      connect_upstream();
      return;
    case policy::RequestOutcome::Kind::kPause:
      state_ = State::kPolicies;
      return;
    case policy::RequestOutcome::Kind::kRespond: {
      std::unique_ptr<policy::LocalReply> reply = outcome.take_reply();
      if (!outcome.error_code().empty()) {
        reply->body = http::json_error_body(outcome.error_code(), outcome.error_message(), request_id_);
      }
      if (!request_complete_) keep_alive_ = false;
      send_local_reply(std::move(*reply));
      return;
    }
  }
}

void DownstreamConnection::resume_request(std::uint64_t exchange_id, policy::RequestOutcome outcome) {
  if (exchange_id != exchange_id_ || state_ != State::kPolicies) return;
  apply_outcome(route_->policies.resume(*this, policies_ran_, std::move(outcome)));
}

void DownstreamConnection::set_data(const void* key, std::unique_ptr<policy::RequestData> data) {
  for (auto& [k, d] : request_data_) {
    if (k == key) {
      d = std::move(data);
      return;
    }
  }
  request_data_.emplace_back(key, std::move(data));
}

void DownstreamConnection::observe_response_body(std::unique_ptr<policy::ResponseBodyObserver> observer) {
  if (in_response_phase_) body_observer_ = std::move(observer);
}

void DownstreamConnection::replace_response_body(policy::SharedBody body, policy::BodySlice slice) {
  if (!in_response_phase_) return;
  replacement_body_ = std::move(body);
  replacement_slice_ = slice;
}

void DownstreamConnection::hold_response(std::size_t max_body, std::unique_ptr<policy::HeldResponseHandler> handler) {
  if (!in_response_phase_) return;
  held_handler_ = std::move(handler);
  hold_limit_ = max_body;
}

void DownstreamConnection::fetch_in_background(http::FetchRequest request,
                                               std::function<void(http::FetchResult)> done) {
  if (route_ == nullptr) return;
  // The fetch holds the ServingState, so the pool it uses outlives it even
  // when a reload replaces the state meanwhile.
  fetch_from_upstream(serving_->pool(route_->upstream_index), serving_, std::move(request), std::move(done));
}

policy::RequestData* DownstreamConnection::data(const void* key) {
  for (auto& [k, d] : request_data_) {
    if (k == key) return d.get();
  }
  return nullptr;
}

void DownstreamConnection::send_error(int status, std::string_view message) {
  policy::LocalReply reply;
  reply.status = status;
  reply.body = http::json_error_body(http::error_code_for_status(status), message, request_id_);
  send_local_reply(std::move(reply));
}

void DownstreamConnection::send_local_reply(policy::LocalReply reply) {
  state_ = State::kLocalReply;
  if (draining_ || worker_.draining()) keep_alive_ = false;
  local_body_ = std::move(reply.body);
  local_shared_body_ = std::move(reply.shared_body);
  policy::BodySlice shared_slice = reply.shared_slice;
  http::ResponseHead& head = local_head_;
  head.clear();
  head.status = reply.status;
  // The reply's fields become the head's; the head's own map (cleared, its
  // slots' strings still allocated) goes to the pool, for the next reply a
  // policy builds with take_header_map().
  std::swap(head.headers, reply.headers);
  http::recycle_header_map(std::move(reply.headers));
  const bool has_own_body =
      local_shared_body_ ? !shared_slice.of(local_shared_body_.bytes()).empty() : !local_body_.empty();
  if (has_own_body && !reply.content_type.empty()) head.headers.set("Content-Type", reply.content_type);
  http::add_date_if_missing(head.headers);  // a stored response served keeps its own
  head.headers.set("X-Request-Id", request_id_);
  run_response_policies(head);
  body_observer_.reset();  // a local reply is never observed (policy.h)
  held_handler_.reset();   // nor held
  if (replacement_body_) {
    local_shared_body_ = std::move(replacement_body_);
    shared_slice = replacement_slice_;
  }
  const std::string_view body =
      local_shared_body_ ? shared_slice.of(local_shared_body_.bytes()) : std::string_view(local_body_);
  if (!reply.keep_content_length || parser_.head().method_id != http::Method::kHead) {
    http::set_content_length(head, body.size());
  }
  response_status_ = head.status;
  if (!keep_alive_) {
    head.headers.set("Connection", "close");
  } else if (parser_.head().version_minor == 0) {
    head.headers.set("Connection", "keep-alive");
  }
  response_head_.clear();
  http::append_response_head(response_head_, head.status, {}, head.headers);
  client_batch_.clear();
  client_batch_.add_view(response_head_);
  if (!body.empty() && !http::status_forbids_body(head.status) && parser_.head().method_id != http::Method::kHead) client_batch_.add_view(body);
  client_deadline_.arm(serving_->config().listeners[listener_index_].idle_timeout, shared_from_this());
  record_request_metrics();
  write(stream_, client_batch_.buffers(), FinishedWrite::local_reply());
}

void DownstreamConnection::run_response_policies(http::ResponseHead& head) {
  if (route_ == nullptr) return;
  in_response_phase_ = true;
  route_->policies.run_response(*this, head, policies_ran_);
  in_response_phase_ = false;
}

void DownstreamConnection::on_response_sent() { finish_exchange(); }

void DownstreamConnection::record_request_metrics() {
  // Recorded as the last bytes are handed to the socket rather than when the
  // write completes, so a client that has read its response (a test, a
  // health checker) always finds it counted.
  RouteMetrics& metrics =
      route_ != nullptr ? serving_->snapshot->route_metrics(*route_) : serving_->snapshot->unmatched_metrics();
  metrics.count_request(parser_.head().method_id, response_status_);
  metrics.observe_duration(std::chrono::duration<double>(Clock::now() - request_start_).count());
}

void DownstreamConnection::finish_exchange() {
  log_exchange();
  release_upstream(false);
  body_observer_.reset();
  replacement_body_.reset();
  held_handler_.reset();
  holding_ = false;
  std::string().swap(held_body_);
  local_shared_body_.reset();
  // A request kept whole for a resend may have grown the head buffer to
  // its body's size: an idle keep-alive connection does not hold on to it.
  // (Not while a failed exchange's write may still read from it.)
  if (body_in_upstream_head_ && !upstream_write_pending_) std::string().swap(upstream_head_);
  if (!keep_alive_ || draining_ || worker_.draining()) {
    linger_and_close();
    return;
  }
  state_ = State::kReadingHead;
  route_ = nullptr;
  request_data_.clear();
  client_deadline_.arm(serving_->config().listeners[listener_index_].idle_timeout, shared_from_this());
  if (!in_.empty()) {
    parse_head();  // a pipelined request is already buffered
  } else {
    in_.clear();
    read_client();
  }
}

void DownstreamConnection::linger_and_close() {
  if (state_ == State::kClosed || state_ == State::kLingering) return;
  if (stream_.is_tls() && !reading_client_) {
    // TLS ends with our close_notify (OpenSSL 3 clients treat a bare TCP
    // close as truncation), but, like nginx, without waiting for the
    // client's: marking it received makes the shutdown complete as soon as
    // ours is written, saving a read and an event-loop round per connection.
    state_ = State::kLingering;
    release_upstream(false);
    upstream_deadline_.cancel();
    client_deadline_.arm(kLingerTime, shared_from_this());
    SSL_set_shutdown(stream_.ssl(), SSL_get_shutdown(stream_.ssl()) | SSL_RECEIVED_SHUTDOWN);
    stream_.tls()->async_shutdown([self = shared_from_this()](const boost::system::error_code&) { self->close(); });
    return;
  }
  if (request_complete_ && !parser_.in_message() && in_.empty()) {
    close();  // nothing unread: the client has nothing left to send
    return;
  }
  state_ = State::kLingering;
  release_upstream(false);
  upstream_deadline_.cancel();
  boost::system::error_code ignored;
  stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
  client_deadline_.arm(kLingerTime, shared_from_this());
  linger_read(0);
}

void DownstreamConnection::linger_read(std::size_t discarded) {
  if (reading_client_) return;  // a read is already pending; it will come back here
  reading_client_ = true;
  in_.clear();
  stream_.async_read_some(boost::asio::buffer(in_.free_space(), in_.free_size()),
                          [self = shared_from_this(), discarded](const boost::system::error_code& ec,
                                                                 std::size_t n) {
                            self->reading_client_ = false;
                            if (self->state_ != State::kLingering) return;
                            if (ec || discarded + n > kLingerMaxBytes) {
                              self->close();
                              return;
                            }
                            self->linger_read(discarded + n);
                          });
}

void DownstreamConnection::close() {
  if (state_ == State::kClosed) return;
  log_exchange();  // the client went away (or we closed) mid-exchange
  state_ = State::kClosed;
  body_observer_.reset();  // the body ended early, if it had begun
  held_handler_.reset();
  client_deadline_.cancel();
  upstream_deadline_.cancel();
  discard_upstream();
  stream_.close();
}

void DownstreamConnection::on_deadline(int tag) {
  if (state_ == State::kClosed) return;
  if (tag == kUpstreamDeadline) {
    on_upstream_deadline();
    return;
  }
  if (state_ == State::kReadingHead && parser_.in_message()) {
    keep_alive_ = false;
    worker_.request_ids().next(request_id_);
    begin_unparsed_exchange();
    send_error(408, "request header not received in time");
    return;
  }
  if (state_ == State::kHandshake) {
    const config::ListenerConfig& listener = serving_->config().listeners[listener_index_];
    if (listener.tls_counters.enabled()) listener.tls_counters.count(tls::HandshakeFailure::kTimeout);
  }
  close();  // idle keep-alive, stalled body, slow reader, or lingering over
}

std::string_view DownstreamConnection::route_name() const {
  return route_ != nullptr ? std::string_view(route_->name) : std::string_view();
}

boost::asio::any_io_executor DownstreamConnection::executor() { return stream_.socket().get_executor(); }

policy::PausedRequest DownstreamConnection::pause_handle() {
  return policy::PausedRequest(std::static_pointer_cast<policy::ResumeTarget>(shared_from_this()),
                               exchange_id_);
}

}  // namespace gatehouse
