#include "proxy/upstream/upstream_fetch.h"

#include <boost/asio/ssl/stream_base.hpp>

#include "proxy/common/deadline.h"
#include "proxy/http/serializer.h"
#include "proxy/tls/client_context.h"

namespace gatehouse {
namespace {

// One fetch, owned by its pending handlers (and its deadline's wait).
class UpstreamFetch final : public DeadlineListener, public std::enable_shared_from_this<UpstreamFetch> {
 public:
  UpstreamFetch(UpstreamPool& pool, std::shared_ptr<const void> owner, http::FetchRequest request, FetchDone done,
                const boost::asio::any_io_executor& executor)
      : pool_(pool),
        owner_(std::move(owner)),
        request_(std::move(request)),
        done_(std::move(done)),
        deadline_(executor, 0) {}

  void connect();
  void on_deadline(int) override;

 private:
  void on_connected(const boost::system::error_code& ec);
  void connect_failed();
  void send();
  void read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  bool retry_on_fresh_connection();
  void succeed(bool reusable);
  void fail(std::string error);

  UpstreamPool& pool_;
  std::shared_ptr<const void> owner_;  // keeps pool_ alive
  http::FetchRequest request_;
  FetchDone done_;
  Deadline deadline_;
  std::unique_ptr<UpstreamConnection> connection_;
  std::uint64_t tried_ = 0;  // bit i: target i failed to connect
  bool timed_out_ = false;
  bool response_started_ = false;
  std::string head_;
  http::BodySpans spans_;
  http::FetchResult result_;
};

void UpstreamFetch::connect() {
  connection_ = pool_.acquire(tried_, /*retryable=*/true);  // retry_on_fresh_connection
  if (!connection_) {
    fail(tried_ == 0 ? "no healthy upstream target" : "no upstream target could be connected");
    return;
  }
  if (connection_->socket().is_open()) {
    send();
    return;
  }
  timed_out_ = false;
  deadline_.arm(pool_.config().connect_timeout, shared_from_this());
  connection_->socket().async_connect(pool_.endpoint(connection_->target()),
                                      [self = shared_from_this()](const boost::system::error_code& ec) {
                                        self->on_connected(ec);
                                      });
}

void UpstreamFetch::on_connected(const boost::system::error_code& ec) {
  if (ec) {
    connect_failed();
    return;
  }
  boost::system::error_code ignored;
  connection_->socket().set_option(boost::asio::ip::tcp::no_delay(true), ignored);
  const config::UpstreamTarget& target = pool_.config().targets[connection_->target()];
  if (!target.tls) {
    deadline_.disarm();
    send();
    return;
  }
  SSL* ssl = pool_.config().tls->new_connection(target.host);
  if (ssl == nullptr) {
    connect_failed();
    return;
  }
  connection_->stream().start_tls(ssl);
  connection_->stream().tls()->async_handshake(boost::asio::ssl::stream_base::client,
                                               [self = shared_from_this()](const boost::system::error_code& ec) {
                                                 if (ec) {
                                                   self->connect_failed();
                                                   return;
                                                 }
                                                 self->deadline_.disarm();
                                                 self->send();
                                               });
}

void UpstreamFetch::connect_failed() {
  const std::size_t target = connection_->target();
  pool_.report_connect_failure(target);
  if (target < 64) tried_ |= std::uint64_t{1} << target;
  connection_.reset();  // no operation is pending on it
  connect();
}

void UpstreamFetch::send() {
  head_.clear();
  http::append_request_head(head_, http::method_label(request_.method), request_.target, request_.headers);
  connection_->parser().expect_response_to(request_.method);
  response_started_ = false;
  timed_out_ = false;
  result_.body.clear();
  deadline_.arm(pool_.config().timeout, shared_from_this());
  // Reading starts once the request is out (the upstream cannot answer
  // before), so at most one operation is ever pending on the connection.
  connection_->stream().async_write(boost::asio::buffer(head_),
                                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                                      if (!ec) {
                                        self->read();
                                      } else if (self->timed_out_) {
                                        self->fail("the upstream did not answer in time");
                                      } else if (!self->retry_on_fresh_connection()) {
                                        self->fail("the upstream connection failed");
                                      }
                                    });
}

void UpstreamFetch::read() {
  ReadBuffer& buffer = connection_->buffer();
  buffer.compact();
  connection_->stream().async_read_some(
      boost::asio::buffer(buffer.free_space(), buffer.free_size()),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) { self->on_read(ec, n); });
}

void UpstreamFetch::on_read(const boost::system::error_code& ec, std::size_t n) {
  const bool eof = ec == boost::asio::error::eof;
  if (ec && !eof) {
    if (timed_out_) {
      fail("the upstream did not answer in time");
    } else if (!retry_on_fresh_connection()) {
      fail("the upstream connection failed");
    }
    return;
  }
  ReadBuffer& buffer = connection_->buffer();
  if (!ec) {
    buffer.commit(n);
    deadline_.arm(pool_.config().timeout, shared_from_this());
  }
  http::ResponseParser& parser = connection_->parser();
  for (;;) {
    spans_.clear();
    const http::ParseStep step = parser.parse(buffer.pending(), spans_);
    buffer.consume(step.consumed);
    if (step.status == http::ParseStatus::kError) {
      fail("the upstream sent an invalid response");
      return;
    }
    for (std::string_view span : spans_) {
      if (result_.body.size() + span.size() > request_.max_body) {
        fail("the response body is larger than the fetch allows");
        return;
      }
      result_.body.append(span);
    }
    if (step.status == http::ParseStatus::kNeedMore) break;
    if (parser.head().status < 200) continue;  // interim responses
    response_started_ = true;
    if (step.status == http::ParseStatus::kMessageComplete) {
      succeed(parser.head().keep_alive && buffer.empty());
      return;
    }
  }
  if (eof) {
    if (response_started_ && parser.finish() == http::ParseStatus::kMessageComplete) {
      succeed(false);  // a close-delimited body ended
    } else if (!retry_on_fresh_connection()) {
      fail("the upstream closed the connection before a complete response");
    }
    return;
  }
  read();
}

bool UpstreamFetch::retry_on_fresh_connection() {
  // Only a pooled connection that failed before any response: the upstream
  // closed it while idle, and nothing was processed.
  if (response_started_ || connection_->requests_served() == 0 || connection_->parser().in_message()) return false;
  connection_.reset();
  connect();
  return true;
}

void UpstreamFetch::succeed(bool reusable) {
  deadline_.cancel();
  http::ResponseHead& head = connection_->parser().head();
  result_.ok = true;
  result_.status = head.status;
  result_.headers = std::move(head.headers);
  connection_->count_request();
  if (reusable) pool_.release(std::move(connection_));
  connection_.reset();
  FetchDone done = std::move(done_);
  done(std::move(result_));
}

void UpstreamFetch::fail(std::string error) {
  deadline_.cancel();
  connection_.reset();  // called from completions only: nothing is pending on it
  http::FetchResult result;
  result.error = std::move(error);
  FetchDone done = std::move(done_);
  done(std::move(result));
}

void UpstreamFetch::on_deadline(int) {
  // Closing completes the pending connect, handshake or read with an error,
  // whose handler reports the failure.
  timed_out_ = true;
  if (connection_) connection_->stream().close();
}

}  // namespace

void fetch_from_upstream(UpstreamPool& pool, std::shared_ptr<const void> owner, http::FetchRequest request,
                         FetchDone done) {
  auto fetch = std::make_shared<UpstreamFetch>(pool, std::move(owner), std::move(request), std::move(done),
                                               pool.executor());
  fetch->connect();
}

}  // namespace gatehouse
