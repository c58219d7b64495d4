#include "proxy/config/config_node.h"

#include <charconv>
#include <map>

namespace gatehouse::config {

struct ConfigNode::Document {
  std::string file;
  Diagnostics* diagnostics;
};

namespace {

// yaml-cpp marks are 0-based and -1 for nodes it did not parse.
bool has_mark(const YAML::Node& node) {
  if (!node.IsDefined()) return false;
  return node.Mark().line >= 0;
}

std::string join_key(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string out = parent;
  out += '.';
  out += key;
  return out;
}

std::string quoted(std::string_view text) {
  constexpr std::size_t kMax = 60;
  if (text.size() > kMax) return "`" + std::string(text.substr(0, kMax)) + "...`";
  return "`" + std::string(text) + "`";
}

// What an error message says a node was, e.g. "got a map".
std::string describe(const YAML::Node& node) {
  if (!node.IsDefined()) return "nothing";
  if (node.IsNull()) return "null";
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a sequence";
  return quoted(node.Scalar());
}

std::string format_duration(Duration d) {
  struct Unit {
    std::int64_t ms;
    const char* suffix;
  };
  static constexpr Unit kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1'000, "s"}};
  const std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  for (const Unit& u : kUnits)
    if (ms % u.ms == 0) return std::to_string(ms / u.ms) + u.suffix;
  return std::to_string(ms) + "ms";
}

std::string format_size(std::uint64_t bytes) {
  struct Unit {
    std::uint64_t factor;
    const char* suffix;
  };
  static constexpr Unit kUnits[] = {{1ull << 40, "TiB"}, {1ull << 30, "GiB"}, {1ull << 20, "MiB"},
                                    {1ull << 10, "KiB"}};
  if (bytes == 0) return "0B";
  for (const Unit& u : kUnits)
    if (bytes % u.factor == 0) return std::to_string(bytes / u.factor) + u.suffix;
  return std::to_string(bytes) + "B";
}

}  // namespace

// ---------------------------------------------------------------------------
// ConfigNode

ConfigNode::ConfigNode(YAML::Node node, std::string file, Diagnostics& diagnostics)
    : node_(std::move(node)),
      doc_(std::make_shared<const Document>(Document{std::move(file), &diagnostics})),
      parent_line_(1),
      parent_column_(1) {}

ConfigNode::ConfigNode(YAML::Node node, std::string path, std::shared_ptr<const Document> doc,
                       int line, int column)
    : node_(std::move(node)),
      path_(std::move(path)),
      doc_(std::move(doc)),
      parent_line_(line),
      parent_column_(column) {}

bool ConfigNode::defined() const noexcept { return node_.IsDefined(); }
bool ConfigNode::is_null() const noexcept { return node_.IsDefined() && node_.IsNull(); }
bool ConfigNode::is_map() const noexcept { return node_.IsDefined() && node_.IsMap(); }
bool ConfigNode::is_sequence() const noexcept { return node_.IsDefined() && node_.IsSequence(); }
bool ConfigNode::is_scalar() const noexcept { return node_.IsDefined() && node_.IsScalar(); }

std::pair<int, int> ConfigNode::location() const noexcept {
  if (has_mark(node_) && !node_.IsNull()) {
    const YAML::Mark mark = node_.Mark();
    return {mark.line + 1, mark.column + 1};
  }
  return {parent_line_, parent_column_};
}

int ConfigNode::line() const noexcept { return defined() ? location().first : 0; }
int ConfigNode::column() const noexcept { return defined() ? location().second : 0; }

ConfigNode ConfigNode::operator[](std::string_view key) const {
  const auto [line, column] = location();
  if (is_map()) {
    for (const auto& entry : node_) {  // by value: yaml-cpp iterators yield temporaries
      const YAML::Node& k = entry.first;
      if (!k.IsScalar() || k.Scalar() != key) continue;
      int key_line = line, key_column = column;
      if (has_mark(k)) {
        key_line = k.Mark().line + 1;
        key_column = k.Mark().column + 1;
      }
      return ConfigNode(entry.second, join_key(path_, key), doc_, key_line, key_column);
    }
  }
  // Missing: an undefined node that reports against this (parent) node.
  return ConfigNode(YAML::Node(YAML::NodeType::Undefined), join_key(path_, key), doc_, line, column);
}

ConfigNode ConfigNode::at(std::size_t index) const {
  const auto [line, column] = location();
  std::string path = path_ + "[" + std::to_string(index) + "]";
  if (is_sequence() && index < node_.size()) {
    return ConfigNode(node_[index], std::move(path), doc_, line, column);
  }
  return ConfigNode(YAML::Node(YAML::NodeType::Undefined), std::move(path), doc_, line, column);
}

std::size_t ConfigNode::size() const noexcept {
  if (is_map() || is_sequence()) return node_.size();
  return 0;
}

std::vector<std::pair<std::string, ConfigNode>> ConfigNode::entries() const {
  std::vector<std::pair<std::string, ConfigNode>> out;
  if (!is_map()) return out;
  const auto [line, column] = location();
  for (const auto& entry : node_) {
    const YAML::Node& k = entry.first;
    if (!k.IsScalar()) continue;  // reported by expect_keys()
    int key_line = line, key_column = column;
    if (has_mark(k)) {
      key_line = k.Mark().line + 1;
      key_column = k.Mark().column + 1;
    }
    out.emplace_back(k.Scalar(), ConfigNode(entry.second, join_key(path_, k.Scalar()), doc_,
                                            key_line, key_column));
  }
  return out;
}

ConfigNode ConfigNode::with_yaml(YAML::Node replacement) const {
  const auto [line, column] = location();
  return ConfigNode(std::move(replacement), path_, doc_, line, column);
}

bool ConfigNode::expect_map() const {
  if (is_map()) return true;
  if (!defined()) error("required key is missing; expected a map");
  else error("expected a map, got " + describe(node_));
  return false;
}

bool ConfigNode::expect_sequence() const {
  if (is_sequence()) return true;
  if (!defined()) error("required key is missing; expected a sequence");
  else error("expected a sequence, got " + describe(node_));
  return false;
}

bool ConfigNode::expect_keys(std::initializer_list<std::string_view> allowed) const {
  return expect_keys(std::vector<std::string_view>(allowed));
}

bool ConfigNode::expect_keys(const std::vector<std::string_view>& allowed) const {
  return check_keys(&allowed);
}

bool ConfigNode::expect_unique_keys() const { return check_keys(nullptr); }

// `allowed` null: any key is fine, only duplicates and non-scalars are errors.
// True when nothing was reported.
bool ConfigNode::check_keys(const std::vector<std::string_view>* allowed_keys) const {
  if (!is_map()) return true;  // nothing to check here; expect_map() reports the kind
  bool ok = true;
  const auto [line, column] = location();
  std::map<std::string, int, std::less<>> seen;  // key -> line of first use
  for (const auto& entry : node_) {
    const YAML::Node& k = entry.first;
    int key_line = line, key_column = column;
    if (has_mark(k)) {
      key_line = k.Mark().line + 1;
      key_column = k.Mark().column + 1;
    }
    if (!k.IsScalar()) {
      report(key_line, key_column, path_, "map keys must be plain strings, got " + describe(k));
      ok = false;
      continue;
    }
    const std::string& key = k.Scalar();
    const std::string key_path = join_key(path_, key);
    if (auto [first, inserted] = seen.emplace(key, key_line); !inserted) {
      report(key_line, key_column, key_path,
             "duplicate key `" + key + "` (first set on line " + std::to_string(first->second) + ")");
      ok = false;
      continue;
    }
    if (!allowed_keys) continue;
    const std::vector<std::string_view>& allowed = *allowed_keys;
    bool known = false;
    for (std::string_view a : allowed)
      if (a == key) known = true;
    if (known) continue;
    ok = false;
    if (key == "<<") {
      report(key_line, key_column, key_path,
             "YAML merge keys (`<<`) are not supported; use `defaults` to share policies");
      continue;
    }
    std::string message = "unknown key `" + key + "`";
    std::string hint = did_you_mean(key, allowed);
    if (hint.empty() && !allowed.empty()) {
      message += " (expected one of ";
      for (std::size_t i = 0; i < allowed.size(); ++i) {
        if (i) message += ", ";
        message += "`" + std::string(allowed[i]) + "`";
      }
      message += ")";
    }
    report(key_line, key_column, key_path, message + hint);
  }
  return ok;
}

void ConfigNode::error(std::string message) const {
  const auto [line, column] = location();
  report(line, column, path_, std::move(message));
}

void ConfigNode::report(int line, int column, std::string path, std::string message) const {
  doc_->diagnostics->add(Diagnostic{.file = doc_->file,
                                    .line = line,
                                    .column = column,
                                    .path = std::move(path),
                                    .message = std::move(message)});
}

// ---------------------------------------------------------------------------
// Typed reads

std::optional<std::string> ConfigNode::as_path() const {
  std::optional<std::string> text = as_string();
  if (!text) return std::nullopt;
  if (text->empty()) {
    error("expected a file path, got an empty string");
    return std::nullopt;
  }
  // Plain string work: <filesystem> would bring std::quoted into ADL's view
  // of this file's own quoted().
  if (text->front() == '/') return text;
  const std::size_t slash = doc_->file.rfind('/');
  if (slash == std::string::npos) return text;
  return doc_->file.substr(0, slash + 1) + *text;
}

std::optional<std::string> ConfigNode::as_string() const {
  if (!defined()) return std::nullopt;
  if (!is_scalar()) {
    error("expected a string, got " + describe(node_));
    return std::nullopt;
  }
  std::string missing;
  std::optional<std::string> value = expand_env(node_.Scalar(), &missing);
  if (!value) {
    if (!missing.empty()) error("environment variable `" + missing + "` is not set");
    else
      error("malformed environment reference in " + quoted(node_.Scalar()) +
            ": expected `${VAR}` or `${VAR:-default}` (`$${` is a literal `${`)");
  }
  return value;
}

std::optional<bool> ConfigNode::as_bool() const {
  if (!defined()) return std::nullopt;
  if (!is_scalar()) {
    error("expected `true` or `false`, got " + describe(node_));
    return std::nullopt;
  }
  std::optional<std::string> text = as_string();
  if (!text) return std::nullopt;
  if (*text == "true" || *text == "True" || *text == "TRUE") return true;
  if (*text == "false" || *text == "False" || *text == "FALSE") return false;
  error("expected `true` or `false`, got " + quoted(*text));
  return std::nullopt;
}

std::optional<std::int64_t> ConfigNode::as_int(std::int64_t min, std::int64_t max) const {
  if (!defined()) return std::nullopt;
  const std::string expected =
      "expected an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (!is_scalar()) {
    error(expected + ", got " + describe(node_));
    return std::nullopt;
  }
  std::optional<std::string> text = as_string();
  if (!text) return std::nullopt;
  std::int64_t value = 0;
  const char* begin = text->data();
  const char* end = begin + text->size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (text->empty() || ec != std::errc() || ptr != end || value < min || value > max) {
    error(expected + ", got " + quoted(*text));
    return std::nullopt;
  }
  return value;
}

