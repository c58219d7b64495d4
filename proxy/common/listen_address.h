#pragma once
// Parses a listening address given on a command line: "127.0.0.1:8080",
// "[::1]:8080", ":8080" (all addresses) or "localhost:8080". Resolves host
// names, so it may block: for start-up code only, never a worker.

#include <optional>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>

namespace gatehouse {

std::optional<boost::asio::ip::tcp::endpoint> resolve_listen_address(std::string_view text);

}  // namespace gatehouse
