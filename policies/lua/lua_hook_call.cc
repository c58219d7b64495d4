#include "policies/lua/lua_hook_call.h"

#include <lua.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "policies/headers/header_rules.h"
#include "policies/lua/lua_vm.h"
#include "proxy/policy/verified_claims.h"

namespace gatehouse::policies::lua {
namespace {

using headers::Direction;
using headers::Edit;

constexpr const char* kRequestType = "gatehouse.request";
constexpr const char* kResponseType = "gatehouse.response";
constexpr int kClaimsSlot = 1;  // the request userdata's user values
constexpr int kCtxSlot = 2;
constexpr int kMaxClaimsDepth = 64;

// What a `req` or `resp` userdata holds: trivially destructible, so Lua may
// collect it without running anything.
struct ObjectHandle {
  HookCall* call;
  std::uint64_t run_serial;
};

// --- noexcept helpers: all the C++ work that allocates ----------------------

// Checks an edit against the shared rules and the hook's byte budget, then
// applies it; null on success, else a static sentence saying why not.
const char* apply_header_edit(HookCall& call, http::HeaderMap& fields, Direction direction, Edit edit,
                              std::string_view name, std::string_view value) noexcept {
  if (!headers::is_header_name(name)) return "not a valid header name (an RFC 9110 token)";
  if (std::string_view why = headers::edit_refusal(direction, edit, name); !why.empty()) return why.data();
  if (edit != Edit::kRemove) {
    if (std::string_view problem = headers::value_problem(value); !problem.empty()) return problem.data();
    if (name.size() + value.size() > kMaxHookHeaderBytes - call.header_bytes) {
      return "this hook's header edits exceed 64KiB";
    }
    call.header_bytes += name.size() + value.size();
  }
  switch (edit) {
    case Edit::kRemove: fields.remove(name); break;
    case Edit::kSet: fields.set(name, value); break;
    case Edit::kAdd: fields.add(name, value); break;
  }
  return nullptr;
}

void start_reply(HookCall& call, int status, std::string_view body) noexcept {
  call.reply = std::make_unique<policy::LocalReply>();
  call.reply->status = status;
  call.reply->body.assign(body);
  call.reply->content_type = kDefaultReplyContentType;
}

const char* add_reply_header(HookCall& call, std::string_view name, std::string_view value) noexcept {
  policy::LocalReply& reply = *call.reply;
  const char* problem = apply_header_edit(call, reply.headers, Direction::kResponse, Edit::kAdd, name, value);
  if (problem != nullptr) return problem;
  // The proxy writes Content-Type from the reply's own field for a body.
  if (http::iequals(name, "Content-Type")) {
    reply.headers.set(name, value);
    reply.content_type.assign(value);
  }
  return nullptr;
}

void set_response_status(http::ResponseHead& response, int status) noexcept {
  response.status = status;
  response.reason.assign(http::reason_phrase(status));
}

// --- shared glue -------------------------------------------------------------

HookCall* check_object(lua_State* L, const char* type, const char* what) {
  auto* handle = static_cast<ObjectHandle*>(luaL_checkudata(L, 1, type));
  const LuaVm& vm = LuaVm::of(L);
  if (!vm.running() || vm.run_serial() != handle->run_serial) {
    luaL_error(L, "this %s object belongs to a hook call that has returned", what);
  }
  return handle->call;
}

HookCall* check_request(lua_State* L) { return check_object(L, kRequestType, "request"); }
HookCall* check_response(lua_State* L) { return check_object(L, kResponseType, "response"); }

int push_view(lua_State* L, std::string_view text) {
  lua_pushlstring(L, text.data(), text.size());
  return 1;
}

std::string_view check_view(lua_State* L, int index) {
  std::size_t size = 0;
  const char* text = luaL_checklstring(L, index, &size);
  return {text, size};
}

int push_first_header(lua_State* L, const http::HeaderMap& fields) {
  const std::string_view name = check_view(L, 2);
  const std::string* value = fields.find(name);
  if (value == nullptr) {
    lua_pushnil(L);
  } else {
    lua_pushlstring(L, value->data(), value->size());
  }
  return 1;
}

// `method` ("set_header"...) names the call in the error.
int edit_header(lua_State* L, HookCall* call, http::HeaderMap& fields, Direction direction, Edit edit,
                const char* method) {
  const std::string_view name = check_view(L, 2);
  const std::string_view value = edit == Edit::kRemove ? std::string_view() : check_view(L, 3);
  if (const char* problem = apply_header_edit(*call, fields, direction, edit, name, value)) {
    // Both strings stay valid: `name` is on the stack, `problem` static.
    return luaL_error(L, "%s(\"%s\"): %s", method, lua_tostring(L, 2), problem);
  }
  return 0;
}

void push_json(lua_State* L, const boost::json::value& v, int depth);

void push_json_object(lua_State* L, const boost::json::object& object, int depth) {
  lua_createtable(L, 0, static_cast<int>(std::min<std::size_t>(object.size(), 1 << 16)));
  for (const boost::json::key_value_pair& member : object) {
    const std::string_view key = member.key();
    lua_pushlstring(L, key.data(), key.size());
    push_json(L, member.value(), depth + 1);
    lua_rawset(L, -3);
  }
}

// JSON to Lua: objects and arrays become tables (arrays from index 1),
// numbers integers where they fit, null nil (so it leaves no key).
void push_json(lua_State* L, const boost::json::value& v, int depth) {
  luaL_checkstack(L, 4, "claims nested too deeply");
  if (depth > kMaxClaimsDepth) {
    lua_pushnil(L);
    return;
  }
  switch (v.kind()) {
    case boost::json::kind::string: {
      const boost::json::string& s = v.get_string();
      lua_pushlstring(L, s.data(), s.size());
      return;
    }
    case boost::json::kind::int64:
      lua_pushinteger(L, static_cast<lua_Integer>(v.get_int64()));
      return;
    case boost::json::kind::uint64:
      if (v.get_uint64() <= static_cast<std::uint64_t>(LUA_MAXINTEGER)) {
        lua_pushinteger(L, static_cast<lua_Integer>(v.get_uint64()));
      } else {
        lua_pushnumber(L, static_cast<lua_Number>(v.get_uint64()));
      }
      return;
    case boost::json::kind::double_:
      lua_pushnumber(L, v.get_double());
      return;
    case boost::json::kind::bool_:
      lua_pushboolean(L, v.get_bool() ? 1 : 0);
      return;
    case boost::json::kind::null:
      lua_pushnil(L);
      return;
    case boost::json::kind::array: {
      const boost::json::array& array = v.get_array();
      lua_createtable(L, static_cast<int>(std::min<std::size_t>(array.size(), 1 << 16)), 0);
      lua_Integer i = 0;
      for (const boost::json::value& item : array) {
        push_json(L, item, depth + 1);
        lua_rawseti(L, -2, ++i);
      }
      return;
    }
    case boost::json::kind::object:
      push_json_object(L, v.get_object(), depth);
      return;
  }
  lua_pushnil(L);
}

// req.claims: built on first use in a call, then kept in the object.
int push_claims(lua_State* L, HookCall* call) {
  if (lua_getiuservalue(L, 1, kClaimsSlot) == LUA_TTABLE) return 1;
  lua_pop(L, 1);
  const policy::VerifiedClaims* verified = policy::verified_claims(*call->ctx);
  if (verified == nullptr) {
    lua_pushnil(L);
    return 1;
  }
  push_json_object(L, verified->claims, 0);
  lua_pushvalue(L, -1);
  lua_setiuservalue(L, 1, kClaimsSlot);
  return 1;
}

// req.ctx: a table kept from on_request to on_response of one request.
int push_request_ctx(lua_State* L, HookCall* call) {
  if (lua_getiuservalue(L, 1, kCtxSlot) == LUA_TTABLE) return 1;
  lua_pop(L, 1);
  if (call->response != nullptr && call->ctx_ref >= 0) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, call->ctx_ref);
  } else {
    lua_newtable(L);
  }
  lua_pushvalue(L, -1);
  lua_setiuservalue(L, 1, kCtxSlot);
  return 1;
}

