#include "proxy/access_log/line_formatter.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <ctime>
#include <optional>

#include <boost/json/serializer.hpp>

#include "proxy/policy/verified_claims.h"

namespace gatehouse::access_log {
namespace {

// One field's value in this line; string views point into the record or
// into LineScratch.
struct Value {
  enum class Kind : unsigned char { kNull, kString, kInteger, kMillis, kBool, kTime };
  Kind kind = Kind::kNull;
  std::string_view text;
  std::uint64_t integer = 0;
  std::chrono::nanoseconds duration{0};
  bool flag = false;
};

// Storage for values that are not views into the record.
struct LineScratch {
  std::optional<std::string> claim;
  std::string joined;  // repeated headers joined with ", "
};

Value null_value() { return {}; }
Value of_kind(Value::Kind kind) {
  Value v;
  v.kind = kind;
  return v;
}
Value text_value(std::string_view s) {
  Value v = of_kind(Value::Kind::kString);
  v.text = s;
  return v;
}
Value string_or_null(std::string_view s) { return s.empty() ? null_value() : text_value(s); }
Value integer_value(std::uint64_t n) {
  Value v = of_kind(Value::Kind::kInteger);
  v.integer = n;
  return v;
}
Value millis_value(std::chrono::nanoseconds d) {
  Value v = of_kind(Value::Kind::kMillis);
  v.duration = d;
  return v;
}
Value bool_value(bool b) {
  Value v = of_kind(Value::Kind::kBool);
  v.flag = b;
  return v;
}

// Every field of that name, joined with ", " (how repeated fields combine,
// RFC 9110 §5.3); null when there is none.
Value request_header(const http::HeaderMap* headers, std::string_view name, LineScratch& scratch) {
  if (headers == nullptr) return null_value();
  const std::string* first = nullptr;
  bool joining = false;
  for (const http::Header& h : *headers) {
    if (!http::iequals(h.name, name)) continue;
    if (first == nullptr) {
      first = &h.value;
      continue;
    }
    if (!joining) {
      scratch.joined.assign(*first);
      joining = true;
    }
    scratch.joined.append(", ").append(h.value);
  }
  if (first == nullptr) return null_value();
  return text_value(joining ? std::string_view(scratch.joined) : std::string_view(*first));
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The same, read from a serialized response head ("HTTP/1.1 200 OK\r\n"
// then "Name: value\r\n" lines up to an empty line).
Value response_header(std::string_view head, std::string_view name, LineScratch& scratch) {
  std::size_t pos = head.find("\r\n");
  if (pos == std::string_view::npos) return null_value();
  pos += 2;
  std::optional<std::string_view> first;
  bool joining = false;
  while (pos < head.size()) {
    const std::size_t end = head.find("\r\n", pos);
    if (end == std::string_view::npos || end == pos) break;  // the head's end
    const std::string_view line = head.substr(pos, end - pos);
    pos = end + 2;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !http::iequals(line.substr(0, colon), name)) continue;
    const std::string_view value = trim_ows(line.substr(colon + 1));
    if (!first) {
      first = value;
      continue;
    }
    if (!joining) {
      scratch.joined.assign(*first);
      joining = true;
    }
    scratch.joined.append(", ").append(value);
  }
  if (!first) return null_value();
  return text_value(joining ? std::string_view(scratch.joined) : *first);
}

Value resolve(const FieldSpec& spec, const ExchangeRecord& r, LineScratch& scratch) {
  switch (spec.field) {
    case Field::kTime: return of_kind(Value::Kind::kTime);
    case Field::kRequestId: return string_or_null(r.request_id);
    case Field::kClientIp: return string_or_null(r.client_ip);
    case Field::kMethod: return string_or_null(r.method);
    case Field::kPath: return string_or_null(r.path);
    case Field::kQuery: return string_or_null(r.query);
    case Field::kUri: return string_or_null(r.uri);
    case Field::kProtocol: return string_or_null(r.protocol);
    case Field::kStatus: return integer_value(static_cast<std::uint64_t>(r.status < 0 ? 0 : r.status));
    case Field::kBytesSent: return integer_value(r.bytes_sent);
    case Field::kRequestBodyBytes: return integer_value(r.request_body_bytes);
    case Field::kDurationMs: return millis_value(r.duration);
    case Field::kUpstream: return string_or_null(r.upstream);
    case Field::kUpstreamAddress: return string_or_null(r.upstream_address);
    case Field::kUpstreamDurationMs: return r.upstream_duration ? millis_value(*r.upstream_duration) : null_value();
    case Field::kRoute: return string_or_null(r.route);
    case Field::kListener: return string_or_null(r.listener);
    case Field::kUserAgent: return request_header(r.request_headers, "user-agent", scratch);
    case Field::kTlsVersion: return string_or_null(r.tls_version);
    case Field::kTlsResumed:
      return r.tls_resumed ? bool_value(*r.tls_resumed) : null_value();
    case Field::kClaim:
      if (r.claims == nullptr) return null_value();
      scratch.claim = policy::claim_text(*r.claims, spec.arg);
      return scratch.claim ? text_value(*scratch.claim) : null_value();
    case Field::kRequestHeader: return request_header(r.request_headers, spec.arg, scratch);
    case Field::kResponseHeader: return response_header(r.response_head, spec.arg, scratch);
  }
  return null_value();
}

void append_integer(std::string& out, std::uint64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, static_cast<std::size_t>(end - buf));
}

// Length of the valid UTF-8 sequence at s[i] (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF), or 0.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}

// Whether `s` has a byte that is not part of valid UTF-8 (decided without
// copying: the common case is pure ASCII).
bool needs_repair(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) return true;
    i += n;
  }
  return false;
}

