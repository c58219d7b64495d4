#pragma once
// The contract between the proxy and every policy (headers, rate_limit, jwt,
// cache, ...).
//
// Lifetime and threading:
// - A Policy is built once per route at config load from its YAML options,
//   is immutable afterwards, and is shared by all worker threads: its const
//   methods must be safe to call concurrently. It lives as long as the config
//   snapshot that owns it; requests in flight keep their snapshot alive.
// - Both hooks run on the worker thread that owns the connection and must
//   never block (no DNS, no file or network I/O, no locks held for long).
//
// Request phase: on_request() runs in route order before the upstream is
// contacted and returns one of
//   proceed()       - run the next policy, then forward upstream;
//   respond(reply)  - stop the chain and answer the client with `reply`
//                     (the upstream is never contacted);
//   pause()         - the policy has started asynchronous work and took a
//                     PausedRequest from the context; it must later call
//                     PausedRequest::resume() exactly once, on the worker's
//                     executor, with proceed(), respond() or retry().
//   retry()         - only as the outcome given to resume(): run the paused
//                     policy's on_request() again, with the context, as if
//                     it had not run (e.g. keys it waited for have arrived).
//                     Returned from on_request() it is a contract violation
//                     and the request is answered 500.
// Response phase: on_response() runs in reverse order, for every policy whose
// on_request() ran, on the response about to be sent to the client, whether
// it came from the upstream or from respond(). It may change the status and
// the headers. The body streams through untouched unless a policy asks, from
// on_response(), to see it (RequestContext::observe_response_body) or to
// send a body of its own instead (RequestContext::replace_response_body), as
// a cache does to store a response or to answer from a stored one.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "proxy/http/fetch.h"
#include "proxy/http/header_map.h"
#include "proxy/http/message.h"

namespace gatehouse::policy {

// An immutable body shared by the responses that send it (a cache entry's),
// written to clients without a copy: bytes() stay valid as long as the
// SharedBody, which keeps whatever holds them alive (a cache entry, whose
// body may lie anywhere in its block). A default one is unset: no body.
class SharedBody {
 public:
  SharedBody() = default;
  SharedBody(std::shared_ptr<const void> owner, std::string_view bytes) noexcept
      : owner_(std::move(owner)), bytes_(bytes) {}
  // A body of its own holding `text` (one allocation: for replies made on
  // the spot, not for the data path).
  static SharedBody of(std::string text) {
    auto owned = std::make_shared<const std::string>(std::move(text));
    std::string_view bytes = *owned;
    return {std::move(owned), bytes};
  }

  explicit operator bool() const noexcept { return owner_ != nullptr; }
  std::string_view bytes() const noexcept { return bytes_; }
  void reset() noexcept {
    owner_.reset();
    bytes_ = {};
  }

 private:
  std::shared_ptr<const void> owner_;
  std::string_view bytes_;
};

// The part of a SharedBody that is sent: `length` bytes from `offset`,
// clamped to the body's size; the whole body by default. It lets a cache
// answer a byte range (RFC 9110 §14) from a stored body without copying it.
struct BodySlice {
  std::size_t offset = 0;
  std::size_t length = std::string_view::npos;