// --- req ---------------------------------------------------------------------

int request_header(lua_State* L) { return push_first_header(L, check_request(L)->ctx->request().headers); }

HookCall* check_request_phase(lua_State* L, const char* method) {
  HookCall* call = check_request(L);
  if (call->response != nullptr) {
    luaL_error(L, "req:%s() is only available in on_request (the request has gone upstream)", method);
  }
  return call;
}

int request_set_header(lua_State* L) {
  HookCall* call = check_request_phase(L, "set_header");
  return edit_header(L, call, call->ctx->request().headers, Direction::kRequest, Edit::kSet, "req:set_header");
}

int request_add_header(lua_State* L) {
  HookCall* call = check_request_phase(L, "add_header");
  return edit_header(L, call, call->ctx->request().headers, Direction::kRequest, Edit::kAdd, "req:add_header");
}

int request_remove_header(lua_State* L) {
  HookCall* call = check_request_phase(L, "remove_header");
  return edit_header(L, call, call->ctx->request().headers, Direction::kRequest, Edit::kRemove,
                     "req:remove_header");
}

// req:respond(status [, body [, headers]])
int request_respond(lua_State* L) {
  HookCall* call = check_request_phase(L, "respond");
  if (call->responded) return luaL_error(L, "req:respond() was already called for this request");
  const lua_Integer status = luaL_checkinteger(L, 2);
  if (status < 200 || status > 599) {
    return luaL_error(L, "req:respond(): status %I is not a final status (200 to 599)", status);
  }
  std::size_t body_size = 0;
  const char* body = luaL_optlstring(L, 3, "", &body_size);
  if (body_size > kMaxReplyBody) return luaL_error(L, "req:respond(): the body is larger than 1MiB");
  if (body_size > 0 && http::status_forbids_body(static_cast<int>(status))) {
    return luaL_error(L, "req:respond(): a %d response has no body", static_cast<int>(status));
  }
  if (!lua_isnoneornil(L, 4)) luaL_checktype(L, 4, LUA_TTABLE);
  start_reply(*call, static_cast<int>(status), std::string_view(body, body_size));
  if (lua_istable(L, 4)) {
    lua_pushnil(L);
    while (lua_next(L, 4) != 0) {
      if (lua_type(L, -2) != LUA_TSTRING) return luaL_error(L, "req:respond(): header names must be strings");
      const int value_type = lua_type(L, -1);
      if (value_type != LUA_TSTRING && value_type != LUA_TNUMBER) {
        return luaL_error(L, "req:respond(): the value of header \"%s\" must be a string", lua_tostring(L, -2));
      }
      std::size_t name_size = 0;
      std::size_t value_size = 0;
      const char* name = lua_tolstring(L, -2, &name_size);
      const char* value = lua_tolstring(L, -1, &value_size);  // converts the copy on the stack, not the key
      if (const char* problem =
              add_reply_header(*call, std::string_view(name, name_size), std::string_view(value, value_size))) {
        return luaL_error(L, "req:respond(): header \"%s\": %s", name, problem);
      }
      lua_pop(L, 1);
    }
  }
  call->responded = true;
  return 0;
}

