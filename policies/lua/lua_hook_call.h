#pragma once
// What a hook sees (the `req` and `resp` objects) and the bodies that call
// the script's on_request / on_response through LuaVm::run().
//
// The objects are userdata that point at the HookCall of the run that made
// them; used after that run (kept in a global, say) they raise an error
// instead of touching a request that is gone. Header edits are checked
// against the `headers` policy's rules (policies/headers/header_rules.h):
// names must be tokens, values free of control characters, and the headers
// the proxy frames or manages per hop (Content-Length, Connection, ...) are
// refused, as is any edit of the request's Host but a set. A hook's edits
// and local reply headers are bounded (kMaxHookHeaderBytes) so that a loop
// cannot grow a message without limit.
//
// C++ objects with destructors stay out of every frame Lua can unwind (see
// lua_vm.h): the glue passes pointers and string views, and builds strings
// only in noexcept helpers.

#include <cstddef>
#include <memory>

#include "proxy/http/message.h"
#include "proxy/policy/policy.h"

struct lua_State;

namespace gatehouse::policies::lua {

inline constexpr std::size_t kMaxHookHeaderBytes = 64 * 1024;  // names + values, per hook call
inline constexpr std::size_t kMaxReplyBody = 1024 * 1024;       // req:respond()'s body
inline constexpr const char* kDefaultReplyContentType = "text/plain; charset=utf-8";

struct HookCall {
  policy::RequestContext* ctx = nullptr;
  http::ResponseHead* response = nullptr;  // the response phase only
  int function_ref = -2;                   // the hook, in the registry
  // Request phase: set true to keep `req.ctx` (when the script used it)
  // for on_response; the body then sets ctx_ref to its registry reference.
  // Response phase: the reference kept by on_request, or LUA_NOREF (-2).
  bool keep_ctx = false;
  int ctx_ref = -2;

  // req:respond(), request phase: `responded` once a reply is complete.
  std::unique_ptr<policy::LocalReply> reply;
  bool responded = false;
  std::size_t header_bytes = 0;  // written by this call's edits so far
};

// LuaVm::run() bodies; their argument is the HookCall.
int call_request_hook(lua_State* L);   // on_request(req)
int call_response_hook(lua_State* L);  // on_response(req, resp)

}  // namespace gatehouse::policies::lua
