#include "policies/cache/conditional.h"

#include <algorithm>
#include <optional>
#include <string>

#include "policies/cache/entity_tag.h"
#include "policies/cache/field_syntax.h"

namespace gatehouse::policies::cache {
namespace {

// A request date precondition: one valid line, else ignored (§13.1.3/4).
std::optional<HttpTime> cond_request_date(const http::HeaderMap& headers, std::string_view name) {
  if (headers.count(name) != 1) return std::nullopt;
  return parse_http_date(*headers.find(name));
}

bool cond_is_get_or_head(http::Method m) noexcept { return m == http::Method::kGet || m == http::Method::kHead; }

// Whether any field is named "If-..." (every precondition is): most requests
// carry none, and then one look at each name settles it.
bool cond_any_precondition(const http::HeaderMap& request_headers) noexcept {
  for (const http::Header& h : request_headers) {
    const std::string& n = h.name;
    if (n.size() >= 8 && (n[0] | 0x20) == 'i' && (n[1] | 0x20) == 'f' && n[2] == '-') return true;
  }
  return false;
}

}  // namespace

ConditionalOutcome evaluate_conditionals(http::Method method, const http::HeaderMap& request_headers,
                                         int stored_status, const http::HeaderMap& stored_headers,
                                         HttpTime response_time, const ConditionalOptions& options) {
  if (stored_status < 200 || stored_status > 299) return ConditionalOutcome::kServe;
  if (!cond_any_precondition(request_headers)) return ConditionalOutcome::kServe;
  bool has_if_match = request_headers.contains("if-match");
  bool has_ius = request_headers.contains("if-unmodified-since");
  if ((has_if_match || has_ius) && options.origin_preconditions == OriginPreconditions::kForward) {
    return ConditionalOutcome::kForward;
  }
  // The stored validators are parsed when a precondition compares them.
  std::optional<EntityTag> stored_etag;
  bool etag_read = false;
  auto etag = [&]() -> const std::optional<EntityTag>& {
    if (!etag_read) stored_etag = response_etag(stored_headers);
    etag_read = true;
    return stored_etag;
  };
  auto last_modified = [&] { return date_field(stored_headers, "last-modified"); };

  if (has_if_match) {
    std::optional<EntityTagList> list = entity_tag_list(request_headers, "if-match");
    bool ok = false;
    if (list.has_value()) {
      if (list->any) {
        ok = true;
      } else if (const std::optional<EntityTag>& tag = etag(); tag.has_value()) {
        for (const EntityTag& t : list->tags) ok = ok || strong_match(t, *tag);
      }
    }
    if (!ok) return ConditionalOutcome::kPreconditionFailed;
  } else if (has_ius) {
    std::optional<HttpTime> since = cond_request_date(request_headers, "if-unmodified-since");
    if (since.has_value()) {
      std::optional<HttpTime> modified = last_modified();
      if (modified.has_value() && *modified > *since) return ConditionalOutcome::kPreconditionFailed;
    }
  }

  if (request_headers.contains("if-none-match")) {
    std::optional<EntityTagList> list = entity_tag_list(request_headers, "if-none-match");
    bool matched = false;
    if (list.has_value()) {
      if (list->any) {
        matched = true;
      } else if (const std::optional<EntityTag>& tag = etag(); tag.has_value()) {
        for (const EntityTag& t : list->tags) matched = matched || weak_match(t, *tag);
      }
    }
    if (matched) {
      return cond_is_get_or_head(method) ? ConditionalOutcome::kNotModified : ConditionalOutcome::kPreconditionFailed;
    }
    return ConditionalOutcome::kServe;
  }

  if (cond_is_get_or_head(method)) {
    std::optional<HttpTime> since = cond_request_date(request_headers, "if-modified-since");
    if (since.has_value()) {
      std::optional<HttpTime> stored_modified = last_modified();
      HttpTime modified = stored_modified.has_value() ? *stored_modified
                                                      : date_field(stored_headers, "date").value_or(response_time);
      if (modified <= *since) return ConditionalOutcome::kNotModified;
    }
  }
  return ConditionalOutcome::kServe;
}

http::HeaderMap not_modified_headers(const http::HeaderMap& served_headers) {
  static constexpr std::string_view kCarried[] = {"cache-control", "content-location", "date", "etag",
                                                  "expires",       "vary",             "age"};
  bool has_etag = served_headers.contains("etag");
  http::HeaderMap out;
  for (const http::Header& h : served_headers) {
    bool carried = !has_etag && http::iequals(h.name, "last-modified");
    for (std::string_view name : kCarried) carried = carried || http::iequals(h.name, name);
    if (carried) out.add(h.name, h.value);
  }
  return out;
}

bool add_revalidation_preconditions(http::HeaderMap& upstream_request,
                                    const std::vector<const http::HeaderMap*>& stored) {
  std::vector<std::string> tags;
  std::optional<HttpTime> latest_modified;
  std::string latest_modified_text;
  for (const http::HeaderMap* headers : stored) {
    if (headers == nullptr) continue;
    if (std::optional<EntityTag> tag = response_etag(*headers)) {
      std::string text = format_entity_tag(*tag);
      if (std::find(tags.begin(), tags.end(), text) == tags.end()) tags.push_back(std::move(text));
    }
    if (std::optional<HttpTime> lm = date_field(*headers, "last-modified")) {
      if (!latest_modified.has_value() || *lm > *latest_modified) {
        latest_modified = lm;
        latest_modified_text = *headers->find("last-modified");
      }
    }
  }
  std::string etags;
  for (const std::string& t : tags) etags.append(etags.empty() ? "" : ", ").append(t);
  if (etags.empty() && !latest_modified.has_value()) return false;
  upstream_request.remove("if-none-match");
  upstream_request.remove("if-modified-since");
  if (!etags.empty()) upstream_request.add("If-None-Match", etags);
  if (latest_modified.has_value()) upstream_request.add("If-Modified-Since", trim_ows(latest_modified_text));
  return true;
}

}  // namespace gatehouse::policies::cache
