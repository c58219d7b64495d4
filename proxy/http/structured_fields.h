#pragma once
// Structured Field Values for HTTP (RFC 8941): parsing a Dictionary.
//
// Contract: parse_dictionary() follows §4.2 exactly: any syntax error fails
// the whole field (nullopt), as the RFC requires; there is no lenient mode.
// The value given is the field's lines combined with ", " (§4.2: a field
// sent in several lines is parsed as their combination). Keys are
// lowercase by syntax; a key seen twice keeps its last value at its first
// position (§4.2.2). Parameters are checked for syntax and then dropped
// (the one user, RFC 9213's targeted cache control, ignores them). Inner
// lists are checked and reported as such, without their members.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::http::sf {

struct Item {
  enum class Type : std::uint8_t { kInteger, kDecimal, kString, kToken, kByteSequence, kBoolean, kInnerList };
  Type type = Type::kBoolean;
  std::int64_t integer = 0;  // kInteger; kBoolean: 1 for ?1, 0 for ?0
  double decimal = 0;        // kDecimal
  std::string text;          // kString (unescaped), kToken, kByteSequence (its base64 text)
};

struct DictionaryMember {
  std::string key;
  Item value;
};

// §4.2.2; nullopt on any syntax error. An empty (or all-space) value is an
// empty dictionary.
std::optional<std::vector<DictionaryMember>> parse_dictionary(std::string_view value);

}  // namespace gatehouse::http::sf
