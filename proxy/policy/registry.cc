#include "proxy/policy/registry.h"

#include <array>

#include "policies/access/access_policy.h"
#include "policies/cors/cors_policy.h"
#include "policies/cache/cache_policy.h"
#include "policies/headers/headers_policy.h"
#include "policies/jwt/jwt_policy.h"
#include "policies/lua/lua_policy.h"
#include "policies/rate_limit/rate_limit_policy.h"
#include "policies/security_headers/security_headers_policy.h"

namespace gatehouse::policy {
namespace {

// Every policy type the config loader accepts, by its YAML key. Listed by
// hand rather than registered from static initialisers, so the set of
// policies is visible in one place and does not depend on link order.
constexpr std::array kPolicyFactories{
    PolicyFactory{"headers", &policies::headers::create_headers_policy},
    PolicyFactory{"rate_limit", &policies::rate_limit::create_rate_limit_policy},
    PolicyFactory{"jwt", &policies::jwt::create_jwt_policy},
    PolicyFactory{"lua", &policies::lua::create_lua_policy},
    PolicyFactory{"security_headers", &policies::security_headers::create_security_headers_policy},
    PolicyFactory{"cors", &policies::cors::create_cors_policy},
    PolicyFactory{"access", &policies::access::create_access_policy},
    PolicyFactory{"cache", &policies::cache::create_cache_policy},
};

}  // namespace

std::span<const PolicyFactory> policy_factories() noexcept { return kPolicyFactories; }

const PolicyFactory* find_policy_factory(std::string_view type) noexcept {
  for (const PolicyFactory& factory : kPolicyFactories) {
    if (factory.type == type) return &factory;
  }
  return nullptr;
}

}  // namespace gatehouse::policy
