#pragma once
// Config errors that point at the offending YAML node.

#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::config {

struct Diagnostic {
  std::string file;
  int line = 0;    // 1-based
  int column = 0;  // 1-based
  std::string path;  // key path, e.g. "routes[2].policies[0].headers.request"
  std::string message;

  // "file:line:column: path: message"; without ":line:column" when line is 0
  // (a file that cannot be read), without "path: " when path is empty.
  std::string to_string() const;
};

class Diagnostics {
 public:
  void add(Diagnostic d) { items_.push_back(std::move(d)); }
  bool empty() const noexcept { return items_.empty(); }
  const std::vector<Diagnostic>& items() const noexcept { return items_; }

 private:
  std::vector<Diagnostic> items_;
};

// "; did you mean `x`?" for the candidate closest to `word` (edit distance at
// most 2, adjacent transpositions counting as one edit), else "". Meant to be
// appended to an "unknown ..." message.
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace gatehouse::config
