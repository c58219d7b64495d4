#include "policies/cache/generated_etag.h"

#include "policies/cache/conditional.h"
#include "policies/cache/entity_tag.h"

namespace gatehouse::policies::cache {

void GeneratedEtagHandler::on_whole_body(http::ResponseHead& head, std::string& body) {
  std::string tag = generate_strong_etag(body);
  if (tag.empty()) return;
  head.headers.set("ETag", tag);
  if (if_none_match_.empty()) return;
  http::HeaderMap conditionals;
  conditionals.add("If-None-Match", if_none_match_);
  // Only If-None-Match: the upstream has evaluated every other precondition
  // and answered 200; the tag is the one thing it could not know.
  if (evaluate_conditionals(http::Method::kGet, conditionals, head.status, head.headers, HttpTime{}) !=
      ConditionalOutcome::kNotModified) {
    return;
  }
  http::HeaderMap headers = not_modified_headers(head.headers);
  for (const http::Header& field : head.headers) {
    if (http::iequals(field.name, "x-request-id") || http::iequals(field.name, "via") ||
        http::iequals(field.name, "cache-status")) {
      headers.add(field.name, field.value);
    }
  }
  head.headers = std::move(headers);
  head.status = 304;
  head.reason = "Not Modified";
  body.clear();
}

}  // namespace gatehouse::policies::cache