std::optional<Duration> ConfigNode::as_duration(Duration min, Duration max) const {
  if (!defined()) return std::nullopt;
  const std::string range = "from " + format_duration(min) + " to " + format_duration(max);
  if (!is_scalar()) {
    error("expected a duration " + range + ", got " + describe(node_));
    return std::nullopt;
  }
  std::optional<std::string> text = as_string();
  if (!text) return std::nullopt;
  std::optional<Duration> value = parse_duration(*text);
  if (!value) {
    if (is_decimal_digits(*text))
      error("expected a duration with a unit (`ms`, `s`, `m`, `h` or `d`), got " + quoted(*text));
    else
      error("expected a duration such as `250ms`, `5s`, `1m`, `1h` or `7d`, got " + quoted(*text));
    return std::nullopt;
  }
  if (*value < min || *value > max) {
    error("expected a duration " + range + ", got " + quoted(*text));
    return std::nullopt;
  }
  return value;
}

std::optional<std::uint64_t> ConfigNode::as_size(std::uint64_t min, std::uint64_t max) const {
  if (!defined()) return std::nullopt;
  const std::string range = "from " + format_size(min) + " to " + format_size(max);
  if (!is_scalar()) {
    error("expected a size " + range + ", got " + describe(node_));
    return std::nullopt;
  }
  std::optional<std::string> text = as_string();
  if (!text) return std::nullopt;
  std::optional<std::uint64_t> value = parse_size(*text);
  if (!value) {
    error("expected a size such as `512B`, `64KiB`, `1MiB` or `1GiB`, got " + quoted(*text));
    return std::nullopt;
  }
  if (*value < min || *value > max) {
    error("expected a size " + range + ", got " + quoted(*text));
    return std::nullopt;
  }
  return value;
}

