#pragma once
// Entity tags (RFC 9110 §8.8.3): parsing, the two comparisons (§8.8.3.2),
// and a strong tag computed from content.
//
// Contract: pure functions. An entity-tag is `"opaque"` or `W/"opaque"`
// where opaque is etagc = %x21 / %x23-7E / obs-text. Parsing is lenient
// where the intent is unambiguous, as nginx and the shared caches the
// public cache conformance suite compares are: an unquoted `abc` is the
// strong tag `"abc"`, and `w/`, `W\` and a bare `W` before the quote are
// read as the weakness flag; anything else (unbalanced quotes, spaces or
// quotes inside, an unquoted tag after a weakness flag) does not parse.
// Lists (If-Match, If-None-Match) are `*` or 1#entity-tag; a list with any
// malformed member is malformed as a whole (nullopt), so a caller never
// acts on half a precondition.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/header_map.h"

namespace gatehouse::policies::cache {

struct EntityTag {
  bool weak = false;
  std::string opaque;  // without quotes
};

std::optional<EntityTag> parse_entity_tag(std::string_view value);

// The tag as it is sent: `"opaque"` or `W/"opaque"` (so a tag parsed from
// a lenient form is sent correctly spelt).
std::string format_entity_tag(const EntityTag& tag);

// The response's ETag: its single valid field, else nullopt (absent,
// malformed, or several lines).
std::optional<EntityTag> response_etag(const http::HeaderMap& headers);

struct EntityTagList {
  bool any = false;  // `*`
  std::vector<EntityTag> tags;
};

// Every field line called `name` combined; nullopt when absent or malformed.
std::optional<EntityTagList> entity_tag_list(const http::HeaderMap& headers, std::string_view name);

bool strong_match(const EntityTag& a, const EntityTag& b) noexcept;  // both strong, same opaque
bool weak_match(const EntityTag& a, const EntityTag& b) noexcept;    // same opaque

// `"…"`: base64url (no padding) of the first 16 bytes of the content's
// SHA-256 — 128 bits, so two different bodies of one resource do not share
// a tag in practice. Strong: it changes with every byte of the content.
// Empty only if OpenSSL lacks SHA-256 (then generate nothing).
std::string generate_strong_etag(std::string_view content);

}  // namespace gatehouse::policies::cache
