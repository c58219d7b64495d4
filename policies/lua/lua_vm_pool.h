#pragma once
// The Lua states of one `lua` policy: one per worker thread that runs it.
//
// A lua_State is not thread-safe and a policy is shared by every worker, so
// each thread gets its own state, built on first use on that thread from the
// script's text (compiled and its top level run again; it was checked at
// config load). The pool owns the states; a thread-local table maps the
// pool's id to the calling thread's state, so a lookup takes no lock (only
// building a state does). States die with the pool, that is with the policy
// and so with its config snapshot (a reload builds a new policy, new
// states); a thread's table forgets pools that are gone the next time it
// builds a state. A state may be closed on another thread than its own,
// since nothing runs in it once its policy is gone.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "policies/lua/lua_config.h"
#include "policies/lua/lua_vm.h"

namespace gatehouse::policies::lua {

class LuaVmPool : public std::enable_shared_from_this<LuaVmPool> {
 public:
  // Must be owned by a shared_ptr (threads refer to it weakly).
  explicit LuaVmPool(LuaConfig config);
  LuaVmPool(const LuaVmPool&) = delete;
  LuaVmPool& operator=(const LuaVmPool&) = delete;

  // The calling thread's state, built on first use. Null with `error` set
  // when it cannot be built (the script failed at its top level this time,
  // say because it depends on math.random); the next call tries again.
  LuaVm* for_this_thread(std::string& error);
  // Drops the calling thread's `vm` (spent: it hit a limit); the next
  // for_this_thread() builds a fresh one.
  void discard(LuaVm* vm);

  const LuaConfig& config() const noexcept { return config_; }
  std::size_t size() const;  // states alive (tests)

 private:
  const LuaConfig config_;
  const std::uint64_t id_;  // never reused, so a stale thread-local entry is never found
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<LuaVm>> vms_;
};

}  // namespace gatehouse::policies::lua
