#pragma once
// The `lua` policy's options, read at config load:
//
//   - lua: { file: hooks/auth.lua }               # relative to the YAML file
//   - lua: { source: "function on_request(req) ... end", max_instructions: 100000, max_memory: 1MiB }
//
// Exactly one of `file` and `source`. The script is only read here; it is
// compiled and checked by create_lua_policy (lua_policy.h).

#include <cstdint>
#include <optional>
#include <string>

#include "proxy/config/config_node.h"

namespace gatehouse::policies::lua {

inline constexpr std::uint64_t kDefaultMaxInstructions = 1'000'000;
inline constexpr std::uint64_t kMinMaxInstructions = 1'000;
inline constexpr std::uint64_t kMaxMaxInstructions = 1'000'000'000;
inline constexpr std::uint64_t kDefaultMaxMemory = 8ull << 20;  // 8MiB
inline constexpr std::uint64_t kMinMaxMemory = 256ull << 10;   // 256KiB: a state with its libraries needs ~30KiB
inline constexpr std::uint64_t kMaxMaxMemory = 1ull << 30;     // 1GiB
inline constexpr std::uint64_t kMaxScriptSize = 1ull << 20;    // 1MiB of source

struct LuaConfig {
  std::string source;  // the script's text
  // Lua's name for the chunk, which prefixes every error message with
  // "name:line:": "@<file as written>" for `file`, "=<key path>" for `source`.
  std::string chunk_name;
  std::uint64_t max_instructions = kDefaultMaxInstructions;  // per hook call
  std::uint64_t max_memory = kDefaultMaxMemory;              // per Lua state (one per worker)
};

// Parses the options node (`...policies[i].lua`), reading `file`. Reports
// every problem against its node and returns nullopt when any was reported.
// `script_node`, when given, is set to the node that holds the script
// (`file` or `source`), where compile errors belong.
std::optional<LuaConfig> parse_lua_config(const config::ConfigNode& options,
                                          std::optional<config::ConfigNode>* script_node = nullptr);

}  // namespace gatehouse::policies::lua
