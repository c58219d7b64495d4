#pragma once
// One client connection and the request exchanges on it, one at a time.
//
// Data flow of an exchange: read and parse the request head -> route ->
// request-phase policies (which may pause) -> take an upstream connection ->
// send the head, then stream the body (re-framed) as it is read -> parse the
// upstream response head -> response-phase policies -> stream the body back.
// Pipelined requests wait in the read buffer and are served in order after
// the current response (as nginx does), so responses can never reorder.
//
// Lifetime: owned through shared_ptr; every pending operation's handler holds
// a shared_ptr, and upstream handlers also carry the exchange id so that a
// late completion from an abandoned exchange is ignored. Backpressure is
// structural: the next client read starts only when the previous body bytes
// were written upstream, and the next upstream read only when the previous
// response bytes were written to the client.
//
// Implementation is split by direction: downstream_connection.cc (client
// side, local replies, lifecycle) and upstream_exchange.cc (upstream side);
// connection_writes.cc writes to either side and completes the writes;
// exchange_log.cc writes each exchange's access-log line.

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "proxy/common/deadline.h"
#include "proxy/common/read_buffer.h"
#include "proxy/http/parser.h"
#include "proxy/policy/policy.h"
#include "proxy/server/finished_writes.h"
#include "proxy/server/snapshot.h"
#include "proxy/server/write_batch.h"
#include "proxy/tls/stream.h"
#include "proxy/upstream/upstream_connection.h"

