#pragma once
// The `lua` policy: runs an operator's Lua 5.4 script's hooks on each
// request of a route (options in lua_config.h, the sandbox and its limits
// in lua_vm.h, what a hook can see and do in lua_hook_call.h and
// docs/configuration.md).
//
// Contract:
// - At load the script is compiled (text only) and its top level run once
//   in a scratch state under the limits; a syntax or runtime error is a
//   config error naming the script's line, and a script without a global
//   on_request(req) or on_response(req, resp) is refused.
// - on_request(): calls on_request(req) if the script has one. It proceeds,
//   or answers with what req:respond() recorded (the later policies and the
//   upstream are skipped). Never pauses, never blocks.
// - on_response(): calls on_response(req, resp) if the script has one, for
//   upstream responses and local replies alike (this policy's own too).
//   `req.ctx` is the table on_request used, if it did.
// - A failure (a Lua error, max_instructions, max_memory) is counted in
//   gatehouse_lua_errors_total{route,phase} and logged (at most one line per
//   10s per policy). In on_request it answers 500 (`internal_error`; the
//   script's message is never sent to the client). In on_response the
//   edits the hook made are undone and the status becomes 500, unless the
//   response's status forbids a body (204, 304), which is then kept as is:
//   the body and its framing are already decided. A state that hit a limit
//   is replaced.
// Immutable; shared by all workers, each of which runs its own Lua state.

#include <memory>
#include <string>

#include "policies/lua/lua_metrics.h"
#include "policies/lua/lua_vm_pool.h"
#include "proxy/config/config_node.h"
#include "proxy/policy/policy.h"
#include "proxy/policy/services.h"

namespace gatehouse::policies::lua {

class LuaPolicy final : public policy::Policy {
 public:
  struct Hooks {
    bool on_request = false;
    bool on_response = false;
  };

  LuaPolicy(LuaConfig config, Hooks hooks, std::string route, LuaErrorCounters errors);

  policy::RequestOutcome on_request(policy::RequestContext& ctx) const override;
  void on_response(policy::RequestContext& ctx, http::ResponseHead& response) const override;

  Hooks hooks() const noexcept { return hooks_; }
  const LuaVmPool& pool() const noexcept { return *pool_; }

 private:
  void report(HookPhase phase, policy::RequestContext& ctx, const std::string& message) const;

  std::shared_ptr<LuaVmPool> pool_;
  Hooks hooks_;
  std::string route_;
  LuaErrorCounters errors_;
  // Written by every worker (throttling state), hence mutable; the policy's
  // behaviour does not depend on it.
  mutable LuaErrorLog log_;
};

// The registry's entry (proxy/policy/registry.cc): parses `options` (reading
// the script file), checks the script, and builds the policy; or reports
// errors against `options` and returns null.
std::unique_ptr<const policy::Policy> create_lua_policy(const config::ConfigNode& options,
                                                        const policy::PolicyBuildContext& build);

}  // namespace gatehouse::policies::lua