std::optional<std::vector<std::string>> ConfigNode::as_string_list() const {
  if (!defined()) return std::nullopt;
  if (is_scalar()) {
    std::optional<std::string> one = as_string();
    if (!one) return std::nullopt;
    return std::vector<std::string>{std::move(*one)};
  }
  if (!is_sequence()) {
    error("expected a string or a sequence of strings, got " + describe(node_));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < size(); ++i) {
    std::optional<std::string> item = at(i).as_string();
    if (item) out.push_back(std::move(*item));
    else ok = false;
  }
  if (!ok) return std::nullopt;
  return out;
}

std::string ConfigNode::string_or(std::string_view key, std::string_view fallback) const {
  std::optional<std::string> v = (*this)[key].as_string();
  return v ? std::move(*v) : std::string(fallback);
}

bool ConfigNode::bool_or(std::string_view key, bool fallback) const {
  return (*this)[key].as_bool().value_or(fallback);
}

std::int64_t ConfigNode::int_or(std::string_view key, std::int64_t fallback, std::int64_t min,
                                std::int64_t max) const {
  return (*this)[key].as_int(min, max).value_or(fallback);
}

Duration ConfigNode::duration_or(std::string_view key, Duration fallback, Duration min,
                                 Duration max) const {
  return (*this)[key].as_duration(min, max).value_or(fallback);
}

std::uint64_t ConfigNode::size_or(std::string_view key, std::uint64_t fallback, std::uint64_t min,
                                  std::uint64_t max) const {
  return (*this)[key].as_size(min, max).value_or(fallback);
}

}  // namespace gatehouse::config
