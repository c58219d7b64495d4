#pragma once
// The secondary cache key (RFC 9111 §4.1): the request header values a
// stored response was selected with, and matching a new request against them.
//
// Normalisation (what §4.1 allows, and no more):
//   - field names compare case-insensitively (kept lowercased);
//   - several lines of one field are combined with ", " (RFC 9110 §5.3);
//   - OWS around each line is dropped;
//   - for the list-based content-negotiation fields Accept, Accept-Charset,
//     Accept-Encoding and Accept-Language, OWS around commas is dropped and
//     empty list members are removed, so "gzip,br" and "gzip , br" match.
//     Member order and case are kept: they can carry meaning (q-values
//     tie-break by order; tokens may be case-sensitive).
//   - an absent field matches only an absent field, never an empty one.
// Values are compared byte for byte after that.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/header_map.h"

namespace gatehouse::policies::cache {

struct VaryValue {
  std::string name;                  // lowercased field name
  std::optional<std::string> value;  // normalised; nullopt when the request had none

  bool operator==(const VaryValue&) const = default;
};

// The Vary field names of a response, lowercased, in order, without
// duplicates; nullopt when Vary contains `*` (never matches, §4.1).
std::optional<std::vector<std::string>> vary_names(const http::HeaderMap& response_headers);

// The normalised value of `name` in `request_headers` (nullopt when absent).
std::optional<std::string> normalized_field(const http::HeaderMap& request_headers, std::string_view name);

// The values to store with a response: one per Vary name, from the request
// that produced it; nullopt for Vary: *.
std::optional<std::vector<VaryValue>> select_vary_values(const http::HeaderMap& response_headers,
                                                         const http::HeaderMap& request_headers);

// Whether a new request selects a stored variant: every stored name has the
// same normalised value (or is absent in both).
bool variant_matches(const std::vector<VaryValue>& stored, const http::HeaderMap& request_headers);

}  // namespace gatehouse::policies::cache
