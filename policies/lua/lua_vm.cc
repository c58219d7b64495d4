#include "policies/lua/lua_vm.h"

#include <lua.hpp>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "proxy/common/log.h"

namespace gatehouse::policies::lua {
namespace {

// Lua's allocator contract (lua_Alloc): nsize 0 frees; otherwise behave
// like realloc and return null only when the request cannot be met. Growth
// past the limit is refused; Lua then collects garbage and tries again
// before it raises "not enough memory".
void* limited_alloc(void* ud, void* ptr, std::size_t osize, std::size_t nsize) noexcept {
  auto* a = static_cast<LuaVm::Allocation*>(ud);
  // With ptr null, osize tells the kind of object, not a size.
  const std::size_t old = ptr != nullptr ? osize : 0;
  if (nsize == 0) {
    std::free(ptr);
    a->used -= old;
    return nullptr;
  }
  if (nsize > old && (a->used >= a->limit || nsize - old > a->limit - a->used)) {
    a->refused = true;
    return nullptr;
  }
  void* grown = std::realloc(ptr, nsize);
  if (grown == nullptr) return nullptr;
  a->used = a->used - old + nsize;
  return grown;
}

// The instruction budget (see lua_vm.h): called every `interval`
// instructions, then, once the budget is spent, before every instruction,
// so that the error raised here escapes any pcall in the script.
void count_hook(lua_State* L, lua_Debug* /*ar*/) {
  LuaVm::Budget& budget = LuaVm::of(L).budget();
  if (!budget.exceeded) {
    budget.executed += static_cast<std::uint64_t>(budget.interval);
    if (budget.executed < budget.limit) return;
    budget.exceeded = true;
    lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
  }
  luaL_where(L, 0);
  lua_pushliteral(L, "instruction limit reached");
  lua_concat(L, 2);
  lua_error(L);
}

// Every call into Lua is protected (LuaVm::run); reaching this is a bug.
int lua_vm_panic(lua_State* L) {
  const char* message = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "(no message)";
  // Nothing unwinds past here (abort), so C++ objects are fine.
  log_error(std::string("lua: unprotected Lua error (a Gatehouse bug): ") + message);
  std::abort();
}

// load() as in the base library, but text chunks only (its third argument,
// the mode, forced to "t"): binary chunks can corrupt the VM.
int text_only_load(lua_State* L) {
  if (lua_gettop(L) < 3) lua_settop(L, 3);
  lua_pushliteral(L, "t");
  lua_replace(L, 3);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

void open_sandbox(lua_State* L) {
  luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
  luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
  luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
  luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
  lua_pop(L, 5);
  // Files, blocking output to the process's stdout/stderr, GC control.
  for (const char* name : {"dofile", "loadfile", "print", "warn", "collectgarbage"}) {
    lua_pushnil(L);
    lua_setglobal(L, name);
  }
  lua_getglobal(L, "load");
  lua_pushcclosure(L, text_only_load, 1);
  lua_setglobal(L, "load");
  lua_getglobal(L, LUA_STRLIBNAME);
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");
  lua_pop(L, 1);
}

// A global function of the script, referenced from the registry so that a
// later reassignment of the global changes nothing; LUA_NOREF otherwise.
int reference_global_function(lua_State* L, const char* name) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
  lua_pushstring(L, name);
  lua_rawget(L, -2);  // raw: a metatable the script set on _G is not run
  int ref = LUA_NOREF;
  if (lua_type(L, -1) == LUA_TFUNCTION) {
    ref = luaL_ref(L, LUA_REGISTRYINDEX);
  } else {
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return ref;
}

struct ScriptLoad {
  const LuaConfig* config;
  int on_request = LUA_NOREF;
  int on_response = LUA_NOREF;
};

int load_script(lua_State* L) {
  auto* load = static_cast<ScriptLoad*>(lua_touserdata(L, 1));
  open_sandbox(L);
  const std::string& source = load->config->source;
  if (luaL_loadbufferx(L, source.data(), source.size(), load->config->chunk_name.c_str(), "t") != LUA_OK) {
    return lua_error(L);
  }
  lua_call(L, 0, 0);
  load->on_request = reference_global_function(L, "on_request");
  load->on_response = reference_global_function(L, "on_response");
  return 0;
}

int unref_body(lua_State* L) {
  const int* ref = static_cast<const int*>(lua_touserdata(L, 1));
  luaL_unref(L, LUA_REGISTRYINDEX, *ref);
  return 0;
}

std::string describe_size(std::uint64_t bytes) {
  if (bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + "MiB";
  if (bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + "KiB";
  return std::to_string(bytes) + "B";
}

}  // namespace

LuaVm::LuaVm(const LuaConfig& config) {
  allocation_.limit = static_cast<std::size_t>(config.max_memory);
  budget_.limit = config.max_instructions;
  budget_.interval = static_cast<int>(std::min<std::uint64_t>(1000, config.max_instructions));
  state_ = lua_newstate(limited_alloc, &allocation_);
  if (state_ == nullptr) return;
  lua_atpanic(state_, lua_vm_panic);
  *static_cast<LuaVm**>(lua_getextraspace(state_)) = this;
}

LuaVm::~LuaVm() {
  if (state_ == nullptr) return;
  // Finalizers (__gc) run at close: they get a budget like any run.
  budget_.executed = 0;
  budget_.exceeded = false;
  lua_sethook(state_, count_hook, LUA_MASKCOUNT, budget_.interval);
  lua_close(state_);
}

LuaVm& LuaVm::of(lua_State* L) noexcept { return **static_cast<LuaVm**>(lua_getextraspace(L)); }

std::shared_ptr<LuaVm> LuaVm::create(const LuaConfig& config, std::string& error) {
  std::shared_ptr<LuaVm> vm(new LuaVm(config));
  if (vm->state_ == nullptr) {
    error = "max_memory (" + describe_size(config.max_memory) + ") is too small for a Lua state";
    return nullptr;
  }
  ScriptLoad load{&config};
  LuaRunResult result = vm->run(&load_script, &load);
  if (!result.ok()) {
    error = std::move(result.message);
    return nullptr;
  }
  vm->on_request_ref_ = load.on_request;
  vm->on_response_ref_ = load.on_response;
  return vm;
}

LuaRunResult LuaVm::run(Body body, void* arg) noexcept {
  lua_State* L = state_;
  ++run_serial_;
  running_ = true;
  budget_.executed = 0;
  budget_.exceeded = false;
  allocation_.refused = false;
  lua_sethook(L, count_hook, LUA_MASKCOUNT, budget_.interval);
  lua_settop(L, 0);
  // Neither push allocates (a light C function, a light userdata), so
  // nothing can raise before the protected call.
  lua_pushcfunction(L, body);
  lua_pushlightuserdata(L, arg);
  const int status = lua_pcall(L, 1, 0, 0);
  running_ = false;

  LuaRunResult result;
  if (status == LUA_OK && !budget_.exceeded) return result;
  // Reading a string error object does not allocate; anything else is
  // described by its type only (converting it could raise).
  std::string message;
  if (lua_type(L, -1) == LUA_TSTRING) {
    message = lua_tostring(L, -1);
  } else {
    message = std::string("(the error object is a ") + luaL_typename(L, -1) + " value)";
  }
  lua_settop(L, 0);
  if (budget_.exceeded) {
    spent_ = true;
    result.status = LuaRunResult::Status::kInstructionLimit;
    result.message = message + " (max_instructions: " + std::to_string(budget_.limit) + ")";
  } else if (status == LUA_ERRMEM) {
    spent_ = true;
    result.status = LuaRunResult::Status::kMemoryLimit;
    result.message = "the script ran out of memory (max_memory: " + describe_size(allocation_.limit) + ")";
  } else {
    result.status = LuaRunResult::Status::kError;
    result.message = std::move(message);
  }
  return result;
}

void LuaVm::release_ref(int ref) noexcept {
  if (ref < 0 || running_ || spent_) return;
  run(&unref_body, &ref);
}

}  // namespace gatehouse::policies::lua
