#pragma once
// One sandboxed Lua 5.4 state running one `lua` policy's script, for one
// worker thread (lua_vm_pool.h hands them out).
//
// Sandbox:
// - Libraries: base, string, table, math, utf8. No io, os, debug, package
//   (so no require), coroutine. From base, dofile, loadfile, print, warn and
//   collectgarbage are removed (files, blocking output, GC control), and
//   load() only accepts text chunks; string.dump is removed too. Precompiled
//   (binary) chunks are never loaded: they can break the VM's invariants.
// - Instructions: every run() gets `max_instructions` VM instructions,
//   counted by a LUA_MASKCOUNT hook. Past the budget the hook raises an
//   error at every further instruction, so a script cannot catch it with
//   pcall and go on: the run ends with kInstructionLimit. Work inside a
//   library function (a long string.rep, a pathological pattern) is not
//   counted while it runs; memory still bounds most of it.
// - Memory: an allocator refuses to grow the state past `max_memory`
//   (Lua first collects garbage and retries, then raises "not enough
//   memory"); a run that ends that way is kMemoryLimit.
// After a limit was hit the state may be half-way through anything, so it is
// spent() and must be replaced (LuaVmPool::discard).
//
// Errors are longjmps (Lua is built as C): every call into Lua that can
// raise goes through run(), which is a lua_pcall. A body given to run(), and
// every C function it exposes to Lua, must keep C++ objects with
// destructors out of its own frame (do such work in separate noexcept
// functions that return before the next Lua call), since a raise unwinds it
// without running destructors.
//
// Threading: a state is used by one thread at a time (its worker's); it may
// be destroyed on another thread once nothing uses it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "policies/lua/lua_config.h"

struct lua_State;

namespace gatehouse::policies::lua {

struct LuaRunResult {
  enum class Status : std::uint8_t { kOk, kError, kInstructionLimit, kMemoryLimit };
  Status status = Status::kOk;
  // What went wrong, for the log: Lua's "chunk:line: message", or which
  // limit was hit. Empty when kOk.
  std::string message;

  bool ok() const noexcept { return status == Status::kOk; }
};

class LuaVm : public std::enable_shared_from_this<LuaVm> {
 public:
  using Body = int (*)(lua_State*);  // a lua_CFunction

  // A state with the sandbox's libraries in which the script was compiled
  // (text only) and its top level run, under the limits. Null with `error`
  // set ("chunk:line: message" for syntax and runtime errors) otherwise.
  static std::shared_ptr<LuaVm> create(const LuaConfig& config, std::string& error);

  ~LuaVm();
  LuaVm(const LuaVm&) = delete;
  LuaVm& operator=(const LuaVm&) = delete;

  // Calls body(L) with a light userdata `arg` as its only argument, in
  // protected mode, with a fresh instruction budget. Leaves the stack empty.
  LuaRunResult run(Body body, void* arg) noexcept;

  lua_State* state() const noexcept { return state_; }
  // A limit was hit: the state must not run again.
  bool spent() const noexcept { return spent_; }
  // Counts run() calls: a value handed to Lua during one run (a request
  // object) checks it to refuse use after its run returned.
  std::uint64_t run_serial() const noexcept { return run_serial_; }
  bool running() const noexcept { return running_; }

  // Registry references to the script's global on_request / on_response,
  // taken after its top level ran; LUA_NOREF (-2) when not a function.
  int on_request_ref() const noexcept { return on_request_ref_; }
  int on_response_ref() const noexcept { return on_response_ref_; }

  // Frees a registry reference (luaL_unref) taken during an earlier run.
  void release_ref(int ref) noexcept;

  std::size_t memory_used() const noexcept { return allocation_.used; }

  // The VM that owns `L` (kept in the state's extra space).
  static LuaVm& of(lua_State* L) noexcept;

  // For the C glue: the instruction hook and the allocator's bookkeeping.
  struct Allocation {
    std::size_t used = 0;
    std::size_t limit = 0;
    bool refused = false;  // an allocation was refused during this run
  };
  struct Budget {
    std::uint64_t limit = 0;     // instructions per run
    std::uint64_t executed = 0;  // counted in steps of `interval`
    int interval = 1000;
    bool exceeded = false;
  };
  Budget& budget() noexcept { return budget_; }

 private:
  explicit LuaVm(const LuaConfig& config);

  lua_State* state_ = nullptr;
  Allocation allocation_;
  Budget budget_;
  bool spent_ = false;
  bool running_ = false;
  std::uint64_t run_serial_ = 0;
  int on_request_ref_ = -2;
  int on_response_ref_ = -2;
};

}  // namespace gatehouse::policies::lua
