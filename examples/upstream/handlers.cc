#include "examples/upstream/handlers.h"

#include <array>
#include <charconv>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace upstream {
namespace {

using gatehouse::http::RequestHead;

constexpr std::uint64_t kMaxBytes = 64ull << 20;
constexpr std::uint64_t kMaxDelayMs = 600'000;
constexpr std::uint64_t kMaxChunks = 100'000;  // three buffers each
constexpr std::uint64_t kMaxChunkedTotal = 1ull << 30;

bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// Calls fn(name, value) for each raw "name=value" pair of a query.
template <typename Fn>
void for_each_pair(std::string_view query, Fn fn) {
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    std::size_t eq = pair.find('=');
    if (!pair.empty()) {
      fn(pair.substr(0, eq), eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
}

// A numeric query parameter with a default; false if present but invalid.
bool query_number(std::string_view query, std::string_view name, std::uint64_t fallback,
                  std::uint64_t& out) {
  out = fallback;
  bool ok = true;
  for_each_pair(query, [&](std::string_view n, std::string_view v) {
    if (n == name) ok = parse_u64(v, out);
  });
  return ok;
}

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool valid_field(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!is_tchar(c)) return false;
  }
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

Route bad(std::string why) {
  Route r;
  r.endpoint = Endpoint::kBadRequest;
  r.error = std::move(why);
  return r;
}

Route headers_route(std::string_view query) {
  Route r;
  r.endpoint = Endpoint::kHeaders;
  bool ok = true;
  for_each_pair(query, [&](std::string_view n, std::string_view v) {
    std::string name, value;
    ok = ok && percent_decode(n, name) && percent_decode(v, value) && valid_field(name, value);
    // Framing stays ours: a stray length would desynchronise the client.
    ok = ok && !gatehouse::http::iequals(name, "content-length") &&
         !gatehouse::http::iequals(name, "transfer-encoding");
    if (ok) r.headers.emplace_back(std::move(name), std::move(value));
  });
  return ok ? r : bad("invalid header in query");
}

}  // namespace

Route route(const RequestHead& head) {
  std::string_view path = head.path();
  std::string_view query = head.query();
  Route r;
  // The number after a "/name/" prefix the caller has matched.
  auto tail = [&](std::string_view prefix, std::uint64_t& out) {
    return parse_u64(path.substr(prefix.size()), out);
  };
  if (path.starts_with("/bytes/")) {
    if (!tail("/bytes/", r.count) || r.count > kMaxBytes) return bad("N must be 0..67108864");
    r.endpoint = Endpoint::kBytes;
  } else if (path == "/inspect") {
    r.endpoint = Endpoint::kInspect;
  } else if (path == "/echo") {
    std::uint64_t chunked = 0;
    if (!query_number(query, "chunked", 0, chunked)) return bad("chunked must be 0 or 1");
    r.endpoint = chunked != 0 ? Endpoint::kEchoChunked : Endpoint::kEcho;
  } else if (path == "/chunked") {
    if (!query_number(query, "n", 4, r.count) || !query_number(query, "size", 1024, r.size) ||
        r.count > kMaxChunks || r.count * r.size > kMaxChunkedTotal) {
      return bad("n and size must be numbers, n <= 100000, n*size <= 1 GiB");
    }
    r.endpoint = Endpoint::kChunked;
  } else if (path.starts_with("/delay/")) {
    if (!tail("/delay/", r.count) || r.count > kMaxDelayMs) return bad("MS must be 0..600000");
    r.endpoint = Endpoint::kDelay;
  } else if (path.starts_with("/status/")) {
    if (!tail("/status/", r.count) || r.count < 200 || r.count > 599) return bad("N must be 200..599");
    r.endpoint = Endpoint::kStatus;
  } else if (path == "/close") {
    r.endpoint = Endpoint::kClose;
  } else if (path == "/reset") {
    r.endpoint = Endpoint::kReset;
  } else if (path == "/until-close") {
    if (!query_number(query, "size", 1024, r.size) || r.size > kMaxBytes) {
      return bad("size must be 0..67108864");
    }
    r.endpoint = Endpoint::kUntilClose;
  } else if (path == "/slow-body") {
    if (!query_number(query, "chunks", 5, r.count) || !query_number(query, "interval", 100, r.interval) ||
        r.count > 10'000 || r.interval > kMaxDelayMs) {
      return bad("chunks must be 0..10000 and interval 0..600000");
    }
    r.endpoint = Endpoint::kSlowBody;
  } else if (path == "/headers") {
    return headers_route(query);
  }
  return r;
}

std::string_view fill_block(char c) {
  // Function-local statics: filled once, thread-safely, on first use.
  static const auto make = [](char ch) {
    auto* block = new std::array<char, kFillBlock>;  // lives for the process
    block->fill(ch);
    return std::string_view(block->data(), block->size());
  };
  static const std::string_view x = make('x');
  static const std::string_view y = make('y');
  static const std::string_view s = make('s');
  return c == 'y' ? y : c == 's' ? s : x;
}

void append_fill(std::vector<boost::asio::const_buffer>& out, char c, std::uint64_t n) {
  std::string_view block = fill_block(c);
  while (n > 0) {
    std::size_t take = n < block.size() ? static_cast<std::size_t>(n) : block.size();
    out.emplace_back(block.data(), take);
    n -= take;
  }
}

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= in.size()) return false;
    auto r = std::from_chars(in.data() + i + 1, in.data() + i + 3, value, 16);
    if (r.ec != std::errc() || r.ptr != in.data() + i + 3) return false;
    out.push_back(static_cast<char>(value));
    i += 2;
  }
  return true;
}

std::string inspect_json(const RequestHead& head, std::uint64_t body_length, std::string_view sha256_hex) {
  boost::json::array headers;
  for (const gatehouse::http::Header& h : head.headers) {
    headers.push_back(boost::json::array{h.name, h.value});
  }
  boost::json::object o;
  o["method"] = head.method;
  o["target"] = head.target;
  o["version"] = head.version_minor == 0 ? "1.0" : "1.1";
  o["headers"] = std::move(headers);
  o["body_length"] = body_length;
  o["body_sha256"] = sha256_hex;
  return boost::json::serialize(o);
}

std::string number_json(std::string_view key, std::uint64_t value) {
  boost::json::object o;
  o[key] = value;
  return boost::json::serialize(o);
}

std::string error_json(std::string_view message) {
  boost::json::object o;
  o["error"] = message;
  return boost::json::serialize(o);
}

}  // namespace upstream
