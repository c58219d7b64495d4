#include "proxy/server/forwarding_headers.h"

#include <boost/asio/ip/address.hpp>

namespace gatehouse {
namespace {

bool is_fixed_hop_by_hop(std::string_view name) noexcept {
  using http::iequals;
  switch (name.size()) {
    case 2: return iequals(name, "te");
    case 7: return iequals(name, "trailer") || iequals(name, "upgrade");
    case 10: return iequals(name, "connection") || iequals(name, "keep-alive");
    case 17: return iequals(name, "transfer-encoding");
  }
  return name.size() > 6 && iequals(name.substr(0, 6), "proxy-");
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

void remove_hop_by_hop(http::HeaderMap& headers) {
  // Collect the field names listed in Connection, copied: removal moves
  // header storage around. "close" and "keep-alive" name no field we would
  // keep anyway, so the common case collects nothing.
  std::string named;
  for (const http::Header& h : headers) {
    if (!http::iequals(h.name, "connection")) continue;
    std::string_view list = h.value;
    while (!list.empty()) {
      std::size_t comma = list.find(',');
      std::string_view token = trim(list.substr(0, comma));
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      if (token.empty() || http::iequals(token, "close") || http::iequals(token, "keep-alive")) continue;
      named.append(token);
      named.push_back(',');
    }
  }
  headers.remove_if([&](const http::Header& h) {
    if (is_fixed_hop_by_hop(h.name)) return true;
    return !named.empty() && http::list_contains_token(named, h.name);
  });
}

void client_address(const http::HeaderMap& headers, const boost::asio::ip::address& peer,
                    std::string_view peer_text, const std::vector<Cidr>& trusted, std::string& out) {
  out.clear();
  if (!trusted.empty() && any_contains(trusted, peer)) {
    // Walk X-Forwarded-For from the right; the first untrusted hop is the client.
    for (std::size_t i = headers.size(); i > 0; --i) {
      const http::Header& h = headers[i - 1];
      if (!http::iequals(h.name, "x-forwarded-for")) continue;
      std::string_view list = h.value;
      while (!list.empty()) {
        std::size_t comma = list.rfind(',');
        std::string_view entry = trim(comma == std::string_view::npos ? list : list.substr(comma + 1));
        list = comma == std::string_view::npos ? std::string_view() : list.substr(0, comma);
        boost::system::error_code ec;
        auto addr = boost::asio::ip::make_address(std::string(entry), ec);
        if (ec) return out.assign(peer_text), void();
        if (!any_contains(trusted, addr)) return out.assign(addr.to_string()), void();
      }
    }
  }
  out.assign(peer_text);
}

void append_to_list(http::HeaderMap& headers, std::string_view name, std::string_view entry) {
  std::string* existing = headers.find(name);
  if (existing == nullptr) {
    headers.add(name, entry);
    return;
  }
  // Fold repeated fields into the first one so the list stays in order.
  std::string merged;
  for (const http::Header& h : headers) {
    if (!http::iequals(h.name, name)) continue;
    if (!merged.empty()) merged.append(", ");
    merged.append(h.value);
  }
  merged.append(", ");
  merged.append(entry);
  headers.set(name, merged);
}

void add_forwarded_headers(http::HeaderMap& headers, const ForwardedFor& from) {
  if (from.peer_trusted) {
    append_to_list(headers, "X-Forwarded-For", from.peer_text);
    if (!headers.contains("x-forwarded-proto")) headers.add("X-Forwarded-Proto", from.proto);
    if (!headers.contains("x-forwarded-host")) {
      if (const std::string* host = headers.find("host")) {
        std::string copy = *host;  // add() may move the field `host` points into
        headers.add("X-Forwarded-Host", copy);
      }
    }
  } else {
    headers.set("X-Forwarded-For", from.peer_text);
    headers.set("X-Forwarded-Proto", from.proto);
    if (const std::string* host = headers.find("host")) {
      std::string copy = *host;  // set() may move the field `host` points into
      headers.set("X-Forwarded-Host", copy);
    } else {
      headers.remove("x-forwarded-host");
    }
  }
  append_to_list(headers, "Via", kViaEntry);
}

}  // namespace gatehouse
