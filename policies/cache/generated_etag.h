#pragma once
// `etag: generate`: a strong ETag computed from the content of a response
// that has none, so that clients can revalidate against an upstream that
// knows nothing of ETags (the rule is the same for a response being stored
// and for one passed through, so both carry the same tag).
//
// Contract: pure, except GeneratedEtagHandler, which the proxy calls on the
// worker's thread with the whole body of a held response.

#include <cstddef>
#include <string>

#include "proxy/http/header_map.h"
#include "proxy/http/message.h"
#include "proxy/policy/policy.h"

namespace gatehouse::policies::cache {

// Whether a response gets a generated ETag: a 200 without an ETag of its
// own whose content is at most `max_body` bytes. Other statuses are never
// the target of a 304, so a tag would buy nothing.
// `Fields`: an http::HeaderMap or a StoredFields.
template <typename Fields>
bool wants_generated_etag(int status, const Fields& headers) noexcept {
  return status == 200 && !headers.contains("etag");
}

// Finishes a held response to a GET: sets the generated ETag and, when the
// client's If-None-Match names it (weak comparison, or `*`), turns the
// response into a 304 with the fields RFC 9110 §15.4.5 lists (keeping the
// proxy's own X-Request-Id, Via and the Cache-Status) and no body.
class GeneratedEtagHandler final : public policy::HeldResponseHandler {
 public:
  // `client_if_none_match`: the client's own If-None-Match field value(s),
  // combined; empty when it sent none.
  explicit GeneratedEtagHandler(std::string client_if_none_match)
      : if_none_match_(std::move(client_if_none_match)) {}
  void on_whole_body(http::ResponseHead& head, std::string& body) override;

 private:
  std::string if_none_match_;
};

}  // namespace gatehouse::policies::cache