  std::string_view of(std::string_view body) const noexcept {
    return offset >= body.size() ? std::string_view() : body.substr(offset, length);
  }
};

// A response produced by the gateway itself. The proxy frames it with
// Content-Length (none for 1xx, 204 and 304, which have no body) and sends no
// body bytes for a HEAD request, so a reply built for GET serves HEAD too.
struct LocalReply {
  int status = 200;
  http::HeaderMap headers;
  std::string body;
  // When set, sent instead of `body`, without copying it: the part of it
  // `shared_slice` selects.
  SharedBody shared_body;
  BodySlice shared_slice;
  // Set as Content-Type when there is a body; empty leaves `headers` as they
  // are (a stored response carries its own).
  std::string content_type = "application/json";
  // Only for a reply to HEAD: `headers` carry the Content-Length of the
  // content a GET would get, which this reply does not have (a cache entry
  // filled by a HEAD request); the proxy leaves it as it is.
  bool keep_content_length = false;
};

// Sees a response body as it streams from the upstream to the client (see
// RequestContext::observe_response_body). Called on the worker's thread;
// must not block.
class ResponseBodyObserver {
 public:
  virtual ~ResponseBodyObserver() = default;
  // The next piece of the body, decoded from the upstream's framing (chunk
  // sizes removed). The bytes are valid only during the call.
  virtual void on_body(std::string_view bytes) = 0;
  // The whole body has arrived; called at most once. An observer destroyed
  // without this call saw a body that ended early (the client went away, the
  // upstream failed or timed out), which must not be trusted as complete.
  virtual void on_complete() = 0;
};

// Finishes a response that the proxy held back until its whole body had
// arrived (see RequestContext::hold_response). Called on the worker's
// thread; must not block.
class HeldResponseHandler {
 public:
  virtual ~HeldResponseHandler() = default;
  // `head` is the response as every response policy left it, `body` its
  // whole content, decoded from the upstream's framing. Either may be
  // changed (e.g. an ETag computed from the body, or a 304 with an empty
  // body); the proxy then frames the result with Content-Length (none for
  // 1xx, 204 and 304) and sets Connection itself, so the handler leaves
  // framing and connection fields alone.
  virtual void on_whole_body(http::ResponseHead& head, std::string& body) = 0;
};

class RequestOutcome {
 public:
  enum class Kind : std::uint8_t { kProceed, kRespond, kPause };

  static RequestOutcome proceed() { return RequestOutcome(Kind::kProceed); }
  // A proceed() that makes PolicyChain::resume() run the paused policy again
  // (see the contract above). Its kind is kProceed so that code which does
  // not know about it needs no change; only the chain acts on is_retry().
  static RequestOutcome retry() {
    RequestOutcome o(Kind::kProceed);
    o.retry_ = true;
    return o;
  }
  static RequestOutcome pause() { return RequestOutcome(Kind::kPause); }
  static RequestOutcome respond(LocalReply reply) {
    RequestOutcome o(Kind::kRespond);
    o.reply_ = std::make_unique<LocalReply>(std::move(reply));
    return o;
  }
  // The common case of a JSON error body built from `code` and `message`.
  static RequestOutcome respond_error(int status, std::string_view code, std::string_view message);

  Kind kind() const noexcept { return kind_; }
  bool is_retry() const noexcept { return retry_; }
  // Only for kRespond; the outcome gives the reply up.
  std::unique_ptr<LocalReply> take_reply() noexcept { return std::move(reply_); }
  // For respond_error(): the message, combined with the request id when sent.
  const std::string& error_code() const noexcept { return error_code_; }
  const std::string& error_message() const noexcept { return error_message_; }

 private:
  explicit RequestOutcome(Kind kind) : kind_(kind) {}
  Kind kind_;
  bool retry_ = false;
  std::unique_ptr<LocalReply> reply_;
  std::string error_code_;
  std::string error_message_;
};

// Implemented by the proxy's request exchange: what resumes a paused chain.
class ResumeTarget {
 public:
  virtual ~ResumeTarget() = default;
  virtual void resume_request(std::uint64_t exchange_id, RequestOutcome outcome) = 0;
};

// Handed to a policy that pauses. Copyable; resume() is a no-op when the
// client has gone away in the meantime (the exchange id no longer matches).
class PausedRequest {
 public:
  PausedRequest(std::weak_ptr<ResumeTarget> target, std::uint64_t exchange_id)
      : target_(std::move(target)), exchange_id_(exchange_id) {}
  // Must be called on the worker's executor (RequestContext::executor()).
  void resume(RequestOutcome outcome) const {
    if (auto t = target_.lock()) t->resume_request(exchange_id_, std::move(outcome));
  }

