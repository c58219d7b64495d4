#pragma once
// Conditional requests against a stored response (RFC 9110 §13, RFC 9111
// §4.3): evaluating a client's preconditions, the header section of the 304
// the cache then sends, and the conditional request the cache itself sends
// upstream to revalidate.
//
// Contract: pure functions of header sections. "Stored" below means the
// header section of the stored response as the cache would serve it.

#include <vector>

#include "policies/cache/http_date.h"
#include "proxy/http/header_map.h"
#include "proxy/http/message.h"

namespace gatehouse::policies::cache {

enum class ConditionalOutcome {
  kServe,               // no precondition stops it: serve the stored response
  kNotModified,         // answer 304 with not_modified_headers()
  kPreconditionFailed,  // answer 412
  kForward,             // If-Match / If-Unmodified-Since are for the origin: forward
};

// RFC 9111 §4.3.2: "The If-Match and If-Unmodified-Since header fields are
// not applicable to a cache." By default a request carrying one is
// forwarded (kForward) so the origin evaluates it; kEvaluate applies them to
// the stored response as an origin would (RFC 9110 §13.2.2 steps 1–2).
enum class OriginPreconditions { kForward, kEvaluate };

struct ConditionalOptions {
  OriginPreconditions origin_preconditions = OriginPreconditions::kForward;
};

// RFC 9110 §13.2.1: preconditions are ignored (kServe) when the stored
// response's status is not 2xx — the response "without those conditions"
// would not have been 2xx or 412. Otherwise, §13.2.2 precedence:
//  1. If-Match: `*` is true (a representation is stored); a list is true
//     when a member matches the stored ETag strongly; false (or malformed,
//     or no stored ETag) → 412. True → step 3.
//  2. else If-Unmodified-Since, a valid date, and a stored Last-Modified:
//     Last-Modified later than the date → 412. Invalid date or no
//     Last-Modified: ignored (§13.1.4).
//  3. If-None-Match: `*`, or a member matching the stored ETag weakly →
//     304 for GET/HEAD, 412 otherwise. Malformed: ignored (serve).
//  4. else, for GET/HEAD, If-Modified-Since with one valid date: the stored
//     Last-Modified — or Date, or `response_time`, in that order (RFC 9111
//     §4.3.2) — earlier than or equal to it → 304.
//  5. serve.
ConditionalOutcome evaluate_conditionals(http::Method method, const http::HeaderMap& request_headers,
                                         int stored_status, const http::HeaderMap& stored_headers,
                                         HttpTime response_time,
                                         const ConditionalOptions& options = {});

// RFC 9110 §15.4.5: the fields a 304 carries, copied from the header section
// the 200 would have had: Cache-Control, Content-Location, Date, ETag,
// Expires, Vary, plus Age (RFC 9111 §5.1: every response from cache), and
// Last-Modified when there is no ETag (it then guides cache updates).
// Nothing else: other representation metadata SHOULD NOT be sent.
http::HeaderMap not_modified_headers(const http::HeaderMap& served_headers);

// RFC 9111 §4.3.1: turns the request the cache forwards into a validation
// request for the given stored responses — normally the one variant the
// request selected (§4.1). Listing other variants too is allowed, but then a
// 304 naming one of them means "serve that one" (selected_for_update), and
// a Vary mismatch would be revalidated against the wrong representation:
// pass only what the request could be served from.
// If-None-Match lists every stored ETag (MUST when they exist), and
// If-Modified-Since carries the latest valid stored Last-Modified (SHOULD
// when there is no ETag, MAY with one; sent in both cases for origins that
// only understand dates, which RFC 9110 §13.2.2 makes harmless: an origin
// that knows ETags ignores it next to If-None-Match). The client's own If-None-Match
// and If-Modified-Since are replaced: the cache evaluates those itself
// against the refreshed response. Other preconditions are left alone.
// Returns false (and leaves the request unchanged) when no stored response
// has a validator.
bool add_revalidation_preconditions(http::HeaderMap& upstream_request,
                                    const std::vector<const http::HeaderMap*>& stored);

}  // namespace gatehouse::policies::cache
