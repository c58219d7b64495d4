#pragma once
// What an operator-written header edit may do, shared by every policy that
// edits headers on the operator's behalf: the `headers` policy checks its
// YAML with these at load, the `lua` policy checks its hooks' edits with
// them at run time. One set of rules, so both refuse the same edits for the
// same reasons.
//
// Every returned sentence is a static, NUL-terminated string literal (safe
// to hand to C APIs such as Lua's), or empty when there is nothing to say.

#include <cstdint>
#include <string_view>

namespace gatehouse::policies::headers {

enum class Direction : std::uint8_t { kRequest, kResponse };
enum class Edit : std::uint8_t { kRemove, kSet, kAdd };

// RFC 9110 §5.6.2: a non-empty token (letters, digits and !#$%&'*+-.^_`|~).
bool is_header_name(std::string_view name) noexcept;

// Why `name` may not be edited this way: headers the proxy frames or
// manages per hop (Content-Length, Transfer-Encoding, Connection, ...), and
// on requests any edit of Host but a set. Empty when the edit is allowed.
std::string_view edit_refusal(Direction direction, Edit edit, std::string_view name) noexcept;

// Why `value` may not be written as a field value (control characters,
// leading or trailing whitespace), or empty when it may.
std::string_view value_problem(std::string_view value) noexcept;

}  // namespace gatehouse::policies::headers
