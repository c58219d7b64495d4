#include "policies/cache/cache_status.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "policies/cache/field_syntax.h"

namespace gatehouse::policies::cache {
namespace {

// sf-string: printable ASCII, with " and \ escaped.
void status_append_sf_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E) continue;
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

void status_append_token_or_string(std::string& out, std::string_view s) {
  if (is_sf_token(s)) {
    out.append(s);
  } else {
    status_append_sf_string(out, s);
  }
}

}  // namespace

bool is_sf_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  char first = s.front();
  if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') || first == '*')) return false;
  for (char c : s.substr(1)) {
    if (!is_tchar(c) && c != ':' && c != '/') return false;
  }
  return true;
}

std::string_view forward_reason_token(ForwardReason r) noexcept {
  switch (r) {
    case ForwardReason::kBypass: return "bypass";
    case ForwardReason::kMethod: return "method";
    case ForwardReason::kUriMiss: return "uri-miss";
    case ForwardReason::kVaryMiss: return "vary-miss";
    case ForwardReason::kMiss: return "miss";
    case ForwardReason::kRequest: return "request";
    case ForwardReason::kStale: return "stale";
    case ForwardReason::kPartial: return "partial";
  }
  return "miss";
}

namespace {

// The parameters between the name and key=/detail=, written into a local
// buffer and appended at once: each string append checks capacity, and this
// runs for every response the policy sees.
class ParameterText {
 public:
  void add(std::string_view text) noexcept {
    std::memcpy(text_ + size_, text.data(), text.size());
    size_ += text.size();
  }
  void add_integer(std::int64_t v) noexcept {
    constexpr std::int64_t kMax = 999'999'999'999'999;  // RFC 8941's 15 digits
    size_ = static_cast<std::size_t>(
        std::to_chars(text_ + size_, text_ + sizeof text_, std::clamp(v, -kMax, kMax)).ptr - text_);
  }
  std::string_view view() const noexcept { return {text_, size_}; }

 private:
  // "; hit" "; fwd=vary-miss" "; fwd-status=" 16 chars "; ttl=" 16 chars
  // "; stored" "; collapsed": 90 at most.
  char text_[96];
  std::size_t size_ = 0;
};

void status_append_member(std::string& out, const CacheStatus& status) {
  const std::string_view name = status.cache_name.empty() ? std::string_view("gatehouse") : status.cache_name;
  if (name == "gatehouse") {
    out.append(name);  // the default, a token: no need to check it on every response
  } else {
    status_append_token_or_string(out, name);
  }
  ParameterText parameters;
  if (status.hit) parameters.add("; hit");
  if (status.fwd.has_value()) {
    parameters.add("; fwd=");
    parameters.add(forward_reason_token(*status.fwd));
  }
  if (status.fwd_status.has_value()) {
    parameters.add("; fwd-status=");
    parameters.add_integer(*status.fwd_status);
  }
  if (status.ttl.has_value()) {
    parameters.add("; ttl=");
    parameters.add_integer(*status.ttl);
  }
  if (status.stored) parameters.add("; stored");
  if (status.collapsed) parameters.add("; collapsed");
  out.append(parameters.view());
  if (!status.key.empty()) {
    out.append("; key=");
    status_append_sf_string(out, status.key);
  }
  if (!status.detail.empty()) {
    out.append("; detail=");
    status_append_token_or_string(out, status.detail);
  }
}

}  // namespace

std::string format_cache_status(const CacheStatus& status) {
  std::string out;
  out.reserve(64);
  status_append_member(out, status);
  return out;
}

namespace {

constexpr std::size_t kForwardReasons = static_cast<std::size_t>(ForwardReason::kPartial) + 1;

// The member of a response forwarded by the default-named cache, whole:
// "gatehouse; fwd=<reason>" with or without "; stored". Most responses that
// pass the policy carry one of these, and copying one is a fraction of
// composing it.
const std::string* plain_forward_member(const CacheStatus& status) {
  if (status.hit || !status.fwd || status.fwd_status || status.ttl || status.collapsed || !status.key.empty() ||
      !status.detail.empty() || status.cache_name != "gatehouse") {
    return nullptr;
  }
  static const std::array<std::string, 2 * kForwardReasons> kMembers = [] {
    std::array<std::string, 2 * kForwardReasons> members;
    for (std::size_t i = 0; i < members.size(); ++i) {
      CacheStatus plain;
      plain.fwd = static_cast<ForwardReason>(i / 2);
      plain.stored = i % 2 == 1;
      status_append_member(members[i], plain);
    }
    return members;
  }();
  return &kMembers[2 * static_cast<std::size_t>(*status.fwd) + (status.stored ? 1 : 0)];
}

}  // namespace

void append_cache_status(http::HeaderMap& response_headers, const CacheStatus& status) {
  if (const std::string* member = plain_forward_member(status)) {
    response_headers.add("Cache-Status", *member);
    return;
  }
  // Formatted in place: a reused slot keeps its string's capacity.
  http::Header& field = response_headers.add_empty();
  field.name.assign("Cache-Status");
  status_append_member(field.value, status);
}

}  // namespace gatehouse::policies::cache
