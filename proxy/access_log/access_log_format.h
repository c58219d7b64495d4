#pragma once
// What an access-log line holds: the fields of a JSON line, or the compiled
// template of a text line. Built once at config load (immutable afterwards,
// shared by every worker); nothing here is parsed while serving.
//
// Field names (the JSON keys, the text template's `$variables`):
//   time, request_id, client_ip, method, path, query, uri, protocol, status,
//   bytes_sent, request_body_bytes, duration_ms, upstream, upstream_address,
//   upstream_duration_ms, route, listener, user_agent, tls_version,
//   tls_resumed, and the parameterised `claim:<name>` (a verified JWT claim,
//   see policy::claim_text), `request_header:<name>`, `response_header:<name>`.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::access_log {

enum class Field : unsigned char {
  kTime,
  kRequestId,
  kClientIp,
  kMethod,
  kPath,
  kQuery,
  kUri,
  kProtocol,
  kStatus,
  kBytesSent,
  kRequestBodyBytes,
  kDurationMs,
  kUpstream,
  kUpstreamAddress,
  kUpstreamDurationMs,
  kRoute,
  kListener,
  kUserAgent,
  kTlsVersion,
  kTlsResumed,
  kClaim,           // arg: the claim's name (may be a dotted path)
  kRequestHeader,   // arg: the header's name, lower case
  kResponseHeader,  // arg: the header's name, lower case
};

struct FieldSpec {
  Field field = Field::kTime;
  std::string arg;       // for the parameterised fields
  std::string name;      // canonical spelling: "status", "claim:sub", "request_header:x-api-key"
  std::string json_key;  // `,"name":`, escaped once here so lines only copy it
};

// Parses one field name as written in the config ("status", "claim:sub",
// "request_header:X-Api-Key"). On failure returns nullopt and sets `error`
// to a message for the operator (with "did you mean" for a misspelt name).
std::optional<FieldSpec> parse_field(std::string_view text, std::string& error);

// The names of the plain fields, for messages and "did you mean".
std::vector<std::string_view> plain_field_names();

// The fields a JSON line has when `fields` is not given (and what the
// `default` item of `fields` stands for).
std::vector<FieldSpec> default_json_fields();

// A text template, split at its variables.
struct TextSegment {
  std::string literal;            // copied as is (when field is unset)
  std::optional<FieldSpec> field;
};

// Compiles an nginx-like template: `$name` (a plain field), `$claim:sub`,
// `$request_header:x-api-key` (the argument runs over letters, digits, `_`,
// `-` and `.`), `${any field}` for an argument with other characters (in
// YAML written `$${...}`, since `${...}` there is environment substitution),
// and `$$` for a literal `$`. On failure returns nullopt and sets `error`.
std::optional<std::vector<TextSegment>> compile_template(std::string_view text, std::string& error);

// The template used when `format: text` gives none: nginx's "combined"
// format with Gatehouse's request id, route and duration appended.
inline constexpr std::string_view kDefaultTextTemplate =
    "$client_ip - - [$time] \"$method $uri $protocol\" $status $bytes_sent \"$request_header:referer\" "
    "\"$user_agent\" $request_id $route $duration_ms";

struct AccessLogFormat {
  enum class Kind : unsigned char { kJson, kText };
  Kind kind = Kind::kJson;
  std::vector<FieldSpec> json_fields;  // kJson
  std::vector<TextSegment> text;       // kText
};

}  // namespace gatehouse::access_log
