// Access-log lines: the JSON and text formats, every field, and hostile
// values (quotes, newlines, control and non-UTF-8 bytes) that must neither
// break a line's syntax nor start a new line.
#include "proxy/access_log/line_formatter.h"

#include <string>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace gatehouse::access_log {
namespace {

using namespace std::chrono_literals;

AccessLogFormat json_format(std::initializer_list<std::string_view> names) {
  AccessLogFormat f;
  f.kind = AccessLogFormat::Kind::kJson;
  for (std::string_view n : names) {
    std::string error;
    std::optional<FieldSpec> spec = parse_field(n, error);
    EXPECT_TRUE(spec) << n << ": " << error;
    if (spec) f.json_fields.push_back(*spec);
  }
  return f;
}

AccessLogFormat text_format(std::string_view tmpl) {
  AccessLogFormat f;
  f.kind = AccessLogFormat::Kind::kText;
  std::string error;
  auto compiled = compile_template(tmpl, error);
  EXPECT_TRUE(compiled) << error;
  if (compiled) f.text = *compiled;
  return f;
}

// 2026-11-26T05:52:40.123Z
const std::chrono::system_clock::time_point kStart =
    std::chrono::system_clock::time_point(std::chrono::seconds(1795672360)) + 123ms;

struct Sample {
  http::HeaderMap request_headers;
  boost::json::object claims;
  std::string response_head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n\r\nbody: not a header\r\n";
  ExchangeRecord record;

