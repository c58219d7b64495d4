// PolicyChain's running rules (proxy/policy/chain.h) with fake policies and a
// fake exchange standing in for the proxy: order, early replies, the
// reverse response phase, and pausing/resuming through PausedRequest.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include "proxy/policy/chain.h"
#include "proxy/policy/policy.h"
#include "tests/unit/fake_request_context.h"

namespace gatehouse::policy {
namespace {

using Log = std::vector<std::string>;
using Kind = RequestOutcome::Kind;

using testing_support::FakeRequestContext;

// Logs "req:<name>" and "resp:<name>" and otherwise proceeds.
class RecordingPolicy : public Policy {
 public:
  RecordingPolicy(std::string name, Log& log) : name_(std::move(name)), log_(log) {}
  RequestOutcome on_request(RequestContext&) const override {
    log_.push_back("req:" + name_);
    return RequestOutcome::proceed();
  }
  void on_response(RequestContext&, http::ResponseHead& response) const override {
    log_.push_back("resp:" + name_ + ":" + std::to_string(response.status));
  }

 protected:
  std::string name_;
  Log& log_;
};

// Answers every request with 403 itself.
class ForbiddingPolicy final : public RecordingPolicy {
 public:
  using RecordingPolicy::RecordingPolicy;
  RequestOutcome on_request(RequestContext& ctx) const override {
    RecordingPolicy::on_request(ctx);
    return RequestOutcome::respond_error(403, "forbidden", "not for you");
  }
};

// Pauses and leaves its handle where the test can resume it, as a policy
// waiting on a lookup would.
class PausingPolicy final : public RecordingPolicy {
 public:
  PausingPolicy(std::string name, Log& log, std::optional<PausedRequest>& handle)
      : RecordingPolicy(std::move(name), log), handle_(handle) {}
  RequestOutcome on_request(RequestContext& ctx) const override {
    RecordingPolicy::on_request(ctx);
    handle_ = ctx.pause_handle();
    return RequestOutcome::pause();
  }

 private:
  std::optional<PausedRequest>& handle_;
};

// Pauses and resumes itself from the worker's executor, as the contract asks.
class AsyncProceedingPolicy final : public RecordingPolicy {
 public:
  using RecordingPolicy::RecordingPolicy;
  RequestOutcome on_request(RequestContext& ctx) const override {
    RecordingPolicy::on_request(ctx);
    boost::asio::post(ctx.executor(), [handle = ctx.pause_handle()] {
      handle.resume(RequestOutcome::proceed());
    });
    return RequestOutcome::pause();
  }
};

// Stands in for the proxy's request exchange: resuming continues the chain
// from the cursor it holds, unless the handle is from another exchange.
class FakeExchange final : public ResumeTarget {
 public:
  FakeExchange(const PolicyChain& chain, RequestContext& ctx, std::uint64_t id)
      : chain_(chain), ctx_(ctx), id_(id) {}

  void resume_request(std::uint64_t exchange_id, RequestOutcome outcome) override {
    ++resume_calls;
    if (exchange_id != id_) return;
    result.emplace(chain_.resume(ctx_, cursor, std::move(outcome)));
  }

  std::size_t cursor = 0;
  std::optional<RequestOutcome> result;  // of the latest resume
  int resume_calls = 0;

 private:
  const PolicyChain& chain_;
  RequestContext& ctx_;
  std::uint64_t id_;
};

template <typename... Policies>
PolicyChain chain_of(std::unique_ptr<Policies>... policies) {
  std::vector<std::unique_ptr<const Policy>> list;
  (list.push_back(std::move(policies)), ...);
  return PolicyChain(std::move(list));
}

class PolicyChainTest : public ::testing::Test {
 protected:
  std::unique_ptr<RecordingPolicy> recording(std::string name) {
    return std::make_unique<RecordingPolicy>(std::move(name), log_);
  }
  std::unique_ptr<ForbiddingPolicy> forbidding(std::string name) {
    return std::make_unique<ForbiddingPolicy>(std::move(name), log_);
  }
  std::unique_ptr<PausingPolicy> pausing(std::string name) {
    return std::make_unique<PausingPolicy>(std::move(name), log_, handle_);
  }

  // The exchange is owned here and only weakly by the context, as in the proxy.
  std::shared_ptr<FakeExchange> start_exchange(const PolicyChain& chain) {
    auto exchange = std::make_shared<FakeExchange>(chain, ctx_, ctx_.exchange_id);
    ctx_.target = exchange;
    return exchange;
  }

