#pragma once
// The `jwt` policy (options in jwt_config.h): verifies a bearer token
// before the request goes upstream and hands the verified identity on.
//
// Contract of on_request():
// - Always first removes every client-sent header named in
//   claims_to_headers, so a client can never supply them itself.
// - Finds the token (token_source.h). None: with `optional: true` the
//   request proceeds without claims; else 401 (reason `missing`). Over
//   max_token_size: 401 before any parsing.
// - Verifies it (token_verifier.h). Failure: 401 with the JSON error body
//   (code `invalid_token`) and, added in on_response(), `WWW-Authenticate:
//   Bearer realm="...", error="invalid_token", error_description="..."`
//   (RFC 6750 §3; for a missing token the challenge has no error). The
//   reason is counted in gatehouse_jwt_failures_total. Nothing of the token
//   or of any key is ever echoed.
// - When the issuer's remote keys are not loaded yet, or the token names a
//   kid they lack, asks for a fetch and pauses; the fetch's completion
//   resumes the request with RequestOutcome::retry(), which runs this
//   policy again: the second run never waits (an unknown kid then fails,
//   keys still missing answer 503). No fetch allowed now: fails at once.
// - Verified: the `require` rule (claim_rules.h) must hold, else 403 with
//   `WWW-Authenticate: Bearer ... error="insufficient_scope"`. Then the
//   claims are published as policy::VerifiedClaims (kVerifiedClaimsKey) for
//   later policies, claims_to_headers are set, and with
//   `forward_token: false` the header that carried the token is removed.
// Never blocks, never throws. Immutable; shared by all workers.

#include <cstdint>
#include <memory>

#include "policies/jwt/jwt_config.h"
#include "policies/jwt/jwt_metrics.h"
#include "policies/jwt/token_verifier.h"
#include "proxy/config/config_node.h"
#include "proxy/policy/policy.h"
#include "proxy/policy/services.h"

namespace gatehouse::policies::jwt {

class JwtPolicy final : public policy::Policy {
 public:
  using NowFunction = std::int64_t (*)();  // seconds since the epoch
  static std::int64_t system_now();

  JwtPolicy(JwtConfig config, std::shared_ptr<const TokenVerifier> verifier, FailureCounters metrics,
            NowFunction now = &system_now)
      : config_(std::move(config)), verifier_(std::move(verifier)), metrics_(metrics), now_(now) {}

  policy::RequestOutcome on_request(policy::RequestContext& ctx) const override;
  void on_response(policy::RequestContext& ctx, http::ResponseHead& response) const override;

  const JwtConfig& config() const noexcept { return config_; }

 private:
  policy::RequestOutcome fail(policy::RequestContext& ctx, Failure failure) const;
  void publish(policy::RequestContext& ctx, const std::shared_ptr<const boost::json::object>& claims) const;

  JwtConfig config_;
  std::shared_ptr<const TokenVerifier> verifier_;
  FailureCounters metrics_;
  NowFunction now_;
};

// The registry's entry (proxy/policy/registry.cc): parses `options` (reading
// key files), attaches remote key sets from the process's JwksFetcher, and
// builds the policy; or reports errors against `options` and returns null.
std::unique_ptr<const policy::Policy> create_jwt_policy(const config::ConfigNode& options,
                                                        const policy::PolicyBuildContext& build);

}  // namespace gatehouse::policies::jwt