int request_index(lua_State* L) {
  HookCall* call = check_request(L);
  if (lua_type(L, 2) != LUA_TSTRING) return 0;
  std::size_t size = 0;
  const char* text = lua_tolstring(L, 2, &size);
  const std::string_view key(text, size);
  policy::RequestContext& ctx = *call->ctx;
  if (key == "method") return push_view(L, ctx.request().method);
  if (key == "path") return push_view(L, ctx.request().path());
  if (key == "query") return push_view(L, ctx.request().query());
  if (key == "client_ip") return push_view(L, ctx.client_address());
  if (key == "route") return push_view(L, ctx.route_name());
  if (key == "request_id") return push_view(L, ctx.request_id());
  if (key == "claims") return push_claims(L, call);
  if (key == "ctx") return push_request_ctx(L, call);
  lua_CFunction method = nullptr;
  if (key == "header") method = request_header;
  else if (key == "set_header") method = request_set_header;
  else if (key == "add_header") method = request_add_header;
  else if (key == "remove_header") method = request_remove_header;
  else if (key == "respond") method = request_respond;
  if (method == nullptr) return 0;
  lua_pushcfunction(L, method);
  return 1;
}

// --- resp --------------------------------------------------------------------

int response_header(lua_State* L) { return push_first_header(L, check_response(L)->response->headers); }

