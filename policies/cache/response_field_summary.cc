#include "policies/cache/response_field_summary.h"

#include "proxy/common/short_bytes.h"

namespace gatehouse::policies::cache {
namespace {

// The names the cache looks for in a response, each judged once.
enum class FieldKind { kOther, kNeverStored, kConnection, kCacheControl, kExpires, kSetCookie, kVary };

// By length first: most names (Content-Type, Date, ETag...) have none of
// these lengths, and the others are told apart with one comparison or two.
// Always inline: it runs for every field of every stored response.
[[gnu::always_inline]] inline FieldKind field_kind(std::string_view name) noexcept {
  switch (name.size()) {
    case 2: return http::iequals(name, "te") ? FieldKind::kNeverStored : FieldKind::kOther;
    case 4: return http::iequals(name, "vary") ? FieldKind::kVary : FieldKind::kOther;
    case 7:
      if (http::iequals(name, "expires")) return FieldKind::kExpires;
      return http::iequals(name, "upgrade") ? FieldKind::kNeverStored : FieldKind::kOther;
    case 10:
      if (http::iequals(name, "connection")) return FieldKind::kConnection;
      if (http::iequals(name, "set-cookie")) return FieldKind::kSetCookie;
      return http::iequals(name, "keep-alive") ? FieldKind::kNeverStored : FieldKind::kOther;
    case 13: return http::iequals(name, "cache-control") ? FieldKind::kCacheControl : FieldKind::kOther;
    case 16: return http::iequals(name, "proxy-connection") ? FieldKind::kNeverStored : FieldKind::kOther;
    case 17: return http::iequals(name, "transfer-encoding") ? FieldKind::kNeverStored : FieldKind::kOther;
    case 18: return http::iequals(name, "proxy-authenticate") ? FieldKind::kNeverStored : FieldKind::kOther;
    case 19: return http::iequals(name, "proxy-authorization") ? FieldKind::kNeverStored : FieldKind::kOther;
    case 25: return http::iequals(name, "proxy-authentication-info") ? FieldKind::kNeverStored : FieldKind::kOther;
    default: return FieldKind::kOther;
  }
}

}  // namespace

bool is_never_stored_field(std::string_view name) noexcept {
  const FieldKind kind = field_kind(name);
  return kind == FieldKind::kNeverStored || kind == FieldKind::kConnection;
}

ResponseFieldSummary summarize_response_fields(const http::HeaderMap& headers, std::span<const std::string> targets,
                                               std::string_view also_excluded) {
  ResponseFieldSummary s;
  s.also_excluded = also_excluded;
  s.fields = headers.size();
  // The lengths of the targeted names and of the excluded one: a field of
  // another length (most) is none of them, without comparing.
  std::uint64_t named_lengths = 0;
  bool long_names = false;
  auto note_length = [&](std::size_t n) {
    if (n < 64) {
      named_lengths |= std::uint64_t{1} << n;
    } else {
      long_names = true;
    }
  };
  for (const std::string& target : targets) note_length(target.size());
  if (!also_excluded.empty()) note_length(also_excluded.size());

  for (std::size_t i = 0; i < headers.size(); ++i) {
    const std::string_view name = headers[i].name;
    bool unstored = false;
    switch (field_kind(name)) {
      case FieldKind::kOther: break;
      case FieldKind::kNeverStored: unstored = true; break;
      case FieldKind::kConnection: s.connection = unstored = true; break;
      case FieldKind::kCacheControl: s.cache_control = true; break;
      case FieldKind::kExpires: s.expires = true; break;
      case FieldKind::kSetCookie: s.set_cookie = true; break;
      case FieldKind::kVary: s.vary = true; break;
    }
    const std::size_t n = name.size();
    if (n < 64 ? ((named_lengths >> n) & 1) != 0 : long_names) {
      for (const std::string& target : targets) s.targeted = s.targeted || http::iequals(name, target);
      // Exact bytes first: the excluded name is usually spelled as given.
      unstored = unstored || (!also_excluded.empty() && n == also_excluded.size() &&
                              (equal_short_bytes(name.data(), also_excluded.data(), n) ||
                               http::iequals(name, also_excluded)));
    }
    if (unstored) {
      if (i < ResponseFieldSummary::kMarkedFields) s.unstored |= std::uint64_t{1} << i;
      continue;
    }
    ++s.stored_fields;
    s.stored_text += n + headers[i].value.size();
  }
  return s;
}

}  // namespace gatehouse::policies::cache
