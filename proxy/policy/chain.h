#pragma once
// A route's ordered list of policies and the rules for running it (see
// policy.h for the contract each policy follows).

#include <cstddef>
#include <memory>
#include <vector>

#include "proxy/policy/policy.h"

namespace gatehouse::policy {

class PolicyChain {
 public:
  PolicyChain() = default;
  explicit PolicyChain(std::vector<std::unique_ptr<const Policy>> policies)
      : policies_(std::move(policies)) {}

  std::size_t size() const noexcept { return policies_.size(); }
  bool empty() const noexcept { return policies_.empty(); }

  // Runs on_request() from policy `cursor` on. Returns proceed() once every
  // policy has proceeded, or the first respond()/pause(). `cursor` is left
  // one past the last policy that ran, so after a pause the caller resumes
  // with resume() and the same cursor, and the response phase knows how many
  // policies to visit.
  RequestOutcome run_request(RequestContext& ctx, std::size_t& cursor) const;

  // Applies a paused policy's outcome: proceed() continues the chain from
  // `cursor`, retry() from the paused policy itself (cursor - 1), respond()
  // is returned as is.
  RequestOutcome resume(RequestContext& ctx, std::size_t& cursor, RequestOutcome outcome) const;

  // Runs on_response() of the first `ran` policies, last to first.
  void run_response(RequestContext& ctx, http::ResponseHead& response, std::size_t ran) const;

 private:
  std::vector<std::unique_ptr<const Policy>> policies_;
};

}  // namespace gatehouse::policy