 private:
  std::weak_ptr<ResumeTarget> target_;
  std::uint64_t exchange_id_;
};

// Data a policy attaches to one request: kept from on_request() to
// on_response() (e.g. a rate-limit decision that becomes response headers),
// or published for later policies (e.g. verified JWT claims that a rate
// limit keys on). Destroyed when the exchange ends.
class RequestData {
 public:
  virtual ~RequestData() = default;
};

// What a policy sees of the request being processed.
class RequestContext {
 public:
  virtual ~RequestContext() = default;
  virtual http::RequestHead& request() = 0;
  // The client's address after trusted-proxy handling.
  virtual std::string_view client_address() const = 0;
  virtual std::string_view route_name() const = 0;
  virtual std::string_view request_id() const = 0;
  // The subject (RFC 2253) of the client certificate verified on this TLS
  // connection, or empty (plain listener, no certificate, mTLS off).
  virtual std::string_view client_certificate_subject() const { return {}; }
  // Whether the client connection is TLS (e.g. Strict-Transport-Security is
  // only meaningful there).
  virtual bool is_tls() const { return false; }
  // Lowers this request's body limit below the route's max_body_size; never
  // raises it. A body that streams past the limit is refused with 413 (a
  // Content-Length over it is the calling policy's to refuse up front).
  virtual void limit_request_body(std::uint64_t /*max_bytes*/) {}
  // The worker's executor, for asynchronous work started by a policy.
  virtual boost::asio::any_io_executor executor() = 0;
  // The handle a policy keeps when it returns RequestOutcome::pause().
  virtual PausedRequest pause_handle() = 0;
  // Per-request storage, by key: a policy uses its own address (`this`) for
  // private data, or the address of a well-known object for data it shares
  // (see RequestData). set_data() replaces what the key held; data() is null
  // when nothing was set for this request.
  virtual void set_data(const void* key, std::unique_ptr<RequestData> data) = 0;
  virtual RequestData* data(const void* key) = 0;

  // Response phase only (from on_response()); elsewhere they do nothing.
  //
  // observe_response_body: `observer` is fed the upstream response's body
  // (see ResponseBodyObserver) and destroyed when the exchange ends. A later
  // call replaces an earlier one's observer. A local reply (respond(), or an
  // error the proxy generated) is never observed: its observer is destroyed
  // without on_complete(), so nothing the gateway made up is mistaken for an
  // upstream response.
  virtual void observe_response_body(std::unique_ptr<ResponseBodyObserver> observer) = 0;
  // replace_response_body: the client gets the part of `body` that `slice`
  // selects (framed by Content-Length, no bytes for HEAD, 204 or 304)
  // after the head on_response() is editing;
  // the upstream's body, if any, is read and discarded. Works for upstream
  // responses and local replies alike (e.g. a stored response served
  // instead of an upstream error or in place of a 304 to a revalidation).
  virtual void replace_response_body(SharedBody body, BodySlice slice) = 0;
  // hold_response: the head is not sent until the upstream's whole body has
  // arrived, buffered up to `max_body` bytes; then `handler` finishes the
  // response (see HeldResponseHandler) and it is sent. A body that grows
  // past `max_body` releases the response as it was, streamed from there
  // on, and `handler` is destroyed without being called; so it is for a
  // response to HEAD, one whose status has no body, one whose body is
  // replaced, and a local reply. A later call replaces an earlier one's
  // handler. If the upstream fails while the response is held, the client
  // connection is closed (the policies have already seen a response).
  virtual void hold_response(std::size_t max_body, std::unique_ptr<HeldResponseHandler> handler) = 0;

  // Sends `request` to this route's upstream group apart from the client's
  // exchange: it goes on after the client's response and when the client
  // goes away (a cache refreshing a stale entry in the background). `done`
  // runs once, on the worker's executor, with the whole response or the
  // failure; at shutdown it may be destroyed without running. Either phase.
  virtual void fetch_in_background(http::FetchRequest request,
                                   std::function<void(http::FetchResult)> done) = 0;

  template <typename T>
  T* data_as(const void* key) {
    return static_cast<T*>(data(key));
  }
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual RequestOutcome on_request(RequestContext& ctx) const { return RequestOutcome::proceed(); }
  virtual void on_response(RequestContext& ctx, http::ResponseHead& response) const {}
};

}  // namespace gatehouse::policy