// `s` into `out` with every byte that is not part of valid UTF-8 replaced by
// the UTF-8 encoding of the Latin-1 character of the same value.
void repair_utf8(std::string_view s, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (const std::size_t n = utf8_sequence(s, i); n != 0) {
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    ++i;
  }
}

void append_json_value(std::string& out, const Value& v, const ExchangeRecord& r) {
  switch (v.kind) {
    case Value::Kind::kNull: out.append("null"); return;
    case Value::Kind::kString: append_json_string(out, v.text); return;
    case Value::Kind::kInteger: append_integer(out, v.integer); return;
    case Value::Kind::kMillis: append_millis(out, v.duration); return;
    case Value::Kind::kBool: out.append(v.flag ? "true" : "false"); return;
    case Value::Kind::kTime:
      out.push_back('"');
      append_rfc3339(out, r.start_time);
      out.push_back('"');
      return;
  }
}

void append_text_field(std::string& out, const Value& v, const ExchangeRecord& r) {
  switch (v.kind) {
    case Value::Kind::kNull: out.push_back('-'); return;
    case Value::Kind::kString: append_text_value(out, v.text); return;
    case Value::Kind::kInteger: append_integer(out, v.integer); return;
    case Value::Kind::kMillis: append_millis(out, v.duration); return;
    case Value::Kind::kBool: out.append(v.flag ? "true" : "false"); return;
    case Value::Kind::kTime: append_rfc3339(out, r.start_time); return;
  }
}

// Bytes a JSON string holds as they are: printable ASCII but `"` and `\`.
constexpr std::array<bool, 256> kPlainJson = [] {
  std::array<bool, 256> table{};
  for (int c = 0x20; c < 0x7F; ++c) table[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
  return table;
}();

}  // namespace

void append_json_string(std::string& out, std::string_view value) {
  // Most values (ids, paths, names, addresses) are printable ASCII with no
  // quote or backslash: JSON has nothing to escape in them, so they are
  // copied as they are, without the serializer's setup.
  const bool plain = std::all_of(value.begin(), value.end(),
                                 [](char c) { return kPlainJson[static_cast<unsigned char>(c)]; });
  if (plain) {
    out.push_back('"');
    out.append(value);
    out.push_back('"');
    return;
  }
  thread_local std::string repaired;
  if (needs_repair(value)) {
    repair_utf8(value, repaired);
    value = repaired;
  }
  boost::json::serializer serializer;
  serializer.reset(boost::json::string_view(value.data(), value.size()));
  // Room for the worst case (every byte a \u00XX escape, plus quotes): the
  // serializer then never suspends, which would allocate its resume stack.
  const std::size_t room = value.size() * 6 + 2;
  const std::size_t at = out.size();
  out.resize(at + room);
  const boost::json::string_view written = serializer.read(out.data() + at, room);
  out.resize(at + written.size());
}

void append_text_value(std::string& out, std::string_view value) {
  if (value.empty()) {
    out.push_back('-');
    return;
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') {
      const char escaped[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 0xF]};
      out.append(escaped, 4);
    } else {
      out.push_back(ch);
    }
  }
}

void append_rfc3339(std::string& out, std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  const std::int64_t second = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  const auto millis_part = static_cast<int>(ms - second * 1000);
  // gmtime_r and strftime once per second and thread, not once per line.
  thread_local std::int64_t cached_second = INT64_MIN;
  thread_local char cached[24];
  thread_local std::size_t cached_size = 0;
  if (second != cached_second) {
    const auto seconds = static_cast<std::time_t>(second);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    cached_size = std::strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &utc);
    cached_second = second;
  }
  out.append(cached, cached_size);
  const char tail[6] = {'.', static_cast<char>('0' + millis_part / 100), static_cast<char>('0' + millis_part / 10 % 10),
                        static_cast<char>('0' + millis_part % 10), 'Z', 0};
  out.append(tail, 5);
}

void append_millis(std::string& out, std::chrono::nanoseconds d) {
  const std::int64_t us = d.count() < 0 ? 0 : d.count() / 1000;
  append_integer(out, static_cast<std::uint64_t>(us / 1000));
  const auto frac = static_cast<int>(us % 1000);
  const char tail[4] = {'.', static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                        static_cast<char>('0' + frac % 10)};
  out.append(tail, 4);
}

void format_line(const AccessLogFormat& format, const ExchangeRecord& record, std::string& out) {
  LineScratch scratch;
  if (format.kind == AccessLogFormat::Kind::kJson) {
    out.push_back('{');
    bool first = true;
    for (const FieldSpec& spec : format.json_fields) {
      // json_key is `,"name":`; the first field goes without the comma.
      out.append(std::string_view(spec.json_key).substr(first ? 1 : 0));
      first = false;
      append_json_value(out, resolve(spec, record, scratch), record);
    }
    out.append("}\n");
    return;
  }
  for (const TextSegment& segment : format.text) {
    if (segment.field) {
      append_text_field(out, resolve(*segment.field, record, scratch), record);
    } else {
      out.append(segment.literal);
    }
  }
  out.push_back('\n');
}

}  // namespace gatehouse::access_log