int response_set_header(lua_State* L) {
  HookCall* call = check_response(L);
  return edit_header(L, call, call->response->headers, Direction::kResponse, Edit::kSet, "resp:set_header");
}

int response_add_header(lua_State* L) {
  HookCall* call = check_response(L);
  return edit_header(L, call, call->response->headers, Direction::kResponse, Edit::kAdd, "resp:add_header");
}

int response_remove_header(lua_State* L) {
  HookCall* call = check_response(L);
  return edit_header(L, call, call->response->headers, Direction::kResponse, Edit::kRemove,
                     "resp:remove_header");
}

// The body and its framing were decided with the status the response came
// with, so a status may only change to one that agrees on having a body.
int response_set_status(lua_State* L) {
  HookCall* call = check_response(L);
  const lua_Integer status = luaL_checkinteger(L, 2);
  const int current = call->response->status;
  if (status < 200 || status > 599) {
    return luaL_error(L, "resp:set_status(): %I is not a final status (200 to 599)", status);
  }
  if (http::status_forbids_body(static_cast<int>(status)) != http::status_forbids_body(current)) {
    return luaL_error(L, "resp:set_status(): cannot turn a %d into a %d (one has a body, the other never does)",
                      current, static_cast<int>(status));
  }
  set_response_status(*call->response, static_cast<int>(status));
  return 0;
}

int response_index(lua_State* L) {
  HookCall* call = check_response(L);
  if (lua_type(L, 2) != LUA_TSTRING) return 0;
  std::size_t size = 0;
  const char* text = lua_tolstring(L, 2, &size);
  const std::string_view key(text, size);
  if (key == "status") {
    lua_pushinteger(L, call->response->status);
    return 1;
  }
  lua_CFunction method = nullptr;
  if (key == "header") method = response_header;
  else if (key == "set_header") method = response_set_header;
  else if (key == "add_header") method = response_add_header;
  else if (key == "remove_header") method = response_remove_header;
  else if (key == "set_status") method = response_set_status;
  if (method == nullptr) return 0;
  lua_pushcfunction(L, method);
  return 1;
}

int refuse_assignment(lua_State* L) {
  return luaL_error(L, "%s is read-only (keep per-request values in req.ctx)", luaL_typename(L, 1));
}

// Pushes a new `req` or `resp` for `call`, with its (locked) metatable.
void push_object(lua_State* L, HookCall* call, const char* type, lua_CFunction index, int user_values) {
  auto* handle = static_cast<ObjectHandle*>(lua_newuserdatauv(L, sizeof(ObjectHandle), user_values));
  handle->call = call;
  handle->run_serial = LuaVm::of(L).run_serial();
  if (luaL_newmetatable(L, type) != 0) {
    lua_pushcfunction(L, index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, refuse_assignment);
    lua_setfield(L, -2, "__newindex");
    lua_pushstring(L, type);
    lua_setfield(L, -2, "__metatable");  // getmetatable() sees this, not the table
  }
  lua_setmetatable(L, -2);
}

}  // namespace

int call_request_hook(lua_State* L) {
  auto* call = static_cast<HookCall*>(lua_touserdata(L, 1));
  push_object(L, call, kRequestType, request_index, 2);  // 2: req
  lua_rawgeti(L, LUA_REGISTRYINDEX, call->function_ref);
  lua_pushvalue(L, 2);
  lua_call(L, 1, 0);
  if (call->keep_ctx) {
    if (lua_getiuservalue(L, 2, kCtxSlot) == LUA_TTABLE) {
      call->ctx_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    } else {
      lua_pop(L, 1);
    }
  }
  return 0;
}

int call_response_hook(lua_State* L) {
  auto* call = static_cast<HookCall*>(lua_touserdata(L, 1));
  push_object(L, call, kRequestType, request_index, 2);  // 2: req
  push_object(L, call, kResponseType, response_index, 0);  // 3: resp
  lua_rawgeti(L, LUA_REGISTRYINDEX, call->function_ref);
  lua_pushvalue(L, 2);
  lua_pushvalue(L, 3);
  lua_call(L, 2, 0);
  return 0;
}

}  // namespace gatehouse::policies::lua
