// gatehouse-upstream: the origin server the integration tests and the
// benchmarks put behind Gatehouse.
//
//   gatehouse-upstream --listen HOST:PORT [--threads N]

#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>

#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "examples/upstream/server.h"
#include "proxy/common/listen_address.h"

namespace {

using tcp = boost::asio::ip::tcp;

int usage(const char* why) {
  std::fprintf(stderr, "gatehouse-upstream: %s\n", why);
  std::fprintf(stderr, "usage: gatehouse-upstream --listen HOST:PORT [--threads N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view listen;
  unsigned threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i + 1 >= argc) return usage("missing value after an option");
    std::string_view value = argv[++i];
    if (arg == "--listen") {
      listen = value;
    } else if (arg == "--threads") {
      auto r = std::from_chars(value.data(), value.data() + value.size(), threads);
      if (r.ec != std::errc() || r.ptr != value.data() + value.size() || threads == 0 || threads > 256) {
        return usage("--threads must be 1..256");
      }
    } else {
      return usage("unknown option");
    }
  }
  if (listen.empty()) return usage("--listen is required");
  std::optional<tcp::endpoint> endpoint = gatehouse::resolve_listen_address(listen);
  if (!endpoint) return usage("cannot resolve the --listen address");

  upstream::Server server;
  std::string error;
  if (!server.listen(*endpoint, threads, error)) {
    std::fprintf(stderr, "gatehouse-upstream: cannot listen on %.*s: %s\n", static_cast<int>(listen.size()),
                 listen.data(), error.c_str());
    return 1;
  }
  tcp::endpoint bound = server.local_endpoint();
  std::string address = bound.address().to_string();
  if (bound.address().is_v6()) address = "[" + address + "]";
  std::fprintf(stderr, "listening on %s:%u\n", address.c_str(), static_cast<unsigned>(bound.port()));
  std::fflush(stderr);
  server.run();
  return 0;
}
