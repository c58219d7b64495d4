#include "policies/jwt/jwt_policy.h"

#include <chrono>

#include <boost/asio/post.hpp>

#include "policies/jwt/remote_jwks.h"
#include "policies/jwt/token_source.h"
#include "proxy/policy/verified_claims.h"

namespace gatehouse::policies::jwt {
namespace {

// Kept with the request under the policy's address: whether a key fetch
// already ran for it (so the retry never waits again), and the failure that
// on_response() turns into a challenge.
struct KeptState final : policy::RequestData {
  bool fetched = false;
  Failure failure = Failure::kNone;
};

KeptState& kept_state(policy::RequestContext& ctx, const void* key) {
  if (auto* kept = ctx.data_as<KeptState>(key)) return *kept;
  auto fresh = std::make_unique<KeptState>();
  KeptState& ref = *fresh;
  ctx.set_data(key, std::move(fresh));
  return ref;
}

// A claim's text is only forwarded when it is a valid field value.
bool header_safe(std::string_view value) {
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return value.empty() || (value.front() != ' ' && value.front() != '\t' && value.back() != ' ' && value.back() != '\t');
}

}  // namespace

std::int64_t JwtPolicy::system_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

policy::RequestOutcome JwtPolicy::on_request(policy::RequestContext& ctx) const {
  http::HeaderMap& headers = ctx.request().headers;
  if (!config_.claims_to_headers.empty()) {
    headers.remove_if([&](const http::Header& field) {
      for (const HeaderFromClaim& h : config_.claims_to_headers) {
        if (http::iequals(field.name, h.header)) return true;
      }
      return false;
    });
  }
  FoundToken found = find_token(ctx.request(), config_.token_from);
  if (found.kind == FoundToken::Kind::kNone || (found.kind == FoundToken::Kind::kFound && found.value.empty())) {
    if (config_.optional) return policy::RequestOutcome::proceed();
    return fail(ctx, Failure::kMissing);
  }
  if (found.kind == FoundToken::Kind::kMalformed) return fail(ctx, Failure::kMalformed);
  if (found.value.size() > config_.max_token_size) return fail(ctx, Failure::kTooLarge);

  const KeptState* kept = ctx.data_as<KeptState>(this);
  const bool after_fetch = kept != nullptr && kept->fetched;
  VerifyResult result = verifier_->verify(found.value, now_(), after_fetch);
  if (result.wait_on != nullptr) {
    kept_state(ctx, this).fetched = true;
    boost::asio::any_io_executor executor = ctx.executor();
    policy::PausedRequest paused = ctx.pause_handle();
    // Runs on the fetcher's thread; the retry runs on the worker's.
    bool waiting = result.wait_on->fetch([executor, paused]() {
      boost::asio::post(executor, [paused]() { paused.resume(policy::RequestOutcome::retry()); });
    });
    if (waiting) return policy::RequestOutcome::pause();
    // No fetch may start now: one ended since verify() looked at the keys
    // (the first load, or the refetch that brought a new kid), or the last
    // started too recently. Look once more: in the first case the keys are
    // there now, and answering 503 or 401 would be a race lost.
    result = verifier_->verify(found.value, now_(), true);
  }
  if (result.failure != Failure::kNone) return fail(ctx, result.failure);

  if (config_.require && !config_.require->holds(*result.claims)) return fail(ctx, Failure::kForbidden);
  publish(ctx, result.claims);
  if (!config_.forward_token && found.source != nullptr) {
    if (found.source->kind == TokenSource::Kind::kAuthorization) headers.remove("Authorization");
    else if (found.source->kind == TokenSource::Kind::kHeader) headers.remove(found.source->name);
  }
  return policy::RequestOutcome::proceed();
}

void JwtPolicy::publish(policy::RequestContext& ctx, const std::shared_ptr<const boost::json::object>& claims) const {
  http::HeaderMap& headers = ctx.request().headers;
  for (const HeaderFromClaim& h : config_.claims_to_headers) {
    std::optional<std::string> text = policy::claim_text(*claims, h.claim);
    if (text && !text->empty() && header_safe(*text)) headers.set(h.header, *text);
  }
  ctx.set_data(&policy::kVerifiedClaimsKey, std::make_unique<policy::VerifiedClaims>(*claims));
}

policy::RequestOutcome JwtPolicy::fail(policy::RequestContext& ctx, Failure failure) const {
  metrics_.count(failure);
  kept_state(ctx, this).failure = failure;
  const std::string description(failure_description(failure));
  switch (failure) {
    case Failure::kForbidden:
      return policy::RequestOutcome::respond_error(403, "forbidden", description);
    case Failure::kKeysUnavailable:
      // The key server's fault, not the client's: retrying later may work.
      return policy::RequestOutcome::respond_error(503, "service_unavailable", description);
    case Failure::kMissing:
      return policy::RequestOutcome::respond_error(401, "unauthorized", description);
    default:
      return policy::RequestOutcome::respond_error(401, "invalid_token", description);
  }
}

void JwtPolicy::on_response(policy::RequestContext& ctx, http::ResponseHead& response) const {
  const KeptState* kept = ctx.data_as<KeptState>(this);
  if (kept == nullptr || kept->failure == Failure::kNone || kept->failure == Failure::kKeysUnavailable) return;
  std::string challenge = "Bearer realm=\"" + config_.realm + "\"";
  if (kept->failure == Failure::kForbidden) {
    challenge += ", error=\"insufficient_scope\"";
  } else if (kept->failure != Failure::kMissing) {
    challenge += ", error=\"invalid_token\", error_description=\"";
    challenge += failure_description(kept->failure);
    challenge += '"';
  }
  response.headers.set("WWW-Authenticate", challenge);
}

}  // namespace gatehouse::policies::jwt

namespace gatehouse::policies::jwt {

std::unique_ptr<const policy::Policy> create_jwt_policy(const config::ConfigNode& options,
                                                        const policy::PolicyBuildContext& build) {
  std::optional<JwtConfig> config = parse_jwt_config(options);
  if (!config) return nullptr;
  std::vector<IssuerRuntime> issuers;
  for (std::size_t i = 0; i < config->issuers.size(); ++i) {
    IssuerRuntime runtime{config->issuers[i], nullptr};
    // A `defaults` entry (no route) is only validated: it starts no fetch.
    if (runtime.config.remote && !build.route_name.empty()) {
      std::string error;
      runtime.remote = build.services.shared<JwksFetcher>().key_set(*runtime.config.remote, error);
      if (!runtime.remote) {
        options["issuers"].at(i).error("cannot set up fetching keys: " + error);
        return nullptr;
      }
    }
    issuers.push_back(std::move(runtime));
  }
  auto verifier = std::make_shared<const TokenVerifier>(std::move(issuers), config->cache_entries);
  FailureCounters metrics = build.services.shared<JwtMetrics>().for_route(build.route_name);
  return std::make_unique<const JwtPolicy>(std::move(*config), std::move(verifier), metrics);
}

}  // namespace gatehouse::policies::jwt
