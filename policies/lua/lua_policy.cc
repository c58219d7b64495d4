#include "policies/lua/lua_policy.h"

#include <lua.hpp>

#include <optional>
#include <utility>

#include "policies/lua/lua_hook_call.h"

namespace gatehouse::policies::lua {
namespace {

constexpr std::string_view kFailureMessage = "the route's Lua script failed";

// req.ctx of one request, kept in the worker's Lua state (a registry
// reference) from on_request to on_response. Destroyed with the exchange,
// on the worker's thread, which owns that state; a state replaced or gone
// in the meantime is not touched.
class LuaRequestTable final : public policy::RequestData {
 public:
  LuaRequestTable(std::weak_ptr<LuaVm> vm, int ref) : vm_(std::move(vm)), ref_(ref) {}
  ~LuaRequestTable() override {
    if (std::shared_ptr<LuaVm> vm = vm_.lock()) vm->release_ref(ref_);
  }
  LuaRequestTable(const LuaRequestTable&) = delete;
  LuaRequestTable& operator=(const LuaRequestTable&) = delete;

  // The reference when the table lives in `vm`, else LUA_NOREF.
  int ref_in(const LuaVm* vm) const {
    std::shared_ptr<LuaVm> owner = vm_.lock();
    return owner.get() == vm ? ref_ : LUA_NOREF;
  }

 private:
  std::weak_ptr<LuaVm> vm_;
  int ref_;
};

}  // namespace

LuaPolicy::LuaPolicy(LuaConfig config, Hooks hooks, std::string route, LuaErrorCounters errors)
    : pool_(std::make_shared<LuaVmPool>(std::move(config))),
      hooks_(hooks),
      route_(std::move(route)),
      errors_(errors) {}

void LuaPolicy::report(HookPhase phase, policy::RequestContext& ctx, const std::string& message) const {
  errors_.count(phase);
  log_.report(route_, phase, ctx.request_id(), message);
}

policy::RequestOutcome LuaPolicy::on_request(policy::RequestContext& ctx) const {
  if (!hooks_.on_request && !hooks_.on_response) return policy::RequestOutcome::proceed();
  std::string error;
  LuaVm* vm = pool_->for_this_thread(error);
  if (vm == nullptr) {
    report(HookPhase::kRequest, ctx, error);
    return policy::RequestOutcome::respond_error(500, "internal_error", kFailureMessage);
  }
  if (vm->on_request_ref() == LUA_NOREF) return policy::RequestOutcome::proceed();
  HookCall call;
  call.ctx = &ctx;
  call.function_ref = vm->on_request_ref();
  call.keep_ctx = vm->on_response_ref() != LUA_NOREF;
  LuaRunResult result = vm->run(&call_request_hook, &call);
  if (!result.ok()) {
    if (vm->spent()) pool_->discard(vm);
    report(HookPhase::kRequest, ctx, result.message);
    return policy::RequestOutcome::respond_error(500, "internal_error", kFailureMessage);
  }
  if (call.ctx_ref != LUA_NOREF) {
    ctx.set_data(this, std::make_unique<LuaRequestTable>(vm->weak_from_this(), call.ctx_ref));
  }
  if (call.responded) return policy::RequestOutcome::respond(std::move(*call.reply));
  return policy::RequestOutcome::proceed();
}

void LuaPolicy::on_response(policy::RequestContext& ctx, http::ResponseHead& response) const {
  if (!hooks_.on_response) return;
  std::string error;
  LuaVm* vm = pool_->for_this_thread(error);
  LuaRunResult result;
  // A failed hook must not leave half of its edits behind.
  const int status = response.status;
  std::string reason = response.reason;
  http::HeaderMap fields = response.headers;
  if (vm == nullptr) {
    result = {LuaRunResult::Status::kError, std::move(error)};
  } else if (vm->on_response_ref() != LUA_NOREF) {
    HookCall call;
    call.ctx = &ctx;
    call.response = &response;
    call.function_ref = vm->on_response_ref();
    if (const auto* table = ctx.data_as<LuaRequestTable>(this)) call.ctx_ref = table->ref_in(vm);
    result = vm->run(&call_response_hook, &call);
    if (vm->spent()) pool_->discard(vm);
  }
  if (result.ok()) return;
  report(HookPhase::kResponse, ctx, result.message);
  response.headers = std::move(fields);
  response.reason = std::move(reason);
  response.status = status;
  if (!http::status_forbids_body(status)) {
    response.status = 500;
    response.reason.assign(http::reason_phrase(500));
  }
}

std::unique_ptr<const policy::Policy> create_lua_policy(const config::ConfigNode& options,
                                                        const policy::PolicyBuildContext& build) {
  std::optional<config::ConfigNode> script_node;
  std::optional<LuaConfig> config = parse_lua_config(options, &script_node);
  if (!config) return nullptr;
  // Compiled and run once here, on the control thread, so that a broken
  // script is a config error (and a reload keeps the running config); the
  // workers' states are built from the same text when first needed.
  std::string error;
  std::shared_ptr<LuaVm> scratch = LuaVm::create(*config, error);
  if (scratch == nullptr) {
    script_node->error("the Lua script does not load: " + error);
    return nullptr;
  }
  LuaPolicy::Hooks hooks{scratch->on_request_ref() != LUA_NOREF, scratch->on_response_ref() != LUA_NOREF};
  scratch.reset();
  if (!hooks.on_request && !hooks.on_response) {
    script_node->error("the Lua script defines neither `on_request(req)` nor `on_response(req, resp)` as a "
                       "global function, so it would never run");
    return nullptr;
  }
  LuaErrorCounters errors = build.services.shared<LuaMetrics>().for_route(build.route_name);
  return std::make_unique<const LuaPolicy>(std::move(*config), hooks, std::string(build.route_name), errors);
}

}  // namespace gatehouse::policies::lua