  Sample() {
    request_headers.add("Host", "example.test");
    request_headers.add("User-Agent", "curl/8.0");
    request_headers.add("X-Forwarded-For", "10.0.0.1");
    request_headers.add("x-forwarded-for", "10.0.0.2");
    claims["sub"] = "user-42";
    claims["roles"] = boost::json::array{"admin", "ops"};
    claims["realm"] = boost::json::object{{"level", 3}};
    record.start_time = kStart;
    record.request_id = "rid-1";
    record.client_ip = "192.0.2.7";
    record.method = "GET";
    record.path = "/api/posts";
    record.query = "page=2";
    record.uri = "/api/posts?page=2";
    record.protocol = "HTTP/1.1";
    record.status = 200;
    record.bytes_sent = 1234;
    record.request_body_bytes = 17;
    record.duration = 12'345'678ns;
    record.upstream = "api";
    record.upstream_address = "127.0.0.1:3000";
    record.upstream_duration = 2'000'400ns;
    record.route = "posts";
    record.listener = "public";
    record.tls_version = "TLSv1.3";
    record.tls_resumed = true;
    record.request_headers = &request_headers;
    record.response_head = response_head;
    record.claims = &claims;
  }
};

std::string line(const AccessLogFormat& f, const ExchangeRecord& r) {
  std::string out;
  format_line(f, r, out);
  return out;
}

boost::json::object parse_line(const std::string& l) {
  EXPECT_FALSE(l.empty());
  EXPECT_EQ(l.back(), '\n');
  EXPECT_EQ(l.find('\n'), l.size() - 1) << "one line only: " << l;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(l, ec);
  EXPECT_FALSE(ec) << ec.message() << ": " << l;
  return v.is_object() ? v.as_object() : boost::json::object();
}

TEST(AccessLogFormatterTest, DefaultJsonLineHasEveryDefaultField) {
  Sample s;
  AccessLogFormat f;
  f.json_fields = default_json_fields();
  const std::string l = line(f, s.record);
  const boost::json::object o = parse_line(l);
  EXPECT_EQ(o.at("time"), "2026-11-26T05:52:40.123Z");
  EXPECT_EQ(o.at("request_id"), "rid-1");
  EXPECT_EQ(o.at("client_ip"), "192.0.2.7");
  EXPECT_EQ(o.at("method"), "GET");
  EXPECT_EQ(o.at("path"), "/api/posts");
  EXPECT_EQ(o.at("query"), "page=2");
  EXPECT_EQ(o.at("protocol"), "HTTP/1.1");
  EXPECT_EQ(o.at("status"), 200);
  EXPECT_EQ(o.at("bytes_sent"), 1234);
  EXPECT_EQ(o.at("request_body_bytes"), 17);
  EXPECT_EQ(o.at("upstream"), "api");
  EXPECT_EQ(o.at("upstream_address"), "127.0.0.1:3000");
  EXPECT_EQ(o.at("route"), "posts");
  EXPECT_EQ(o.at("listener"), "public");
  EXPECT_EQ(o.at("user_agent"), "curl/8.0");
  EXPECT_EQ(o.at("tls_version"), "TLSv1.3");
  EXPECT_EQ(o.at("tls_resumed"), true);
  // Durations are plain decimal numbers of milliseconds, to the microsecond.
  EXPECT_NE(l.find("\"duration_ms\":12.345,"), std::string::npos) << l;
  EXPECT_NE(l.find("\"upstream_duration_ms\":2.000,"), std::string::npos) << l;
  EXPECT_EQ(o.size(), default_json_fields().size());
  // In the documented order.
  EXPECT_TRUE(l.starts_with("{\"time\":")) << l;
}

TEST(AccessLogFormatterTest, UnknownValuesAreNullInJsonAndDashInText) {
  ExchangeRecord r;  // a request whose head never completed, say
  r.start_time = kStart;
  r.status = 400;
  const boost::json::object o =
      parse_line(line(json_format({"method", "path", "query", "upstream", "upstream_duration_ms", "user_agent",
                                   "tls_resumed", "claim:sub", "request_header:x-a", "response_header:x-b",
                                   "status"}),
                      r));
  for (const char* k : {"method", "path", "query", "upstream", "upstream_duration_ms", "user_agent", "tls_resumed",
                        "claim:sub", "request_header:x-a", "response_header:x-b"}) {
    EXPECT_TRUE(o.at(k).is_null()) << k;
  }
  EXPECT_EQ(o.at("status"), 400);
  EXPECT_EQ(line(text_format("$method $path ${claim:sub} ${request_header:x-a} $status"), r), "- - - - 400\n");
}

TEST(AccessLogFormatterTest, ClaimsAndHeadersByName) {
  Sample s;
  const boost::json::object o = parse_line(
      line(json_format({"claim:sub", "claim:roles", "claim:realm.level", "claim:missing",
                        "request_header:X-FORWARDED-FOR", "request_header:host", "response_header:content-type",
                        "response_header:set-cookie", "response_header:body"}),
           s.record));
  EXPECT_EQ(o.at("claim:sub"), "user-42");
  EXPECT_EQ(o.at("claim:roles"), "admin,ops");  // policy::claim_text's text
  EXPECT_EQ(o.at("claim:realm.level"), "3");
  EXPECT_TRUE(o.at("claim:missing").is_null());
  // Header names are keys in lower case; repeated fields are joined.
  EXPECT_EQ(o.at("request_header:x-forwarded-for"), "10.0.0.1, 10.0.0.2");
  EXPECT_EQ(o.at("request_header:host"), "example.test");
  EXPECT_EQ(o.at("response_header:content-type"), "text/plain");
  EXPECT_EQ(o.at("response_header:set-cookie"), "a=1, b=2");
  // The response head ends at its empty line: body bytes are not headers.
  EXPECT_TRUE(o.at("response_header:body").is_null());
}

TEST(AccessLogFormatterTest, HostileValuesStayInsideTheirJsonString) {
  Sample s;
  const std::string path = "/a\"b\\c\nd\re\tf\x01g\x1f\x7f";
  const std::string agent = "\"}, {\"status\": 200, \"x\": \"\n{\"injected\":true}";
  s.record.path = path;
  s.request_headers.set("User-Agent", agent);
  s.claims["sub"] = "line1\nline2\u2028";
  const std::string l = line(json_format({"path", "user_agent", "claim:sub", "status"}), s.record);
  const boost::json::object o = parse_line(l);
  EXPECT_EQ(std::string(o.at("path").as_string()), path);
  EXPECT_EQ(std::string(o.at("user_agent").as_string()), agent);
  EXPECT_EQ(o.at("claim:sub"), "line1\nline2\u2028");
  EXPECT_EQ(o.at("status"), 200);
  EXPECT_EQ(o.size(), 4u);
  EXPECT_NE(l.find("\\u0001"), std::string::npos) << l;
}

TEST(AccessLogFormatterTest, BytesThatAreNotUtf8AreReadAsLatin1) {
  Sample s;
  // Valid UTF-8 (é, €, 😀) passes through; lone, overlong, surrogate and
  // truncated sequences are each byte's Latin-1 character.
  const std::string mixed = "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80|\xE9|\xC0\xAF|\xED\xA0\x80|\xE2\x82";
  s.record.path = mixed;
  const std::string l = line(json_format({"path"}), s.record);
  const boost::json::object o = parse_line(l);
  EXPECT_EQ(o.at("path"),
            "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80|\xC3\xA9|\xC3\x80\xC2\xAF|\xC3\xAD\xC2\xA0\xC2\x80|\xC3\xA2\xC2\x82");
}

TEST(AccessLogFormatterTest, TextLinesEscapeQuotesBackslashesAndControlBytes) {
  Sample s;
  s.request_headers.set("User-Agent", "evil\" \"agent\\\n200 0");
  s.record.path = "/\xE9\x01";
  const std::string l = line(text_format("\"$user_agent\" $path $$ ${claim:sub}"), s.record);
  EXPECT_EQ(l, "\"evil\\x22 \\x22agent\\x5C\\x0A200 0\" /\\xE9\\x01 $ user-42\n");
}

TEST(AccessLogFormatterTest, DefaultTextTemplateReadsLikeNginxCombined) {
  Sample s;
  s.request_headers.add("Referer", "https://example.test/");
  const std::string l = line(text_format(kDefaultTextTemplate), s.record);
  EXPECT_EQ(l,
            "192.0.2.7 - - [2026-11-26T05:52:40.123Z] \"GET /api/posts?page=2 HTTP/1.1\" 200 1234 "
            "\"https://example.test/\" \"curl/8.0\" rid-1 posts 12.345\n");
}

TEST(AccessLogFormatterTest, TimeAndMillis) {
  std::string out;
  append_rfc3339(out, kStart);
  out.push_back(' ');
  append_rfc3339(out, kStart + 877ms);  // the next second, from the per-thread cache's point of view
  out.push_back(' ');
  append_rfc3339(out, std::chrono::system_clock::time_point(std::chrono::seconds(0)) + 7ms);
  EXPECT_EQ(out, "2026-11-26T05:52:40.123Z 2026-11-26T05:52:41.000Z 1970-01-01T00:00:00.007Z");
  out.clear();
  append_millis(out, 0ns);
  out.push_back(' ');
  append_millis(out, 999ns);
  out.push_back(' ');
  append_millis(out, 1'234'567'890ns);
  out.push_back(' ');
  append_millis(out, -5ms);  // a clock step never yields a negative duration
  EXPECT_EQ(out, "0.000 0.000 1234.567 0.000");
}

TEST(AccessLogFormatterTest, JsonStringHelperMatchesBoostJsonRoundTrip) {
  const std::string hostile("\0\"\\/\b\f\n\r\t\x7f", 10);
  std::string out;
  append_json_string(out, hostile);
  boost::json::value v = boost::json::parse(out);
  EXPECT_EQ(v.as_string(), boost::json::string_view(hostile.data(), hostile.size()));
}

}  // namespace
}  // namespace gatehouse::access_log
