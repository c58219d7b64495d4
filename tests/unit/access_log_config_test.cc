// The `access_log` section and a route's `access_log: off`: what loads, and
// how mistakes are reported (file:line:column, key path, did you mean).
#include <string>

#include <gtest/gtest.h>

#include "proxy/access_log/access_log_format.h"
#include "tests/unit/config_test_support.h"

namespace gatehouse::config {
namespace {

using namespace testing;

std::vector<std::string> field_names(const Config& c) {
  std::vector<std::string> out;
  for (const access_log::FieldSpec& f : c.access_log.format.json_fields) out.push_back(f.name);
  return out;
}

TEST(AccessLogConfigTest, AbsentMeansOff) {
  auto config = load_ok(kMinimal);
  ASSERT_NE(config, nullptr);
  EXPECT_FALSE(config->access_log.enabled);
  EXPECT_EQ(config->access_log.writer, nullptr);
  EXPECT_TRUE(config->routes[0].access_log);
}

TEST(AccessLogConfigTest, JsonWithTheDefaultFields) {
  auto config = load_ok(kMinimal + "access_log:\n  path: stdout\n");
  ASSERT_NE(config, nullptr);
  const auto& log = config->access_log;
  EXPECT_TRUE(log.enabled);
  EXPECT_EQ(log.path, "stdout");
  EXPECT_EQ(log.format.kind, access_log::AccessLogFormat::Kind::kJson);
  EXPECT_EQ(log.buffer_size, 1024u * 1024u);
  ASSERT_NE(log.writer, nullptr);
  // The writer is the services' one, and loading starts nothing.
  EXPECT_EQ(log.writer, &config->services->shared<access_log::AccessLogWriter>());
  EXPECT_EQ(log.writer->path(), "");
  std::vector<std::string> expected;
  for (const auto& f : access_log::default_json_fields()) expected.push_back(f.name);
  EXPECT_EQ(field_names(*config), expected);
}

TEST(AccessLogConfigTest, FieldsExtendTheDefaultSet) {
  auto config = load_ok(kMinimal +
                        "access_log:\n"
                        "  path: logs/access.log\n"
                        "  fields: [default, claim:sub, request_header:X-Api-Key, response_header:Content-Type]\n"
                        "  buffer_size: 256KiB\n");
  ASSERT_NE(config, nullptr);
  // Relative to the config file's directory (t.yaml has none).
  EXPECT_EQ(config->access_log.path, "logs/access.log");
  EXPECT_EQ(config->access_log.buffer_size, 256u * 1024u);
  std::vector<std::string> names = field_names(*config);
  ASSERT_EQ(names.size(), access_log::default_json_fields().size() + 3);
  EXPECT_EQ(names[names.size() - 3], "claim:sub");
  EXPECT_EQ(names[names.size() - 2], "request_header:x-api-key");
  EXPECT_EQ(names.back(), "response_header:content-type");
}

TEST(AccessLogConfigTest, RelativePathsFollowTheConfigFile) {
  LoadResult r = load_config_string(kMinimal + "access_log: { path: access.log }\n", "/etc/gatehouse/gatehouse.yaml");
  ASSERT_NE(r.config, nullptr);
  EXPECT_EQ(r.config->access_log.path, "/etc/gatehouse/access.log");
}

TEST(AccessLogConfigTest, TextWithATemplate) {
  auto config = load_ok(kMinimal +
                        "access_log:\n"
                        "  path: stdout\n"
                        "  format: text\n"
                        "  template: '$client_ip \"$method $uri\" $status $claim:sub. $${claim:https://x.test/r}'\n");
  ASSERT_NE(config, nullptr);
  const auto& text = config->access_log.format.text;
  ASSERT_EQ(text.size(), 11u);
  EXPECT_EQ(text[0].field->name, "client_ip");
  EXPECT_EQ(text[1].literal, " \"");
  // A claim's name may hold dots (a path into nested claims), so a sentence's
  // full stop after it needs the braced form; `$${` is YAML's literal `${`.
  EXPECT_EQ(text[8].field->name, "claim:sub.");
  EXPECT_EQ(text[9].literal, " ");
  EXPECT_EQ(text[10].field->name, "claim:https://x.test/r");
}

TEST(AccessLogConfigTest, RouteCanTurnItsLinesOff) {
  auto config = load_ok(kMinimal + "    access_log: off\n" + "access_log: { path: stdout }\n");
  ASSERT_NE(config, nullptr);
  EXPECT_FALSE(config->routes[0].access_log);
}

TEST(AccessLogConfigTest, MistakesNameTheKeyPath) {
  const std::string base = kMinimal + "access_log:\n";  // access_log at line 10
  EXPECT_EQ(load_errors(base + "  format: json\n"),
            Strings{"t.yaml:11:3: access_log.path: missing required key `path`"});
  EXPECT_EQ(load_errors(base + "  path: stdout\n  fields: [status, stauts]\n"),
            Strings{"t.yaml:12:20: access_log.fields[1]: unknown access log field `stauts`; did you mean `status`?"});
  EXPECT_EQ(load_errors(base + "  path: stdout\n  fields: [status, \"claim:\"]\n"),
            Strings{"t.yaml:12:20: access_log.fields[1]: `claim:` needs a name after the colon, e.g. `claim:sub`"});
  EXPECT_EQ(load_errors(base + "  path: stdout\n  fields: [\"request_header:bad name\"]\n"),
            Strings{"t.yaml:12:12: access_log.fields[0]: `bad name` is not a valid header name"});
  EXPECT_EQ(load_errors(base + "  path: stdout\n  fields: [default, status]\n"),
            Strings{"t.yaml:12:21: access_log.fields[1]: field `status` is listed twice"});
  EXPECT_EQ(load_errors(base + "  path: stdout\n  fields: [route, default]\n"),
            Strings{"t.yaml:12:19: access_log.fields[1]: field `route` is listed twice (`default` includes it)"});
  EXPECT_EQ(load_errors(base + "  path: stdout\n  fields: []\n"),
            Strings{"t.yaml:12:11: access_log.fields: must list at least one field (leave `fields` out for the "
                    "default set)"});
  EXPECT_EQ(load_errors(base + "  path: stdout\n  format: xml\n"),
            Strings{"t.yaml:12:11: access_log.format: expected `json` or `text`, got `xml`"});
  EXPECT_EQ(load_errors(base + "  path: stdout\n  template: '$status'\n"),
            Strings{"t.yaml:12:13: access_log.template: `template` is for `format: text`; a JSON line lists its "
                    "`fields`"});
  EXPECT_EQ(load_errors(base + "  path: stdout\n  format: text\n  fields: [status]\n"),
            Strings{"t.yaml:13:11: access_log.fields: `fields` is for `format: json`; a text line is its "
                    "`template`"});
  EXPECT_EQ(load_errors(base + "  path: stdout\n  format: text\n  template: '$status $stat_us'\n"),
            Strings{"t.yaml:13:13: access_log.template: template variable `$stat_us`: unknown access log field "
                    "`stat_us`; did you mean `status`?"});
  EXPECT_EQ(load_errors(base + "  path: stdout\n  format: text\n  template: 'cost $5'\n"),
            Strings{"t.yaml:13:13: access_log.template: `$` at offset 5 of the template starts no variable "
                    "(write `$$` for a literal `$`)"});
  EXPECT_EQ(load_errors(base + "  path: stdout\n  format: text\n  template: '$${claim:sub'\n"),
            Strings{"t.yaml:13:13: access_log.template: unterminated `${` at offset 0 of the template"});
  EXPECT_EQ(load_errors(base + "  path: stdout\n  buffer_size: 1KiB\n"),
            Strings{"t.yaml:12:16: access_log.buffer_size: expected a size from 64KiB to 1GiB, got `1KiB`"});
  EXPECT_EQ(load_errors(base + "  path: stdout\n  paht: x\n"),
            Strings{"t.yaml:12:3: access_log.paht: unknown key `paht`; did you mean `path`?"});
  EXPECT_EQ(load_errors(kMinimal + "    access_log: never\n"),
            Strings{"t.yaml:10:17: routes[0].access_log: expected `off` or `on`, got `never`"});
}

}  // namespace
}  // namespace gatehouse::config
