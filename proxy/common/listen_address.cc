#include "proxy/common/listen_address.h"

#include <string>

#include <boost/asio/io_context.hpp>

namespace gatehouse {

std::optional<boost::asio::ip::tcp::endpoint> resolve_listen_address(std::string_view text) {
  using tcp = boost::asio::ip::tcp;
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string host(text.substr(0, colon));
  std::string port(text.substr(colon + 1));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  boost::asio::io_context io;
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(host, port, tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) return std::nullopt;
  return results.begin()->endpoint();
}

}  // namespace gatehouse
