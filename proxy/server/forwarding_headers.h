#pragma once
// Header rewriting at the proxy boundary (RFC 9110 §7.6): hop-by-hop fields
// are dropped in both directions, and requests gain X-Forwarded-For/-Proto/
// -Host and Via. Client-sent X-Forwarded-* values are believed only when the
// peer is a configured trusted proxy.

#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "proxy/common/cidr.h"
#include "proxy/http/header_map.h"

namespace gatehouse {

// Removes Connection and the fields it names, Keep-Alive, TE, Trailer,
// Transfer-Encoding, Upgrade, Proxy-* (Proxy-Authorization and friends are
// meant for this hop). Content-Length is kept; the caller decides framing.
void remove_hop_by_hop(http::HeaderMap& headers);

// The address of the client that sent the request: the peer, or, when the
// peer is trusted, the right-most X-Forwarded-For entry that is not itself a
// trusted proxy. Writes text into `out`; `peer_text` is the peer's address as
// text (formatting an address costs more than the rest of this function).
void client_address(const http::HeaderMap& headers, const boost::asio::ip::address& peer,
                    std::string_view peer_text, const std::vector<Cidr>& trusted, std::string& out);

struct ForwardedFor {
  const boost::asio::ip::address& peer;
  std::string_view peer_text;
  bool peer_trusted;
  std::string_view proto;  // "http" or "https"
};

// Sets X-Forwarded-For (appending the peer to a trusted chain, replacing an
// untrusted one), X-Forwarded-Proto, X-Forwarded-Host and appends to Via.
// Call before remove_hop_by_hop has run or after; they are independent.
void add_forwarded_headers(http::HeaderMap& headers, const ForwardedFor& from);

// The Via entry Gatehouse adds to requests and responses.
inline constexpr std::string_view kViaEntry = "1.1 gatehouse";

// Appends `entry` to a comma-separated list field, creating it if absent.
void append_to_list(http::HeaderMap& headers, std::string_view name, std::string_view entry);

}  // namespace gatehouse
