#include "policies/cache/storability.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>

#include "policies/cache/entity_tag.h"
#include "policies/cache/field_syntax.h"
#include "policies/cache/freshness.h"
#include "policies/cache/response_field_summary.h"

namespace gatehouse::policies::cache {
namespace {

bool store_contains(const std::vector<std::string>& lowered, std::string_view name) {
  return std::any_of(lowered.begin(), lowered.end(), [&](const std::string& f) { return http::iequals(f, name); });
}

}  // namespace

std::string_view store_verdict_label(StoreVerdict v) noexcept {
  switch (v) {
    case StoreVerdict::kStorable: return "storable";
    case StoreVerdict::kMethod: return "method";
    case StoreVerdict::kStatus: return "status";
    case StoreVerdict::kNoStore: return "no-store";
    case StoreVerdict::kPrivate: return "private";
    case StoreVerdict::kAuthorization: return "authorization";
    case StoreVerdict::kNoExplicitFreshness: return "no-freshness";
    case StoreVerdict::kSetCookie: return "set-cookie";
    case StoreVerdict::kVaryStar: return "vary-star";
  }
  return "unknown";
}

bool is_understood_status(int status) noexcept {
  switch (status) {
    case 200: case 201: case 202: case 203: case 204: case 205:
    case 300: case 301: case 302: case 303: case 307: case 308:
    case 400: case 401: case 402: case 403: case 404: case 405: case 406: case 407: case 408: case 409:
    case 410: case 411: case 412: case 413: case 414: case 415: case 416: case 417: case 421: case 422:
    case 426:
    case 500: case 501: case 502: case 503: case 504: case 505:
      return true;
    default:
      return false;
  }
}

StoreVerdict storability(http::Method request_method, const http::HeaderMap& request_headers,
                         const CacheControl& request_cc, int status, const http::HeaderMap& response_headers,
                         const CacheControl& response_cc, const StorabilityOptions& options) {
  return storability(request_method, request_headers.contains("authorization"), request_cc, status, response_headers,
                     summarize_response_fields(response_headers, {}), response_cc, options);
}

StoreVerdict storability(http::Method request_method, bool request_authorization, const CacheControl& request_cc,
                         int status, const http::HeaderMap& response_headers,
                         const ResponseFieldSummary& response_fields, const CacheControl& response_cc,
                         const StorabilityOptions& options) {
  if (request_method != http::Method::kGet && request_method != http::Method::kHead) return StoreVerdict::kMethod;
  // Final, and not one whose semantics a generic store would get wrong.
  if (status < 200 || status > 999 || status == 206 || status == 304) return StoreVerdict::kStatus;
  bool understood = is_understood_status(status);
  if (response_cc.must_understand && !understood) return StoreVerdict::kStatus;
  if (request_cc.no_store) return StoreVerdict::kNoStore;
  if (response_cc.no_store && !(response_cc.must_understand && understood)) return StoreVerdict::kNoStore;
  if (options.shared && response_cc.is_private && !response_cc.qualified_private()) return StoreVerdict::kPrivate;
  if (options.shared && request_authorization && !response_cc.is_public && !response_cc.s_maxage.present &&
      !response_cc.must_revalidate) {
    return StoreVerdict::kAuthorization;
  }
  bool allowed = response_cc.is_public || (!options.shared && response_cc.is_private) || response_cc.max_age.present ||
                 (options.shared && response_cc.s_maxage.present) || is_heuristically_cacheable(status) ||
                 (!response_cc.targeted && response_fields.expires);
  if (!allowed) return StoreVerdict::kNoExplicitFreshness;
  if (!options.store_set_cookie && response_fields.set_cookie) return StoreVerdict::kSetCookie;
  if (!response_fields.vary) return StoreVerdict::kStorable;
  for (const http::Header& h : response_headers) {
    if (!http::iequals(h.name, "vary")) continue;
    for (std::string_view member : split_list(h.value)) {
      if (member == "*") return StoreVerdict::kVaryStar;
    }
  }
  return StoreVerdict::kStorable;
}

StoredFieldFilter::StoredFieldFilter(const http::HeaderMap& response_headers, const CacheControl& response_cc,
                                     bool shared) {
  for (const http::Header& h : response_headers) {
    if (!http::iequals(h.name, "connection")) continue;
    for (std::string_view member : split_list(h.value)) connection_fields_.push_back(to_lower(member));
  }
  directive_fields_ = response_cc.no_cache_fields;
  if (shared) directive_fields_.insert(directive_fields_.end(), response_cc.private_fields.begin(), response_cc.private_fields.end());
}


bool StoredFieldFilter::excluded(std::string_view name) const noexcept {
  if (is_never_stored_field(name)) return true;
  if (connection_fields_.empty() && directive_fields_.empty()) return false;
  return store_contains(connection_fields_, name) || store_contains(directive_fields_, name);
}

bool StoredFieldFilter::excluded_by_directive(std::string_view name) const noexcept {
  return store_contains(directive_fields_, name);
}

namespace {

// The stored fields of a response, made by copy(keep) (StoredFields::copy_if
// or copy_if_into with the judgement `keep`).
template <typename Copy>
StoredFields select_stored_fields(const http::HeaderMap& response_headers, const CacheControl& response_cc,
                                  bool shared, std::string_view also_excluded, Copy copy) {
  auto also = [also_excluded](std::string_view name) {
    return name.size() == also_excluded.size() && !also_excluded.empty() && http::iequals(name, also_excluded);
  };
  // The usual response names no field in Connection nor in a directive:
  // then only the fixed names are judged, with no filter to build.
  const bool lists = response_cc.qualified_no_cache() || (shared && response_cc.qualified_private()) ||
                     response_headers.contains("connection");
  if (!lists) return copy([&](const http::Header& h) { return !is_never_stored_field(h.name) && !also(h.name); });
  const StoredFieldFilter filter(response_headers, response_cc, shared);
  return copy([&](const http::Header& h) { return !filter.excluded(h.name) && !also(h.name); });
}

}  // namespace

StoredFields stored_headers(const http::HeaderMap& response_headers, const CacheControl& response_cc, bool shared,
                            std::string_view also_excluded) {
  return select_stored_fields(response_headers, response_cc, shared, also_excluded,
                              [&](auto keep) { return StoredFields::copy_if(response_headers, keep); });
}

StoredFields stored_headers_into(char* storage, const http::HeaderMap& response_headers,
                                 const CacheControl& response_cc, bool shared, std::string_view also_excluded) {
  return select_stored_fields(response_headers, response_cc, shared, also_excluded, [&](auto keep) {
    return StoredFields::copy_if_into(storage, response_headers, keep);
  });
}

namespace {

// Whether the summary alone says which fields are stored: no field list
// (Connection, a qualified no-cache or private) excludes more.
bool summary_selects(const ResponseFieldSummary& fields, const CacheControl& response_cc, bool shared) {
  return fields.marks_all() && !fields.connection && !response_cc.qualified_no_cache() &&
         !(shared && response_cc.qualified_private());
}

}  // namespace

std::size_t stored_headers_size(const http::HeaderMap& response_headers, const ResponseFieldSummary& response_fields,
                                const CacheControl& response_cc, bool shared) {
  if (!summary_selects(response_fields, response_cc, shared)) return StoredFields::storage_size(response_headers);
  return StoredFields::storage_size(response_fields.stored_fields, response_fields.stored_text);
}

StoredFields stored_headers_into(char* storage, const http::HeaderMap& response_headers,
                                 const ResponseFieldSummary& response_fields, const CacheControl& response_cc,
                                 bool shared) {
  if (!summary_selects(response_fields, response_cc, shared)) {
    return stored_headers_into(storage, response_headers, response_cc, shared, response_fields.also_excluded);
  }
  return StoredFields::copy_except_into(storage, response_headers, response_fields.unstored,
                                        response_fields.stored_fields, response_fields.stored_text);
}

http::HeaderMap updated_headers(const http::HeaderMap& stored, const http::HeaderMap& not_modified, bool shared) {
  // Judge exclusions on both: the 304's Connection names its own hop-by-hop
  // fields, and the stored directives' field lists still bind.
  StoredFieldFilter new_filter(not_modified, response_cache_control(not_modified), shared);
  StoredFieldFilter old_filter(http::HeaderMap{}, response_cache_control(stored), shared);
  auto replaceable = [&](std::string_view name) {
    return !new_filter.excluded(name) && !old_filter.excluded(name) && !http::iequals(name, "content-length") &&
           !http::iequals(name, "content-range");
  };
  http::HeaderMap out;
  for (const http::Header& h : stored) {
    if (replaceable(h.name) && not_modified.contains(h.name)) continue;
    if (new_filter.excluded_by_directive(h.name)) continue;
    out.add(h.name, h.value);
  }
  for (const http::Header& h : not_modified) {
    if (replaceable(h.name)) out.add(h.name, h.value);
  }
  return out;
}

bool selected_for_update(const http::HeaderMap& stored, const http::HeaderMap& not_modified, bool only_candidate) {
  std::optional<EntityTag> new_tag = response_etag(not_modified);
  std::optional<EntityTag> old_tag = response_etag(stored);
  if (new_tag.has_value()) {
    if (!old_tag.has_value()) return false;
    return new_tag->weak ? weak_match(*new_tag, *old_tag) : strong_match(*new_tag, *old_tag);
  }
  const std::string* new_lm = not_modified.find("last-modified");
  const std::string* old_lm = stored.find("last-modified");
  if (new_lm != nullptr) return old_lm != nullptr && *old_lm == *new_lm;
  // No validator at all: §4.3.4 selects only a stored response that lacks
  // validators too. But a 304 to the cache's own conditional request for
  // one response can only be about that response (§4.3.3: "the stored
  // response can be updated and reused"); origins often omit validators
  // from 304s, and leaving it unselected would leave nothing to answer the
  // client with.
  return only_candidate;
}

bool head_matches_stored(const http::HeaderMap& stored, std::size_t stored_length, const http::HeaderMap& head) {
  for (std::string_view validator : {std::string_view("etag"), std::string_view("last-modified")}) {
    const std::string* received = head.find(validator);
    if (received == nullptr) continue;
    const std::string* kept = stored.find(validator);
    if (kept == nullptr || trim_ows(*kept) != trim_ows(*received)) return false;
  }
  if (const std::string* length = head.find("content-length")) {
    std::uint64_t value = 0;
    const std::string_view text = trim_ows(*length);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value != stored_length) return false;
  }
  return true;
}

}  // namespace gatehouse::policies::cache
