#pragma once
// application/x-www-form-urlencoded query parsing ("a=1&b=x%20y").

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gatehouse::api {

class QueryParams {
 public:
  // Never fails: a malformed %-escape is kept literally, '+' is a space.
  static QueryParams parse(std::string_view query);

  // The first value of `name` (a present but empty value is ""), or nullopt.
  std::optional<std::string> get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

// Decodes %XX escapes (and '+' when plus_is_space); invalid escapes stay as is.
std::string percent_decode(std::string_view s, bool plus_is_space);

}  // namespace gatehouse::api
