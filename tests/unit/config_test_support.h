#pragma once
// Helpers shared by the config loader's unit tests (test-only).

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "proxy/config/loader.h"

namespace gatehouse::config::testing {

using Strings = std::vector<std::string>;

inline LoadResult load(const std::string& yaml) { return load_config_string(yaml, "t.yaml"); }

inline Strings errors(const LoadResult& r) {
  Strings out;
  for (const Diagnostic& d : r.errors) out.push_back(d.to_string());
  return out;
}

// Loads a file that must be valid.
inline std::shared_ptr<const Config> load_ok(const std::string& yaml) {
  LoadResult r = load(yaml);
  for (const std::string& e : errors(r)) ADD_FAILURE() << e;
  EXPECT_NE(r.config, nullptr);
  return r.config;
}

// Loads a file that must be rejected; returns its errors.
inline Strings load_errors(const std::string& yaml) {
  LoadResult r = load(yaml);
  EXPECT_EQ(r.config, nullptr);
  EXPECT_FALSE(r.errors.empty());
  return errors(r);
}

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (value) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

// The smallest valid file, which most error tests extend.
inline const std::string kListener =
    "listeners:\n"                  // 1
    "  - name: public\n"            // 2
    "    address: 127.0.0.1:8080\n";  // 3
inline const std::string kMinimal = kListener +
    "upstreams:\n"                  // 4
    "  api:\n"                      // 5
    "    targets: [127.0.0.1:3000]\n"  // 6
    "routes:\n"                     // 7
    "  - name: all\n"               // 8
    "    upstream: api\n";          // 9

}  // namespace gatehouse::config::testing
