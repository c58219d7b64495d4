#include "policies/lua/lua_vm_pool.h"

#include <algorithm>
#include <atomic>
#include <unordered_map>
#include <utility>

namespace gatehouse::policies::lua {
namespace {

struct ThreadVm {
  std::weak_ptr<const LuaVmPool> pool;  // to forget entries of pools that are gone
  LuaVm* vm = nullptr;                  // owned by the pool; null after discard()
};

// The calling thread's states, by pool id.
std::unordered_map<std::uint64_t, ThreadVm>& thread_vms() {
  thread_local std::unordered_map<std::uint64_t, ThreadVm> vms;
  return vms;
}

std::uint64_t next_pool_id() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

LuaVmPool::LuaVmPool(LuaConfig config) : config_(std::move(config)), id_(next_pool_id()) {}

LuaVm* LuaVmPool::for_this_thread(std::string& error) {
  std::unordered_map<std::uint64_t, ThreadVm>& vms = thread_vms();
  if (auto it = vms.find(id_); it != vms.end() && it->second.vm != nullptr) return it->second.vm;
  std::erase_if(vms, [](const auto& entry) { return entry.second.pool.expired(); });
  std::shared_ptr<LuaVm> vm = LuaVm::create(config_, error);
  if (vm == nullptr) return nullptr;
  LuaVm* raw = vm.get();
  {
    std::lock_guard lock(mutex_);
    vms_.push_back(std::move(vm));
  }
  vms[id_] = ThreadVm{weak_from_this(), raw};
  return raw;
}

void LuaVmPool::discard(LuaVm* vm) {
  std::shared_ptr<LuaVm> dropped;  // closed outside the lock
  {
    std::lock_guard lock(mutex_);
    auto it = std::find_if(vms_.begin(), vms_.end(), [vm](const auto& owned) { return owned.get() == vm; });
    if (it != vms_.end()) {
      dropped = std::move(*it);
      vms_.erase(it);
    }
  }
  if (auto it = thread_vms().find(id_); it != thread_vms().end() && it->second.vm == vm) it->second.vm = nullptr;
}

std::size_t LuaVmPool::size() const {
  std::lock_guard lock(mutex_);
  return vms_.size();
}

}  // namespace gatehouse::policies::lua
