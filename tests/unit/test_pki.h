#pragma once
// Test certificates made with the `openssl` command line in a fresh temporary
// directory (the C++ twin of tests/integration/tls_certs.py): a CA, and
// server or client certificates it signs. Test-only.

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>

namespace gatehouse::testing_support {

class TestPki {
 public:
  // `tag` keeps the directories of concurrent test binaries apart.
  explicit TestPki(const std::string& tag) {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("gatehouse-pki-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir_);
    ok_ = run("req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + path("ca.key") +
              " -out " + path("ca.crt") + " -subj /CN=Gatehouse-Test-CA -days 2");
  }
  ~TestPki() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  // False when openssl failed somewhere (the test should stop).
  bool ok() const noexcept { return ok_; }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string ca() const { return path("ca.crt"); }

  // Signs a certificate for `cn` with subjectAltName `san` (e.g.
  // "IP:127.0.0.1,DNS:redis.test"); returns {cert, key}.
  std::pair<std::string, std::string> issue(const std::string& name, const std::string& cn, const std::string& san,
                                            bool client = false) {
    const std::string key = path(name + ".key"), csr = path(name + ".csr"), crt = path(name + ".crt"),
                      ext = path(name + ".ext");
    ok_ = ok_ && run("req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + key + " -out " + csr +
                     " -subj /CN=" + cn);
    const std::string lines = "basicConstraints=CA:FALSE\\n" + (san.empty() ? "" : "subjectAltName=" + san + "\\n") +
                              "extendedKeyUsage=" + (client ? "clientAuth" : "serverAuth") + "\\n";
    ok_ = ok_ && std::system(("printf '" + lines + "' > " + ext).c_str()) == 0;
    ok_ = ok_ && run("x509 -req -in " + csr + " -CA " + ca() + " -CAkey " + path("ca.key") +
                     " -CAcreateserial -out " + crt + " -days 2 -extfile " + ext);
    return {crt, key};
  }

 private:
  static bool run(const std::string& args) { return std::system(("openssl " + args + " >/dev/null 2>&1").c_str()) == 0; }

  std::filesystem::path dir_;
  bool ok_ = false;
};

}  // namespace gatehouse::testing_support
