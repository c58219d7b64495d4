#include "policies/lua/lua_config.h"

#include <fstream>
#include <iterator>
#include <utility>

namespace gatehouse::policies::lua {
namespace {

std::optional<std::string> read_script_file(const config::ConfigNode& node, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    node.error("cannot read `" + path + "`");
    return std::nullopt;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    node.error("cannot read `" + path + "`");
    return std::nullopt;
  }
  if (text.size() > kMaxScriptSize) {
    node.error("`" + path + "` is larger than 1MiB");
    return std::nullopt;
  }
  return text;
}

}  // namespace

std::optional<LuaConfig> parse_lua_config(const config::ConfigNode& options,
                                          std::optional<config::ConfigNode>* script_node) {
  if (!options.is_map()) {
    options.error("expected a map with `file` (a Lua script) or `source` (its text)");
    return std::nullopt;
  }
  bool ok = options.expect_keys({"file", "source", "max_instructions", "max_memory"});
  LuaConfig config;
  const config::ConfigNode file = options["file"];
  const config::ConfigNode source = options["source"];
  if (file.defined() == source.defined()) {
    options.error(file.defined() ? "give either `file` or `source`, not both"
                                 : "missing the script: `file: path/to/hooks.lua` or `source: \"...\"`");
    ok = false;
  } else if (file.defined()) {
    // Lua names the chunk as the operator wrote it (shorter and more
    // recognisable in error messages than the resolved path).
    std::optional<std::string> written = file.as_string();
    std::optional<std::string> path = file.as_path();
    std::optional<std::string> text = path ? read_script_file(file, *path) : std::nullopt;
    if (written && text) {
      config.source = std::move(*text);
      config.chunk_name = "@" + *written;
      if (script_node != nullptr) *script_node = file;
    } else {
      ok = false;
    }
  } else {
    std::optional<std::string> text = source.as_string();
    if (!text) {
      ok = false;
    } else if (text->size() > kMaxScriptSize) {
      source.error("the script is larger than 1MiB");
      ok = false;
    } else {
      config.source = std::move(*text);
      config.chunk_name = "=" + source.path();
      if (script_node != nullptr) *script_node = source;
    }
  }
  if (const config::ConfigNode n = options["max_instructions"]; n.defined()) {
    std::optional<std::int64_t> v = n.as_int(kMinMaxInstructions, kMaxMaxInstructions);
    if (v) config.max_instructions = static_cast<std::uint64_t>(*v);
    ok &= v.has_value();
  }
  if (const config::ConfigNode n = options["max_memory"]; n.defined()) {
    std::optional<std::uint64_t> v = n.as_size(kMinMaxMemory, kMaxMaxMemory);
    if (v) config.max_memory = *v;
    ok &= v.has_value();
  }
  if (!ok) return std::nullopt;
  return config;
}

}  // namespace gatehouse::policies::lua
