#pragma once
// Byte ranges served from a stored complete response (RFC 9110 §14): the
// client's Range and If-Range against the stored 200 → 206 with one slice of
// the stored body (shared, not copied), 416, or the whole response.
//
// Contract: pure functions of header sections and sizes; nothing throws.
// The cache never stores a 206 (storability.h), so the stored response is
// always complete; these only decide what part of it to send.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "proxy/http/header_map.h"
#include "proxy/http/message.h"
#include "proxy/policy/policy.h"

namespace gatehouse::policies::cache {

// One range-spec of `bytes=` (§14.1.2): first-last, first- (last absent)
// or -suffix. Positions past 2^64-1 saturate there.
struct ByteRangeSpec {
  bool suffix = false;                  // "-N": the last `suffix_length` bytes
  std::uint64_t first = 0;              // int-range
  std::optional<std::uint64_t> last;    // int-range; absent = to the end
  std::uint64_t suffix_length = 0;      // suffix-range
};

// ranges-specifier = range-unit "=" range-set, range-set = 1#range-spec.
// nullopt when the unit is not `bytes` (compared case-insensitively, §14.1)
// or the value does not parse (e.g. last < first, no `=`, signs, spaces
// inside a spec): such a Range is ignored (§14.2). Empty list members and
// OWS around commas are allowed (§5.6.1).
std::optional<std::vector<ByteRangeSpec>> parse_byte_ranges(std::string_view value);

// §13.1.5: whether If-Range's validator matches the stored response, whose
// header section is `stored`. An entity-tag matches by strong comparison
// with the stored ETag (a weak tag on either side never matches); an
// HTTP-date matches when it equals the stored Last-Modified and that is a
// strong validator, i.e. the stored Date is at least one second later
// (RFC 9110 §8.8.2.2). Anything else — no such stored field, a malformed
// value — does not match.
bool if_range_matches(std::string_view if_range, const http::HeaderMap& stored);

// The complete length in a 206's `Content-Range: bytes first-last/length`
// (§14.4), when the field is that form with first <= last < length.
// nullopt for an unknown length (`/*`), another unit, a malformed value or
// several field lines.
std::optional<std::uint64_t> content_range_complete_length(const http::HeaderMap& response_headers);

enum class RangeAction {
  kFull,           // send the whole response: no Range, or one to ignore
  kPartial,        // 206 with bytes [offset, offset + length)
  kUnsatisfiable,  // 416
};

struct RangeSelection {
  RangeAction action = RangeAction::kFull;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// What to send for a GET with `request_headers` from a stored response with
// `status`, header section `stored` and a body of `size` bytes:
// - kFull unless the method is GET (§14.2: Range is defined for GET only;
//   on HEAD it is ignored), the status is 200, the size is not 0, Range
//   parses (one field line), and If-Range, when present, matches;
// - kFull as well for more than one range-spec: the RFC lets a server
//   ignore Range, and the whole response is simpler for everyone than
//   multipart/byteranges;
// - one range: first-last and first- are satisfiable when first < size
//   (last is clamped to size - 1); -N when N > 0 (the last min(N, size)
//   bytes). Otherwise kUnsatisfiable.
RangeSelection select_byte_range(http::Method method, const http::HeaderMap& request_headers, int status,
                                 const http::HeaderMap& stored, std::uint64_t size);

// Applies select_byte_range() to a stored response about to be served whole
// (`status` 200, `headers` its header section as it will be sent — Age
// included — and `body` the stored body):
// - kPartial: status 206, Content-Range "bytes a-b/size", `slice` set to
//   the range (`body` stays the shared stored body); every other field is
//   kept (§15.3.7 MUST without If-Range; with If-Range they are sent too,
//   which the SHOULD NOT there allows);
// - kUnsatisfiable: status 416 with Content-Range "bytes */size" (§15.5.17)
//   and a JSON error body; of the stored fields only Date, Age and
//   X-Request-Id are kept (the representation's own describe no content
//   here);
// - kFull: nothing changes.
// Returns whether the status changed.
bool apply_byte_range(http::Method method, const http::HeaderMap& request_headers, int& status,
                      http::HeaderMap& headers, policy::SharedBody& body, policy::BodySlice& slice);

}  // namespace gatehouse::policies::cache
