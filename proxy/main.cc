// gatehouse --config FILE | gatehouse check --config FILE | gatehouse --version
#include <malloc.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "proxy/app.h"
#include "proxy/version.h"

namespace {

int usage(int code) {
  std::fprintf(code == 0 ? stdout : stderr,
               "usage: gatehouse --config FILE          run the gateway\n"
               "       gatehouse check --config FILE    validate FILE and exit 0 (valid) or 1\n"
               "       gatehouse --version\n");
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  bool check = false;
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    const char* arg = argv[i];
    if (std::strcmp(arg, "--version") == 0 || std::strcmp(arg, "-v") == 0) {
      std::printf("gatehouse %s\n", GATEHOUSE_VERSION);
      return 0;
    }
    if (std::strcmp(arg, "--help") == 0 || std::strcmp(arg, "-h") == 0) return usage(0);
    if (std::strcmp(arg, "check") == 0 && i == 1) {
      check = true;
    } else if ((std::strcmp(arg, "--config") == 0 || std::strcmp(arg, "-c") == 0) && i + 1 < argc) {
      config_path = argv[++i];
    } else if (std::strncmp(arg, "--config=", 9) == 0) {
      config_path = arg + 9;
    } else {
      std::fprintf(stderr, "gatehouse: unknown argument `%s`\n", arg);
      return usage(2);
    }
  }
  if (config_path.empty()) return usage(2);
  if (!check) {
    // Each connection allocates and frees ~100 KiB (TLS buffers, read
    // buffers). With glibc's default 128 KiB trim threshold a worker's arena
    // gave that back and took it again for nearly every connection: a madvise,
    // several mprotects and page faults per TLS handshake. Keeping up to
    // 32 MiB of free heap per arena costs little against that.
    mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
  }
  return check ? gatehouse::check_config(config_path) : gatehouse::run_server(config_path);
}