namespace gatehouse {

class Worker;
struct ServingState;

class DownstreamConnection final : public std::enable_shared_from_this<DownstreamConnection>,
                                   public DeadlineListener,
                                   public policy::ResumeTarget,
                                   private policy::RequestContext {
 public:
  static constexpr std::size_t kReadBufferSize = 16 * 1024;

  // `peer` is the client's address as accept() reported it.
  DownstreamConnection(Worker& worker, boost::asio::ip::tcp::socket socket, const boost::asio::ip::address& peer,
                       std::size_t listener_index);
  ~DownstreamConnection() override;

  void start();
  // Close now when idle between requests, else after the current response.
  void drain();
  // Close at once, whatever is in flight.
  void abort();

  void on_deadline(int tag) override;
  void resume_request(std::uint64_t exchange_id, policy::RequestOutcome outcome) override;

 private:
  enum class State : std::uint8_t {
    kHandshake,     // TLS handshake in progress
    kReadingHead,   // waiting for / parsing a request head
    kPolicies,      // a request-phase policy paused
    kConnecting,    // waiting for an upstream connection
    kForwarding,    // request sent or streaming; response streaming
    kLocalReply,    // writing a response produced by the gateway
    kLingering,     // response sent; draining what the client still sends
    kClosed,
  };
  enum DeadlineTag : int { kClientDeadline = 0, kUpstreamDeadline = 1 };

  // --- client side (downstream_connection.cc) ---
  void start_tls_handshake();
  void on_tls_handshake(const boost::system::error_code& ec);
  void redirect_to_https(std::uint16_t port);
  void read_client();
  void on_client_read(const boost::system::error_code& ec, std::size_t n);
  void parse_head();
  void on_request_head();
  void apply_outcome(policy::RequestOutcome outcome);
  void send_local_reply(policy::LocalReply reply);
  void send_error(int status, std::string_view message);
  void on_response_sent();
  // Runs the route's response-phase policies on `head`, the window in which
  // they may observe or replace the body.
  void run_response_policies(http::ResponseHead& head);
  void record_request_metrics();
  void finish_exchange();
  void linger_and_close();
  void linger_read(std::size_t discarded);
  void close();

  // --- writes (connection_writes.cc) ---
  // Writes `buffers` to `stream` (the client's or the upstream's), then runs
  // `done`'s continuation with the write's outcome; never within this call.
  // Inside a HandlerScope, on a plain connection, a write the socket takes
  // whole completes when the outermost scope ends.
  void write(tls::Stream& stream, std::span<const boost::asio::const_buffer> buffers, FinishedWrite done);
  void on_write_done(const FinishedWrite& done);
  // Marks a completion handler of this connection's (hold one on the stack
  // for the handler's whole body). Writes it started that finished at once
  // are completed, in order, when the outermost scope ends, so no handler
  // ever runs inside another's call to write().
  class HandlerScope {
   public:
    explicit HandlerScope(DownstreamConnection& connection) noexcept : connection_(connection) {
      ++connection_.handler_depth_;
    }
    HandlerScope(const HandlerScope&) = delete;
    HandlerScope& operator=(const HandlerScope&) = delete;
    ~HandlerScope() {
      if (connection_.handler_depth_ == 1) connection_.complete_finished_writes();
      --connection_.handler_depth_;
    }

   private:
    DownstreamConnection& connection_;
  };
  void complete_finished_writes();

  // --- upstream side (upstream_exchange.cc) ---
  void connect_upstream();
  void on_upstream_connected(const boost::system::error_code& ec);
  void on_upstream_tls_failed(const boost::system::error_code& ec);
  void begin_forwarding();
  void build_upstream_head();
  void forward_request_body();
  // Whether a lost attempt could be resent on a fresh connection: no body,
  // or one keep_request_for_resend keeps.
  bool request_can_be_resent() const noexcept;
  bool body_may_be_kept(std::uint64_t body_bytes) const noexcept;
  // Called when the request's last body bytes join the attempt's first
  // write: copies the whole request into upstream_head_ where it may be
  // resent (sets body_in_upstream_head_).
  void keep_request_for_resend();
  void on_upstream_written(const boost::system::error_code& ec, bool request_complete);
  void read_upstream();
  void on_upstream_read(const boost::system::error_code& ec, std::size_t n);
  void process_upstream_input(bool upstream_eof);
  // A 1xx the upstream sent before its response, queued for the client.
  void forward_interim_response(http::ResponseHead& head);
  void prepare_response_head();
  // Frames the response head (body framing, Connection) and serializes it
  // for the next client write.
  void frame_response_head(http::ResponseHead& head);
  // A held response: its whole body arrived (finish it and send it whole),
  // or it outgrew the limit (send what was held and stream the rest).
  void complete_held_response();
  void release_held_response();
  void on_client_written(const boost::system::error_code& ec);
  void finish_response();
  void upstream_failed(int status, std::string_view message);
  // A pooled connection the upstream closed just as it was reused: true
  // when the request went again on a fresh connection.
  bool retry_on_fresh_connection();
  // A reused connection whose first bytes do not parse as a response: they
  // are left over from its previous response (a 204 with a body, a body
  // longer than its Content-Length), which the pool's unprobed reuse could
  // not see. The upstream may have acted on the request, so only a safe
  // method (RFC 9110 §9.2.1) goes again, on a fresh connection; true when it
  // did.
  bool retry_after_stray_bytes();
  // Both retries' common part: once, on a fresh connection, while nothing
  // of the response reached the client and the request has no body.
  bool resend_on_fresh_connection();
  void on_upstream_deadline();
  void release_upstream(bool reusable);
  // Drops the upstream connection (not back to the pool), safely even while
  // an operation on it is pending.
  void discard_upstream();

  // --- access log (exchange_log.cc) ---
  // An exchange for a request whose head never completed (400, 408): reset
  // what on_request_head() would have, so its line holds nothing stale.
  void begin_unparsed_exchange();
  // Writes the current exchange's line, once: called when the response is
  // sent and when the connection closes, whichever comes first.
  void log_exchange();

  // --- policy::RequestContext ---
  http::RequestHead& request() override { return parser_.head(); }
  std::string_view client_address() const override { return client_address_; }
  std::string_view route_name() const override;
  std::string_view request_id() const override { return request_id_; }
  std::string_view client_certificate_subject() const override { return client_subject_; }
  bool is_tls() const override { return stream_.is_tls(); }
  void limit_request_body(std::uint64_t max_bytes) override {
    if (max_bytes < body_limit_) body_limit_ = max_bytes;
  }
  boost::asio::any_io_executor executor() override;
  policy::PausedRequest pause_handle() override;
  void set_data(const void* key, std::unique_ptr<policy::RequestData> data) override;
  policy::RequestData* data(const void* key) override;
  void observe_response_body(std::unique_ptr<policy::ResponseBodyObserver> observer) override;
  void replace_response_body(policy::SharedBody body, policy::BodySlice slice) override;
  void hold_response(std::size_t max_body, std::unique_ptr<policy::HeldResponseHandler> handler) override;
  void fetch_in_background(http::FetchRequest request, std::function<void(http::FetchResult)> done) override;

  Worker& worker_;
  tls::Stream stream_;
  std::shared_ptr<const tls::ServerTlsContext> tls_context_;  // held through the handshake
  std::string client_subject_;  // verified client certificate subject (mTLS), else empty
  boost::asio::ip::address peer_;
  std::string peer_text_;
  std::size_t listener_index_;
  State state_ = State::kReadingHead;  // start() may begin in kHandshake
  bool draining_ = false;
  bool reading_client_ = false;

  ReadBuffer in_;
  http::RequestParser parser_;
  http::BodySpans spans_;
  Deadline client_deadline_;
  Deadline upstream_deadline_;

  // --- the current exchange ---
  std::uint64_t exchange_id_ = 0;
  std::shared_ptr<ServingState> serving_;  // the config this exchange runs with
  const config::RouteConfig* route_ = nullptr;
  std::size_t policies_ran_ = 0;
  // Policies' per-request data; a handful at most, so a flat list.
  std::vector<std::pair<const void*, std::unique_ptr<policy::RequestData>>> request_data_;
  bool in_response_phase_ = false;  // response-phase policies are running
  std::unique_ptr<policy::ResponseBodyObserver> body_observer_;
  policy::SharedBody replacement_body_;  // sent instead of the upstream's body
  policy::BodySlice replacement_slice_;  // the part of it that is sent
  // hold_response(): asked for by a policy, then, once the head qualifies,
  // the body gathered before anything is sent (holding_).
  std::unique_ptr<policy::HeldResponseHandler> held_handler_;
  std::size_t hold_limit_ = 0;
  std::string held_body_;
  bool holding_ = false;
  std::string request_id_;
  std::string client_address_;
  std::chrono::steady_clock::time_point request_start_;
  std::chrono::steady_clock::time_point upstream_start_;
  bool keep_alive_ = true;           // the client connection survives this exchange
  bool request_complete_ = false;    // whole request read from the client
  bool request_sent_ = false;        // whole request written upstream
  bool response_started_ = false;    // response head written or being written
  bool response_complete_ = false;   // whole response parsed from upstream
  bool response_chunked_ = false;    // we frame the response body as chunked
  bool response_head_pending_ = false;  // response_head_ not yet handed to a write
  bool upstream_write_pending_ = false;
  bool read_after_write_ = false;    // the upstream read starts when the request is written
  bool finish_pending_ = false;
  bool upstream_head_pending_ = false;  // upstream_head_ not yet handed to a write
  // upstream_head_ holds the whole request, its framed body too, so that it
  // can be resent on a fresh connection (resend_on_fresh_connection).
  bool body_in_upstream_head_ = false;
  bool interim_sent_ = false;        // 100 Continue already sent for this request      // response done; waiting for the last upstream write
  bool last_connect_timed_out_ = false;
  int response_status_ = 0;
  std::uint64_t request_body_bytes_ = 0;
  std::uint64_t body_limit_ = 0;  // the route's max_body_size, lowered by policies
  std::uint64_t tried_targets_ = 0;
  std::uint64_t upstream_attempt_ = 0;  // tags upstream handlers; stale ones are ignored
  std::unique_ptr<UpstreamConnection> upstream_;
  http::ResponseHead local_head_;
  std::string local_body_;               // a local reply's own body, until written
  policy::SharedBody local_shared_body_;  // or its shared one
  std::string upstream_head_;
  std::string response_head_;
  std::string interim_heads_;  // 1xx responses for the next client write
  WriteBatch upstream_batch_;
  WriteBatch client_batch_;
  http::BodySpans response_spans_;

  // --- access-log bookkeeping for the current exchange ---
  enum class LogState : std::uint8_t { kNone, kUnparsedHead, kParsedHead };  // kNone: logged, or no exchange
  LogState log_state_ = LogState::kNone;
  std::uint64_t bytes_sent_ = 0;  // to the client, head and framing included

  int handler_depth_ = 0;            // HandlerScopes on the stack
  FinishedWrites finished_writes_;   // written whole, waiting for the outermost scope to end
  static constexpr std::size_t kNoTarget = static_cast<std::size_t>(-1);
  std::size_t upstream_target_ = kNoTarget;  // the last target tried
  std::chrono::steady_clock::time_point upstream_end_{};  // whole response received; {} until then
};

}  // namespace gatehouse
