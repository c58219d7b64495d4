#pragma once
// `require:` — conditions on verified claims. Failing them means the
// token is good but does not grant this route (403, not 401).
//
// A rule is a tree: a group whose items must all hold (all_of) or of which
// one must hold (any_of); a leaf tests one claim (dotted names walk nested
// objects):
//   equals v      the claim is a scalar whose text is v
//   one_of [..]   the claim's values contain at least one of the list
//   all_of [..]   the claim's values contain every item of the list
// A claim's values are an array's items, or the space-separated words of a
// string (so `scope: "read write"` contains `write`), or a scalar's text.
// An absent or null claim satisfies no leaf.

#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace gatehouse::policies::jwt {

struct ClaimRule {
  enum class Kind : std::uint8_t { kAllOf, kAnyOf, kEquals, kOneOf, kContainsAll };
  Kind kind = Kind::kAllOf;
  std::vector<ClaimRule> children;   // kAllOf / kAnyOf
  std::string claim;                 // leaves
  std::vector<std::string> values;   // leaves (one for kEquals)

  bool holds(const boost::json::object& claims) const;
};

}  // namespace gatehouse::policies::jwt
