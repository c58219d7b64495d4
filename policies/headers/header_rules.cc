#include "policies/headers/header_rules.h"

#include <algorithm>
#include <array>

#include "proxy/http/header_map.h"

namespace gatehouse::policies::headers {
namespace {

// RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" /
// "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA.
bool is_header_tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Headers that describe the message's framing or a single connection. The
// proxy computes them itself for each hop (RFC 9110 §7.6.1), so an edit
// would either be overwritten or desynchronise the body from its framing
// (request smuggling, truncated responses).
struct ManagedHeader {
  std::string_view name;
  std::string_view why;
};
constexpr std::array<ManagedHeader, 7> kManagedHeaders{{
    {"Content-Length", "it delimits the body, and the proxy frames every body it sends itself"},
    {"Transfer-Encoding", "it delimits the body, and the proxy frames every body it sends itself"},
    {"Connection", "it is hop-by-hop and the proxy manages each connection itself"},
    {"Keep-Alive", "it is hop-by-hop and the proxy manages each connection itself"},
    {"Proxy-Connection", "it is hop-by-hop and the proxy manages each connection itself"},
    {"TE", "it is hop-by-hop and the proxy manages each connection itself"},
    {"Upgrade", "it is hop-by-hop and the proxy manages each connection itself"},
}};

}  // namespace

bool is_header_name(std::string_view name) noexcept {
  return !name.empty() && std::all_of(name.begin(), name.end(), is_header_tchar);
}

std::string_view edit_refusal(Direction direction, Edit edit, std::string_view name) noexcept {
  for (const ManagedHeader& managed : kManagedHeaders) {
    if (http::iequals(name, managed.name)) return managed.why;
  }
  // Rewriting Host is a legitimate need; dropping it or adding a second one
  // makes the request invalid (RFC 9112 §3.2: exactly one Host).
  if (direction == Direction::kRequest && edit != Edit::kSet && http::iequals(name, "Host")) {
    return "a request must carry exactly one Host (use `set` to rewrite it)";
  }
  return {};
}

// RFC 9110 §5.5: a field value is visible characters, obs-text, and inner
// spaces or tabs. CR/LF would split the header (response splitting), NUL
// is rejected by every sane parser, and outer whitespace is stripped by the
// recipient, so writing it is always a mistake.
std::string_view value_problem(std::string_view value) noexcept {
  for (char c : value) {
    auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7f) {
      return "header value contains a control character (CR, LF, NUL or another); it would "
             "corrupt the message or split the header";
    }
  }
  auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  if (!value.empty() && (is_space(value.front()) || is_space(value.back()))) {
    return "header value must not start or end with spaces or tabs (recipients strip them)";
  }
  return {};
}

}  // namespace gatehouse::policies::headers
