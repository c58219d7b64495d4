#pragma once
// A read-only view of one YAML node that knows its key path and reports
// typed-read errors against its own file:line:column. Every scalar read goes
// through ${VAR} / ${VAR:-default} environment substitution.
//
// Contract: reads never throw; a failed read records a Diagnostic and returns
// nullopt (or the fallback), so a loader can go on and report every error in
// one pass. A missing key yields an undefined node whose reads are nullopt
// without error (the `_or` helpers return their fallback).

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "proxy/config/diagnostics.h"

namespace gatehouse::config {

using Duration = std::chrono::milliseconds;

class ConfigNode {
 public:
  // The root of a document from `file`, reporting into `diagnostics` (which
  // must outlive every node derived from this one).
  ConfigNode(YAML::Node node, std::string file, Diagnostics& diagnostics);

  const std::string& path() const noexcept { return path_; }
  bool defined() const noexcept;  // present in the document (null counts as present)
  bool is_null() const noexcept;
  bool is_map() const noexcept;
  bool is_sequence() const noexcept;
  bool is_scalar() const noexcept;
  int line() const noexcept;    // 1-based, 0 when undefined
  int column() const noexcept;  // 1-based, 0 when undefined

  // Child by key ("path.key") or index ("path[i]"); undefined when missing.
  ConfigNode operator[](std::string_view key) const;
  ConfigNode at(std::size_t index) const;
  std::size_t size() const noexcept;  // sequence length or map size
  // Map entries in document order (keys are scalar strings).
  std::vector<std::pair<std::string, ConfigNode>> entries() const;

  // Report an error unless the node is of the kind; return whether it is.
  bool expect_map() const;
  bool expect_sequence() const;
  // Reports each key that is not in `allowed`, suggesting the closest one
  // ("did you mean `connect_timeout`?"). Returns true when every key is a
  // plain string, unique and allowed (and when the node is not a map: that
  // is expect_map()'s to report).
  bool expect_keys(std::initializer_list<std::string_view> allowed) const;
  bool expect_keys(const std::vector<std::string_view>& allowed) const;
  // For maps whose keys are names chosen by the user (upstreams, header
  // names): reports duplicate keys and keys that are not scalars. Done by
  // expect_keys() too.
  bool expect_unique_keys() const;  // true when nothing was reported

  std::optional<std::string> as_string() const;
  std::optional<bool> as_bool() const;
  std::optional<std::int64_t> as_int(std::int64_t min, std::int64_t max) const;
  // "250ms", "5s", "1m", "1h", "7d".
  std::optional<Duration> as_duration(Duration min, Duration max) const;
  // "512B", "64KiB", "1MiB", "1GiB" (a bare integer means bytes).
  std::optional<std::uint64_t> as_size(std::uint64_t min, std::uint64_t max) const;
  // A file path; a relative one is taken relative to the directory of the
  // config file (so a config and its certificates can move together).
  std::optional<std::string> as_path() const;
  // A sequence of strings (a single scalar is taken as a one-item list).
  std::optional<std::vector<std::string>> as_string_list() const;

  // Child `key` read with a fallback when absent (errors still reported).
  std::string string_or(std::string_view key, std::string_view fallback) const;
  bool bool_or(std::string_view key, bool fallback) const;
  std::int64_t int_or(std::string_view key, std::int64_t fallback, std::int64_t min, std::int64_t max) const;
  Duration duration_or(std::string_view key, Duration fallback, Duration min, Duration max) const;
  std::uint64_t size_or(std::string_view key, std::uint64_t fallback, std::uint64_t min, std::uint64_t max) const;

  // Records an error located at this node (or at its parent when undefined).
  void error(std::string message) const;

  // The YAML underneath (undefined when missing), e.g. to merge option maps.
  const YAML::Node& yaml() const noexcept { return node_; }
  // A node with this one's path, position and diagnostics that holds
  // `replacement` instead: for options merged from several places, whose
  // children keep their own positions.
  ConfigNode with_yaml(YAML::Node replacement) const;

 private:
  struct Document;
  ConfigNode(YAML::Node node, std::string path, std::shared_ptr<const Document> doc, int line, int column);

  // Where this node is when it has no position of its own: the parent map
  // when the key is missing, the key when the value is null (yaml-cpp marks
  // an empty value at the next token), the parent for synthesized nodes.
  std::pair<int, int> location() const noexcept;
  void report(int line, int column, std::string path, std::string message) const;
  bool check_keys(const std::vector<std::string_view>* allowed) const;

  YAML::Node node_;
  std::string path_;
  std::shared_ptr<const Document> doc_;
  int parent_line_ = 0;
  int parent_column_ = 0;
};

// True for a non-empty run of ASCII decimal digits.
bool is_decimal_digits(std::string_view text) noexcept;
// Parses "250ms"/"5s"/"1m"/"1h"/"7d"; nullopt on bad syntax or overflow.
std::optional<Duration> parse_duration(std::string_view text);
// Parses "512B"/"64KiB"/"1MiB"/"1GiB"/"1024"; nullopt on bad syntax or overflow.
std::optional<std::uint64_t> parse_size(std::string_view text);
// Expands ${VAR} and ${VAR:-default}; nullopt (and `missing` set) when a
// variable without default is unset, or on an unterminated ${.
std::optional<std::string> expand_env(std::string_view text, std::string* missing);

}  // namespace gatehouse::config
