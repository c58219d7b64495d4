#include "proxy/access_log/access_log_format.h"

#include <array>
#include <cctype>
#include <utility>

#include <boost/json/serialize.hpp>

#include "proxy/config/diagnostics.h"

namespace gatehouse::access_log {
namespace {

struct PlainField {
  std::string_view name;
  Field field;
};

// In the order of a default JSON line.
constexpr std::array<PlainField, 20> kPlainFields{{
    {"time", Field::kTime},
    {"request_id", Field::kRequestId},
    {"client_ip", Field::kClientIp},
    {"method", Field::kMethod},
    {"path", Field::kPath},
    {"query", Field::kQuery},
    {"protocol", Field::kProtocol},
    {"status", Field::kStatus},
    {"bytes_sent", Field::kBytesSent},
    {"request_body_bytes", Field::kRequestBodyBytes},
    {"duration_ms", Field::kDurationMs},
    {"upstream", Field::kUpstream},
    {"upstream_address", Field::kUpstreamAddress},
    {"upstream_duration_ms", Field::kUpstreamDurationMs},
    {"route", Field::kRoute},
    {"listener", Field::kListener},
    {"user_agent", Field::kUserAgent},
    {"tls_version", Field::kTlsVersion},
    {"tls_resumed", Field::kTlsResumed},
    {"uri", Field::kUri},  // not in the default set: path and query say it
}};
constexpr std::size_t kDefaultFieldCount = kPlainFields.size() - 1;

struct Parameterised {
  std::string_view prefix;
  Field field;
};
constexpr std::array<Parameterised, 3> kParameterised{{
    {"claim:", Field::kClaim},
    {"request_header:", Field::kRequestHeader},
    {"response_header:", Field::kResponseHeader},
}};

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

FieldSpec make_spec(Field field, std::string arg, std::string name) {
  FieldSpec spec{.field = field, .arg = std::move(arg), .name = std::move(name), .json_key = {}};
  spec.json_key = "," + boost::json::serialize(boost::json::string_view(spec.name.data(), spec.name.size())) + ":";
  return spec;
}

std::vector<std::string_view> all_names() {
  std::vector<std::string_view> names = plain_field_names();
  for (const Parameterised& p : kParameterised) names.push_back(p.prefix);
  return names;
}

}  // namespace

std::vector<std::string_view> plain_field_names() {
  std::vector<std::string_view> names;
  for (const PlainField& f : kPlainFields) names.push_back(f.name);
  return names;
}

std::optional<FieldSpec> parse_field(std::string_view text, std::string& error) {
  for (const PlainField& f : kPlainFields) {
    if (f.name == text) return make_spec(f.field, {}, std::string(text));
  }
  for (const Parameterised& p : kParameterised) {
    if (!text.starts_with(p.prefix)) continue;
    std::string_view arg = text.substr(p.prefix.size());
    if (arg.empty()) {
      error = "`" + std::string(p.prefix) + "` needs a name after the colon, e.g. `" + std::string(p.prefix) +
              (p.field == Field::kClaim ? "sub`" : "x-api-key`");
      return std::nullopt;
    }
    if (p.field == Field::kClaim) return make_spec(p.field, std::string(arg), std::string(text));
    for (char c : arg) {
      if (!is_tchar(c)) {
        error = "`" + std::string(arg) + "` is not a valid header name";
        return std::nullopt;
      }
    }
    std::string name = lower(arg);
    return make_spec(p.field, name, std::string(p.prefix) + name);
  }
  const std::vector<std::string_view> names = all_names();
  std::string hint = config::did_you_mean(text, names);
  error = "unknown access log field `" + std::string(text) + "`" +
          (hint.empty() ? " (expected one of time, request_id, client_ip, method, path, query, uri, protocol, "
                          "status, bytes_sent, request_body_bytes, duration_ms, upstream, upstream_address, "
                          "upstream_duration_ms, route, listener, user_agent, tls_version, tls_resumed, "
                          "claim:<name>, request_header:<name>, response_header:<name>)"
                        : hint);
  return std::nullopt;
}

std::vector<FieldSpec> default_json_fields() {
  std::vector<FieldSpec> fields;
  for (std::size_t i = 0; i < kDefaultFieldCount; ++i) {
    fields.push_back(make_spec(kPlainFields[i].field, {}, std::string(kPlainFields[i].name)));
  }
  return fields;
}

std::optional<std::vector<TextSegment>> compile_template(std::string_view text, std::string& error) {
  std::vector<TextSegment> out;
  std::string literal;
  auto flush_literal = [&] {
    if (literal.empty()) return;
    out.push_back(TextSegment{.literal = std::move(literal), .field = std::nullopt});
    literal.clear();
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c != '$') {
      literal.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '$') {
      literal.push_back('$');
      i += 2;
      continue;
    }
    std::string_view name;
    std::size_t next = 0;
    if (i + 1 < text.size() && text[i + 1] == '{') {
      const std::size_t close = text.find('}', i + 2);
      if (close == std::string_view::npos) {
        error = "unterminated `${` at offset " + std::to_string(i) + " of the template";
        return std::nullopt;
      }
      name = text.substr(i + 2, close - i - 2);
      next = close + 1;
    } else {
      const auto lower_or_underscore = [](char ch) { return (ch >= 'a' && ch <= 'z') || ch == '_'; };
      const auto name_char = [&](char ch) { return lower_or_underscore(ch) || (ch >= '0' && ch <= '9'); };
      std::size_t end = i + 1;
      if (end < text.size() && lower_or_underscore(text[end])) {
        while (end < text.size() && name_char(text[end])) ++end;
      }
      // `$claim:sub`, `$request_header:x-api-key`: the argument runs over
      // letters, digits, `_`, `-` and `.`.
      const std::string_view prefix = text.substr(i + 1, end - i - 1);
      if (end < text.size() && text[end] == ':' &&
          (prefix == "claim" || prefix == "request_header" || prefix == "response_header")) {
        ++end;
        while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_' ||
                                     text[end] == '-' || text[end] == '.'))
          ++end;
      }
      name = text.substr(i + 1, end - i - 1);
      next = end;
      if (name.empty()) {
        error = "`$` at offset " + std::to_string(i) +
                " of the template starts no variable (write `$$` for a literal `$`)";
        return std::nullopt;
      }
    }
    std::string field_error;
    std::optional<FieldSpec> spec = parse_field(name, field_error);
    if (!spec) {
      error = "template variable `" + std::string(text.substr(i, next - i)) + "`: " + field_error;
      return std::nullopt;
    }
    flush_literal();
    out.push_back(TextSegment{.literal = {}, .field = std::move(spec)});
    i = next;
  }
  flush_literal();
  return out;
}

}  // namespace gatehouse::access_log
