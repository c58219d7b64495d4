#pragma once
// Config errors that point at the offending YAML node.

#include <string>
#include <vector>

namespace gatehouse::config {

struct Diagnostic {
  std::string file;
  int line = 0;    // 1-based
  int column = 0;  // 1-based
  std::string path;  // key path, e.g. "routes[2].policies[0].headers.request"
  std::string message;

  // "file:line:column: path: message"
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

}  // namespace gatehouse::config
