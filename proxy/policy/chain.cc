#include "proxy/policy/chain.h"

namespace gatehouse::policy {

RequestOutcome PolicyChain::run_request(RequestContext& ctx, std::size_t& cursor) const {
  while (cursor < policies_.size()) {
    RequestOutcome outcome = policies_[cursor++]->on_request(ctx);
    if (outcome.is_retry()) return RequestOutcome::respond_error(500, "internal_error", "a policy failed");
    if (outcome.kind() != RequestOutcome::Kind::kProceed) return outcome;
  }
  return RequestOutcome::proceed();
}

RequestOutcome PolicyChain::resume(RequestContext& ctx, std::size_t& cursor,
                                   RequestOutcome outcome) const {
  if (outcome.kind() != RequestOutcome::Kind::kProceed) return outcome;
  // retry(): run the paused policy (the last that ran) again.
  if (outcome.is_retry() && cursor > 0) --cursor;
  return run_request(ctx, cursor);
}

void PolicyChain::run_response(RequestContext& ctx, http::ResponseHead& response,
                               std::size_t ran) const {
  if (ran > policies_.size()) ran = policies_.size();
  for (std::size_t i = ran; i > 0; --i) policies_[i - 1]->on_response(ctx, response);
}

}  // namespace gatehouse::policy
