#pragma once
// The secondary cache key (RFC 9111 §4.1): the request header values a
// stored response was selected with, and matching a new request against them.
//
// Normalisation (what §4.1 allows: transformations "known to have identical
// semantics"; both the stored value and the new request's go through it):
//   - field names compare case-insensitively (kept lowercased);
//   - several lines of one field are combined with ", " (RFC 9110 §5.3), so
//     "a" + "b" on two lines equals "a, b" on one;
//   - OWS around each line is dropped;
//   - every field, known or not, is read as a list (RFC 9110 §5.6.1): OWS
//     around each comma outside a quoted-string becomes ", ", so "1,2" and
//     " 1, 2 " match while "\"1,2\"" and "\"1, 2\"" do not (inside quotes
//     it is data). Empty members are kept for an unknown field.
//     Exceptions, whose values are one opaque string where a comma is data:
//     User-Agent, Cookie, Authorization, Proxy-Authorization, Referer (only
//     the OWS around the whole value goes);
//   - Accept, Accept-Charset and Accept-Encoding: also empty list members
//     are removed ("gzip,,br," = "gzip, br"); member order and case are
//     kept (tokens may be case-sensitive, and these are not reordered);
//   - Accept-Language becomes canonical: language ranges lowercased (RFC
//     4647 §2: case-insensitive), members ordered by weight, highest first,
//     then by range (RFC 9110 §12.5.4 ranks by weight only, so order among
//     equal weights carries no meaning), ";q=1" dropped and other weights
//     written without trailing zeros: "en, de", "de, en" and
//     "DE;q=1.0, en" are all "de, en". A value with a member that is not
//     language-range [ weight ] is treated as Accept-Encoding is instead;
//   - an absent field matches only an absent field, never an empty one.
// Values are compared byte for byte after that.
// cache_key.h's configured key headers are normalised the same way.
//
// Beyond normalisation, one case of selecting a variant by content
// negotiation (§4.1 lets a cache do so; language_selects()): a variant in
// exactly one language L, whose Accept-Language differs, still serves a
// request whose single most preferred language (one top weight, not shared,
// above 0, not "*") is L, compared case-insensitively. Why that is safe: the
// Vary says the origin chose among its languages by Accept-Language alone,
// and it has L; a request that puts L strictly first gets L from any origin
// that honours the weights. Only exact equality counts, no RFC 4647 prefix
// matching: "de" does not select a "de-CH" variant, since the origin may
// well have a plain "de" one. Anything less certain (ties at the top, a
// response in several languages or with none named) is left to the origin.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/cache/stored_fields.h"
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

// Whether a new request selects a stored variant by its language (the
// negotiation described at the top): `stored` names accept-language, every
// other stored name matches as in variant_matches(), `response_headers` (the
// variant's stored header section) has exactly one Content-Language line
// holding one language tag L, and the request's Accept-Language parses and
// has a unique highest weight, above 0, on a range equal to L ignoring case.
// The Accept-Language the variant was stored with is not looked at: call it
// after variant_matches() failed, so an exact match always wins and a hit
// that matches exactly costs nothing more.
bool language_selects(const std::vector<VaryValue>& stored, const StoredFields& response_headers,
                      const http::HeaderMap& request_headers);

}  // namespace gatehouse::policies::cache