  Log log_;
  std::optional<PausedRequest> handle_;
  FakeRequestContext ctx_;
  http::ResponseHead response_;
};

TEST_F(PolicyChainTest, EmptyChainProceeds) {
  PolicyChain chain;
  std::size_t cursor = 0;
  EXPECT_TRUE(chain.empty());
  EXPECT_EQ(chain.run_request(ctx_, cursor).kind(), Kind::kProceed);
  EXPECT_EQ(cursor, 0u);
  chain.run_response(ctx_, response_, cursor);
  EXPECT_TRUE(log_.empty());
}

TEST_F(PolicyChainTest, RunsRequestsInOrderAndResponsesInReverse) {
  PolicyChain chain = chain_of(recording("a"), recording("b"), recording("c"));
  std::size_t cursor = 0;
  EXPECT_EQ(chain.run_request(ctx_, cursor).kind(), Kind::kProceed);
  EXPECT_EQ(cursor, 3u);

  response_.status = 201;
  chain.run_response(ctx_, response_, cursor);
  EXPECT_EQ(log_, (Log{"req:a", "req:b", "req:c", "resp:c:201", "resp:b:201", "resp:a:201"}));
}

TEST_F(PolicyChainTest, RespondStopsTheChain) {
  PolicyChain chain = chain_of(recording("a"), forbidding("deny"), recording("c"));
  std::size_t cursor = 0;
  RequestOutcome outcome = chain.run_request(ctx_, cursor);

  ASSERT_EQ(outcome.kind(), Kind::kRespond);
  EXPECT_EQ(outcome.error_code(), "forbidden");
  std::unique_ptr<LocalReply> reply = outcome.take_reply();
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->status, 403);
  EXPECT_EQ(cursor, 2u);  // one past the policy that answered
  EXPECT_EQ(log_, (Log{"req:a", "req:deny"}));
}

TEST_F(PolicyChainTest, ResponsePhaseVisitsOnlyPoliciesThatRan) {
  PolicyChain chain = chain_of(recording("a"), forbidding("deny"), recording("c"));
  std::size_t cursor = 0;
  ASSERT_EQ(chain.run_request(ctx_, cursor).kind(), Kind::kRespond);
  log_.clear();

  response_.status = 403;
  chain.run_response(ctx_, response_, cursor);
  // The policy that answered sees its own reply; "c" never saw the request.
  EXPECT_EQ(log_, (Log{"resp:deny:403", "resp:a:403"}));
}

TEST_F(PolicyChainTest, ResponsePhaseClampsAnOutOfRangeCount) {
  PolicyChain chain = chain_of(recording("a"));
  chain.run_response(ctx_, response_, 5);
  EXPECT_EQ(log_, (Log{"resp:a:200"}));
}

TEST_F(PolicyChainTest, PauseLeavesTheCursorAfterThePausingPolicy) {
  PolicyChain chain = chain_of(recording("a"), pausing("wait"), recording("c"));
  std::shared_ptr<FakeExchange> exchange = start_exchange(chain);

  EXPECT_EQ(chain.run_request(ctx_, exchange->cursor).kind(), Kind::kPause);
  EXPECT_EQ(exchange->cursor, 2u);
  EXPECT_EQ(log_, (Log{"req:a", "req:wait"}));
  ASSERT_TRUE(handle_.has_value());
}

TEST_F(PolicyChainTest, ResumeWithProceedContinuesTheChain) {
  PolicyChain chain = chain_of(recording("a"), pausing("wait"), recording("c"));
  std::shared_ptr<FakeExchange> exchange = start_exchange(chain);
  ASSERT_EQ(chain.run_request(ctx_, exchange->cursor).kind(), Kind::kPause);

  handle_->resume(RequestOutcome::proceed());

  ASSERT_TRUE(exchange->result.has_value());
  EXPECT_EQ(exchange->result->kind(), Kind::kProceed);
  EXPECT_EQ(exchange->cursor, 3u);
  chain.run_response(ctx_, response_, exchange->cursor);
  EXPECT_EQ(log_, (Log{"req:a", "req:wait", "req:c", "resp:c:200", "resp:wait:200", "resp:a:200"}));
}

TEST_F(PolicyChainTest, ResumeWithRetryRunsThePausedPolicyAgain) {
  PolicyChain chain = chain_of(recording("a"), pausing("wait"), recording("c"));
  std::shared_ptr<FakeExchange> exchange = start_exchange(chain);
  ASSERT_EQ(chain.run_request(ctx_, exchange->cursor).kind(), Kind::kPause);

  // retry(): "wait" runs again (and pauses again, being what it is).
  handle_->resume(RequestOutcome::retry());
  ASSERT_TRUE(exchange->result.has_value());
  EXPECT_EQ(exchange->result->kind(), Kind::kPause);
  EXPECT_EQ(exchange->cursor, 2u);
  handle_->resume(RequestOutcome::proceed());
  EXPECT_EQ(exchange->result->kind(), Kind::kProceed);
  EXPECT_EQ(exchange->cursor, 3u);
  EXPECT_EQ(log_, (Log{"req:a", "req:wait", "req:wait", "req:c"}));
}

// retry() is only an outcome for resume(): returned by on_request() it
// would skip the policy's decision, so the chain answers 500 instead.
class RetryingPolicy final : public RecordingPolicy {
 public:
  using RecordingPolicy::RecordingPolicy;
  RequestOutcome on_request(RequestContext& ctx) const override {
    RecordingPolicy::on_request(ctx);
    return RequestOutcome::retry();
  }
};

TEST_F(PolicyChainTest, RetryReturnedFromOnRequestIsRefused) {
  PolicyChain chain = chain_of(std::make_unique<RetryingPolicy>("bad", log_), recording("c"));
  std::size_t cursor = 0;
  RequestOutcome out = chain.run_request(ctx_, cursor);
  ASSERT_EQ(out.kind(), Kind::kRespond);
  EXPECT_EQ(out.take_reply()->status, 500);
  EXPECT_EQ(log_, (Log{"req:bad"}));
}

TEST_F(PolicyChainTest, ResumeWithRespondStopsTheChain) {
  PolicyChain chain = chain_of(recording("a"), pausing("wait"), recording("c"));
  std::shared_ptr<FakeExchange> exchange = start_exchange(chain);
  ASSERT_EQ(chain.run_request(ctx_, exchange->cursor).kind(), Kind::kPause);

  handle_->resume(RequestOutcome::respond_error(429, "rate_limited", "slow down"));

  ASSERT_TRUE(exchange->result.has_value());
  ASSERT_EQ(exchange->result->kind(), Kind::kRespond);
  EXPECT_EQ(exchange->result->take_reply()->status, 429);
  EXPECT_EQ(exchange->cursor, 2u);
  response_.status = 429;
  chain.run_response(ctx_, response_, exchange->cursor);
  EXPECT_EQ(log_, (Log{"req:a", "req:wait", "resp:wait:429", "resp:a:429"}));
}

TEST_F(PolicyChainTest, ChainCanPauseAgainAfterResuming) {
  std::optional<PausedRequest> second_handle;
  PolicyChain chain = chain_of(pausing("first"),
                               std::make_unique<PausingPolicy>("second", log_, second_handle));
  std::shared_ptr<FakeExchange> exchange = start_exchange(chain);
  ASSERT_EQ(chain.run_request(ctx_, exchange->cursor).kind(), Kind::kPause);

  handle_->resume(RequestOutcome::proceed());
  ASSERT_EQ(exchange->result->kind(), Kind::kPause);
  EXPECT_EQ(exchange->cursor, 2u);

  second_handle->resume(RequestOutcome::proceed());
  EXPECT_EQ(exchange->result->kind(), Kind::kProceed);
  EXPECT_EQ(log_, (Log{"req:first", "req:second"}));
}

TEST_F(PolicyChainTest, ResumeFromTheWorkersExecutor) {
  PolicyChain chain = chain_of(recording("a"),
                               std::make_unique<AsyncProceedingPolicy>("async", log_),
                               recording("c"));
  std::shared_ptr<FakeExchange> exchange = start_exchange(chain);
  ASSERT_EQ(chain.run_request(ctx_, exchange->cursor).kind(), Kind::kPause);
  EXPECT_FALSE(exchange->result.has_value());  // nothing resumes inline

  ctx_.io.run();

  ASSERT_TRUE(exchange->result.has_value());
  EXPECT_EQ(exchange->result->kind(), Kind::kProceed);
  EXPECT_EQ(log_, (Log{"req:a", "req:async", "req:c"}));
}

TEST_F(PolicyChainTest, ResumeIsANoOpWhenTheExchangeIsGone) {
  PolicyChain chain = chain_of(pausing("wait"), recording("c"));
  std::shared_ptr<FakeExchange> exchange = start_exchange(chain);
  ASSERT_EQ(chain.run_request(ctx_, exchange->cursor).kind(), Kind::kPause);

  std::weak_ptr<FakeExchange> watch = exchange;
  exchange.reset();  // the client went away
  ASSERT_TRUE(watch.expired());

  handle_->resume(RequestOutcome::proceed());  // must neither crash nor run "c"
  EXPECT_EQ(log_, (Log{"req:wait"}));
}

TEST_F(PolicyChainTest, PausedRequestCarriesItsExchangeId) {
  PolicyChain chain = chain_of(pausing("wait"), recording("c"));
  std::shared_ptr<FakeExchange> exchange = start_exchange(chain);
  ASSERT_EQ(chain.run_request(ctx_, exchange->cursor).kind(), Kind::kPause);

  // A handle left over from an earlier request on the same exchange object.
  PausedRequest(exchange, ctx_.exchange_id + 1).resume(RequestOutcome::proceed());
  EXPECT_EQ(exchange->resume_calls, 1);
  EXPECT_FALSE(exchange->result.has_value());

  handle_->resume(RequestOutcome::proceed());
  EXPECT_EQ(exchange->resume_calls, 2);
  ASSERT_TRUE(exchange->result.has_value());
  EXPECT_EQ(log_, (Log{"req:wait", "req:c"}));
}

}  // namespace
}  // namespace gatehouse::policy
