// ConfigNode (paths, positions, typed reads, key checks) and the scalar
// parsers it is built on: parse_duration, parse_size, expand_env.

#include "proxy/config/config_node.h"

#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace gatehouse::config {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// A document and the diagnostics its nodes report into.
struct Doc {
  explicit Doc(const std::string& yaml) : root(YAML::Load(yaml), "t.yaml", diagnostics) {}
  std::vector<std::string> errors() const {
    std::vector<std::string> out;
    for (const Diagnostic& d : diagnostics.items()) out.push_back(d.to_string());
    return out;
  }
  Diagnostics diagnostics;
  ConfigNode root;
};

// Sets an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (value) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

// --- parse_duration -------------------------------------------------------

TEST(ConfigParseTest, DurationUnits) {
  EXPECT_EQ(parse_duration("250ms"), milliseconds(250));
  EXPECT_EQ(parse_duration("5s"), seconds(5));
  EXPECT_EQ(parse_duration("1m"), minutes(1));
  EXPECT_EQ(parse_duration("1h"), hours(1));
  EXPECT_EQ(parse_duration("7d"), hours(7 * 24));
  EXPECT_EQ(parse_duration("0"), milliseconds(0));
  EXPECT_EQ(parse_duration("0s"), milliseconds(0));
  EXPECT_EQ(parse_duration("007s"), seconds(7));
}

TEST(ConfigParseTest, DurationRejectsGarbage) {
  for (const char* bad : {"", "5", "10", "s", "-5s", "+5s", "5 s", " 5s", "5s ", "1.5s", "5S", "5sec",
                          "5us", "1h30m", "ms", "0x10s", "5ms5"}) {
    EXPECT_EQ(parse_duration(bad), std::nullopt) << bad;
  }
}

TEST(ConfigParseTest, DurationRejectsOverflow) {
  // 2^63 ms does not fit; neither do days that multiply past it.
  EXPECT_EQ(parse_duration("9223372036854775808ms"), std::nullopt);
  EXPECT_EQ(parse_duration("99999999999999999999999s"), std::nullopt);
  EXPECT_EQ(parse_duration("106751991167301d"), std::nullopt);
  EXPECT_EQ(parse_duration("9223372036854775807ms"),
            milliseconds(std::numeric_limits<std::int64_t>::max()));
  EXPECT_EQ(parse_duration("106751991167d"), hours(24) * 106751991167LL);
}

// --- parse_size -----------------------------------------------------------

TEST(ConfigParseTest, SizeUnits) {
  EXPECT_EQ(parse_size("512B"), 512u);
  EXPECT_EQ(parse_size("64KiB"), 64u * 1024);
  EXPECT_EQ(parse_size("1MiB"), 1024u * 1024);
  EXPECT_EQ(parse_size("1GiB"), 1024ull * 1024 * 1024);
  EXPECT_EQ(parse_size("2TiB"), 2ull << 40);
  EXPECT_EQ(parse_size("1024"), 1024u);
  EXPECT_EQ(parse_size("0"), 0u);
  EXPECT_EQ(parse_size("0B"), 0u);
}

TEST(ConfigParseTest, SizeRejectsGarbage) {
  for (const char* bad : {"", "B", "KiB", "-1", "+1", "1.5MiB", "10MB", "10kb", "10KB", "1 MiB",
                          "1mib", "1MiB ", "0x10", "1e3"}) {
    EXPECT_EQ(parse_size(bad), std::nullopt) << bad;
  }
}

TEST(ConfigParseTest, SizeRejectsOverflow) {
  EXPECT_EQ(parse_size("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(parse_size("18446744073709551616"), std::nullopt);
  EXPECT_EQ(parse_size("16777216TiB"), std::nullopt);  // 2^24 * 2^40 = 2^64
  EXPECT_EQ(parse_size("16777215TiB"), 16777215ull << 40);
}

// --- expand_env -----------------------------------------------------------

TEST(ConfigParseTest, ExpandEnvSubstitutes) {
  ScopedEnv a("GH_TEST_A", "alpha");
  ScopedEnv empty("GH_TEST_EMPTY", "");
  ScopedEnv unset("GH_TEST_UNSET", nullptr);
  std::string missing = "stale";
  EXPECT_EQ(expand_env("plain", &missing), "plain");
  EXPECT_EQ(missing, "");
  EXPECT_EQ(expand_env("${GH_TEST_A}", nullptr), "alpha");
  EXPECT_EQ(expand_env("x-${GH_TEST_A}-${GH_TEST_A}-y", nullptr), "x-alpha-alpha-y");
  EXPECT_EQ(expand_env("${GH_TEST_UNSET:-fallback}", nullptr), "fallback");
  EXPECT_EQ(expand_env("${GH_TEST_UNSET:-}", nullptr), "");
  EXPECT_EQ(expand_env("${GH_TEST_A:-fallback}", nullptr), "alpha");
  // Like the shell: an empty value takes the default, but ${VAR} is fine.
  EXPECT_EQ(expand_env("${GH_TEST_EMPTY:-fallback}", nullptr), "fallback");
  EXPECT_EQ(expand_env("[${GH_TEST_EMPTY}]", nullptr), "[]");
  EXPECT_EQ(expand_env("${GH_TEST_UNSET:-a:-b}", nullptr), "a:-b");
}

TEST(ConfigParseTest, ExpandEnvLeavesOtherDollarsAlone) {
  EXPECT_EQ(expand_env("^/a$", nullptr), "^/a$");
  EXPECT_EQ(expand_env("$HOME", nullptr), "$HOME");
  EXPECT_EQ(expand_env("cost: $5 {x}", nullptr), "cost: $5 {x}");
  EXPECT_EQ(expand_env("$${GH_TEST_UNSET}", nullptr), "${GH_TEST_UNSET}");
  EXPECT_EQ(expand_env("$", nullptr), "$");
}

TEST(ConfigParseTest, ExpandEnvReportsUnsetAndMalformed) {
  ScopedEnv unset("GH_TEST_UNSET", nullptr);
  std::string missing;
  EXPECT_EQ(expand_env("a${GH_TEST_UNSET}b", &missing), std::nullopt);
  EXPECT_EQ(missing, "GH_TEST_UNSET");
  for (const char* bad : {"${", "${GH_TEST_A", "${}", "${1X}", "${A-B}", "${A B}", "${:-x}",
                          "${GH_TEST_UNSET:-${OTHER}}"}) {
    missing = "stale";
    EXPECT_EQ(expand_env(bad, &missing), std::nullopt) << bad;
    EXPECT_EQ(missing, "") << bad;
  }
}

// --- ConfigNode: navigation, paths, positions ----------------------------

TEST(ConfigNodeTest, PathsJoinKeysAndIndexes) {
  Doc doc(
      "workers: 4\n"
      "listeners:\n"
      "  - name: a\n"
      "    address: 1.2.3.4:80\n"
      "routes:\n"
      "  - {}\n"
      "  - {}\n"
      "  - policies:\n"
      "      - headers: {request: {set: {X-A: '1'}}}\n");
  EXPECT_EQ(doc.root.path(), "");
  EXPECT_EQ(doc.root["workers"].path(), "workers");
  EXPECT_EQ(doc.root["listeners"].at(0)["address"].path(), "listeners[0].address");
  const ConfigNode set = doc.root["routes"].at(2)["policies"].at(0)["headers"]["request"]["set"];
  EXPECT_EQ(set.path(), "routes[2].policies[0].headers.request.set");
  EXPECT_TRUE(set.is_map());
  EXPECT_EQ(set["X-A"].path(), "routes[2].policies[0].headers.request.set.X-A");
  EXPECT_EQ(set["X-A"].as_string(), "1");
  // Missing children keep a path too, so errors about them can name it.
  EXPECT_EQ(doc.root["nope"]["deeper"].at(3).path(), "nope.deeper[3]");
  EXPECT_TRUE(doc.diagnostics.empty());
}

TEST(ConfigNodeTest, PositionsAreOneBased) {
  Doc doc(
      "a: 1\n"
      "b:\n"
      "  c: [x, y]\n");
  EXPECT_EQ(doc.root["a"].line(), 1);
  EXPECT_EQ(doc.root["a"].column(), 4);
  EXPECT_EQ(doc.root["b"].line(), 3);
  EXPECT_EQ(doc.root["b"].column(), 3);
  EXPECT_EQ(doc.root["b"]["c"].at(1).line(), 3);
  EXPECT_EQ(doc.root["b"]["c"].at(1).column(), 10);
}

TEST(ConfigNodeTest, UndefinedNodesReportAtTheirParent) {
  Doc doc(
      "top:\n"
      "  inner: 1\n");
  const ConfigNode missing = doc.root["top"]["absent"];
  EXPECT_FALSE(missing.defined());
  EXPECT_EQ(missing.line(), 0);
  EXPECT_EQ(missing.column(), 0);
  EXPECT_EQ(missing.as_string(), std::nullopt);  // no error for a missing key
  EXPECT_EQ(missing.as_duration(milliseconds(0), hours(1)), std::nullopt);
  EXPECT_TRUE(doc.diagnostics.empty());
  missing.error("is required");
  EXPECT_EQ(doc.errors(), std::vector<std::string>{"t.yaml:2:3: top.absent: is required"});
}

TEST(ConfigNodeTest, NullValuesReportAtTheirKey) {
  // yaml-cpp marks an empty value at the next token; errors must not point
  // at the following line.
  Doc doc(
      "first:\n"
      "second: 2\n");
  EXPECT_TRUE(doc.root["first"].defined());
  EXPECT_TRUE(doc.root["first"].is_null());
  EXPECT_EQ(doc.root["first"].as_string(), std::nullopt);
  EXPECT_EQ(doc.errors(), std::vector<std::string>{"t.yaml:1:1: first: expected a string, got null"});
}

TEST(ConfigNodeTest, EntriesKeepDocumentOrder) {
  Doc doc("m: {zeta: 1, alpha: 2, mid: 3}\n");
  std::vector<std::string> keys;
  for (const auto& [key, node] : doc.root["m"].entries()) {
    keys.push_back(key);
    EXPECT_EQ(node.path(), "m." + key);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"zeta", "alpha", "mid"}));
  EXPECT_EQ(doc.root["m"].size(), 3u);
  EXPECT_TRUE(doc.root["m"]["zeta"].entries().empty());
}

TEST(ConfigNodeTest, ScalarAndSequenceAreNotMaps) {
  Doc doc("s: text\nq: [1]\n");
  // Indexing the wrong kind yields undefined children, never a throw.
  EXPECT_FALSE(doc.root["s"]["x"].defined());
  EXPECT_FALSE(doc.root["s"].at(0).defined());
  EXPECT_FALSE(doc.root["q"]["x"].defined());
  EXPECT_FALSE(doc.root["q"].at(1).defined());
  EXPECT_TRUE(doc.root["q"].at(0).defined());
  EXPECT_EQ(doc.root["s"].size(), 0u);
  EXPECT_TRUE(doc.diagnostics.empty());
}

TEST(ConfigNodeTest, ExpectKindsReportWhatWasFound) {
  Doc doc("a: [1]\nb: {x: 1}\nc: word\n");
  EXPECT_FALSE(doc.root["a"].expect_map());
  EXPECT_FALSE(doc.root["b"].expect_sequence());
  EXPECT_FALSE(doc.root["c"].expect_map());
  EXPECT_TRUE(doc.root["b"].expect_map());
  EXPECT_EQ(doc.errors(), (std::vector<std::string>{
                              "t.yaml:1:4: a: expected a map, got a sequence",
                              "t.yaml:2:4: b: expected a sequence, got a map",
                              "t.yaml:3:4: c: expected a map, got `word`",
                          }));
}

TEST(ConfigNodeTest, ExpectKeysSuggestsTheClosestKey) {
  Doc doc(
      "upstream:\n"
      "  targets: [a]\n"
      "  conect_timeout: 1s\n"
      "  tiemout: 1s\n"
      "  zzz: 1\n");
  doc.root["upstream"].expect_keys({"targets", "connect_timeout", "timeout"});
  EXPECT_EQ(doc.errors(),
            (std::vector<std::string>{
                "t.yaml:3:3: upstream.conect_timeout: unknown key `conect_timeout`; did you mean "
                "`connect_timeout`?",
                "t.yaml:4:3: upstream.tiemout: unknown key `tiemout`; did you mean `timeout`?",
                "t.yaml:5:3: upstream.zzz: unknown key `zzz` (expected one of `targets`, "
                "`connect_timeout`, `timeout`)",
            }));
}

TEST(ConfigNodeTest, ExpectKeysReportsDuplicates) {
  Doc doc(
      "m:\n"
      "  a: 1\n"
      "  b: 2\n"
      "  a: 3\n");
  doc.root["m"].expect_keys({"a", "b"});
  EXPECT_EQ(doc.errors(),
            std::vector<std::string>{"t.yaml:4:3: m.a: duplicate key `a` (first set on line 2)"});
  Doc names("m: {x: 1, x: 2}\n");
  names.root["m"].expect_unique_keys();
  EXPECT_EQ(names.diagnostics.items().size(), 1u);
}

// --- ConfigNode: typed reads ---------------------------------------------

TEST(ConfigNodeTest, TypedReads) {
  Doc doc(
      "s: hello\n"
      "n: 42\n"
      "neg: -7\n"
      "t: true\n"
      "f: False\n"
      "d: 250ms\n"
      "z: 64KiB\n"
      "one: solo\n"
      "many: [a, b]\n");
  const ConfigNode& r = doc.root;
  EXPECT_EQ(r["s"].as_string(), "hello");
  EXPECT_EQ(r["n"].as_int(0, 100), 42);
  EXPECT_EQ(r["neg"].as_int(-10, 0), -7);
  EXPECT_EQ(r["t"].as_bool(), true);
  EXPECT_EQ(r["f"].as_bool(), false);
  EXPECT_EQ(r["d"].as_duration(milliseconds(0), seconds(1)), milliseconds(250));
  EXPECT_EQ(r["z"].as_size(0, 1 << 20), 65536u);
  EXPECT_EQ(r["one"].as_string_list(), std::vector<std::string>{"solo"});
  EXPECT_EQ(r["many"].as_string_list(), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(doc.diagnostics.empty());
}

TEST(ConfigNodeTest, FallbackHelpers) {
  Doc doc("present: 3s\nbad: soon\n");
  EXPECT_EQ(doc.root.duration_or("present", seconds(1), milliseconds(0), seconds(10)), seconds(3));
  EXPECT_EQ(doc.root.duration_or("absent", seconds(1), milliseconds(0), seconds(10)), seconds(1));
  EXPECT_EQ(doc.root.string_or("absent", "dflt"), "dflt");
  EXPECT_EQ(doc.root.int_or("absent", 9, 0, 10), 9);
  EXPECT_EQ(doc.root.bool_or("absent", true), true);
  EXPECT_EQ(doc.root.size_or("absent", 5, 0, 10), 5u);
  EXPECT_TRUE(doc.diagnostics.empty());
  // A present but invalid value is reported and the fallback returned.
  EXPECT_EQ(doc.root.duration_or("bad", seconds(1), milliseconds(0), seconds(10)), seconds(1));
  EXPECT_EQ(doc.diagnostics.items().size(), 1u);
}

TEST(ConfigNodeTest, TypedReadErrors) {
  Doc doc(
      "i: 1024x\n"        // 1
      "big: 2000\n"       // 2
      "b: yes\n"          // 3
      "d1: 5\n"           // 4
      "d2: 5 s\n"         // 5
      "d3: 20m\n"         // 6
      "z1: 10MB\n"        // 7
      "z2: 2MiB\n"        // 8
      "s: {a: 1}\n"       // 9
      "l: [a, [b]]\n");   // 10
  const ConfigNode& r = doc.root;
  EXPECT_EQ(r["i"].as_int(1, 1024), std::nullopt);
  EXPECT_EQ(r["big"].as_int(1, 1024), std::nullopt);
  EXPECT_EQ(r["b"].as_bool(), std::nullopt);
  EXPECT_EQ(r["d1"].as_duration(milliseconds(0), minutes(10)), std::nullopt);
  EXPECT_EQ(r["d2"].as_duration(milliseconds(0), minutes(10)), std::nullopt);
  EXPECT_EQ(r["d3"].as_duration(milliseconds(100), minutes(10)), std::nullopt);
  EXPECT_EQ(r["z1"].as_size(0, 1 << 30), std::nullopt);
  EXPECT_EQ(r["z2"].as_size(1024, 1 << 20), std::nullopt);
  EXPECT_EQ(r["s"].as_string(), std::nullopt);
  EXPECT_EQ(r["l"].as_string_list(), std::nullopt);
  EXPECT_EQ(doc.errors(),
            (std::vector<std::string>{
                "t.yaml:1:4: i: expected an integer from 1 to 1024, got `1024x`",
                "t.yaml:2:6: big: expected an integer from 1 to 1024, got `2000`",
                "t.yaml:3:4: b: expected `true` or `false`, got `yes`",
                "t.yaml:4:5: d1: expected a duration with a unit (`ms`, `s`, `m`, `h` or `d`), got `5`",
                "t.yaml:5:5: d2: expected a duration such as `250ms`, `5s`, `1m`, `1h` or `7d`, got `5 s`",
                "t.yaml:6:5: d3: expected a duration from 100ms to 10m, got `20m`",
                "t.yaml:7:5: z1: expected a size such as `512B`, `64KiB`, `1MiB` or `1GiB`, got `10MB`",
                "t.yaml:8:5: z2: expected a size from 1KiB to 1MiB, got `2MiB`",
                "t.yaml:9:4: s: expected a string, got a map",
                "t.yaml:10:8: l[1]: expected a string, got a sequence",
            }));
}

TEST(ConfigNodeTest, ReadsExpandEnvironment) {
  ScopedEnv port("GH_TEST_PORT", "8081");
  ScopedEnv unset("GH_TEST_UNSET", nullptr);
  Doc doc(
      "a: ${GH_TEST_PORT}\n"
      "b: ${GH_TEST_UNSET:-5s}\n"
      "c: ${GH_TEST_UNSET}\n"
      "d: ${oops\n");
  EXPECT_EQ(doc.root["a"].as_int(1, 65535), 8081);
  EXPECT_EQ(doc.root["b"].as_duration(milliseconds(0), minutes(1)), seconds(5));
  EXPECT_EQ(doc.root["c"].as_string(), std::nullopt);
  EXPECT_EQ(doc.root["d"].as_string(), std::nullopt);
  ASSERT_EQ(doc.diagnostics.items().size(), 2u);
  EXPECT_EQ(doc.errors()[0], "t.yaml:3:4: c: environment variable `GH_TEST_UNSET` is not set");
  EXPECT_EQ(doc.errors()[1].rfind("t.yaml:4:4: d: malformed environment reference", 0), 0u)
      << doc.errors()[1];
}

TEST(ConfigNodeTest, WithYamlKeepsPathAndPosition) {
  Doc doc("x:\n  y: 1\n");
  const ConfigNode y = doc.root["x"]["y"];
  const ConfigNode replaced = y.with_yaml(YAML::Node(YAML::NodeType::Map));
  EXPECT_EQ(replaced.path(), "x.y");
  EXPECT_TRUE(replaced.is_map());
  replaced["missing"].error("boom");
  EXPECT_EQ(doc.errors(), std::vector<std::string>{"t.yaml:2:6: x.y.missing: boom"});
}

TEST(ConfigDiagnosticTest, Format) {
  Diagnostic d{.file = "f.yaml", .line = 3, .column = 7, .path = "a.b", .message = "bad"};
  EXPECT_EQ(d.to_string(), "f.yaml:3:7: a.b: bad");
  d.path.clear();
  EXPECT_EQ(d.to_string(), "f.yaml:3:7: bad");
  d.line = 0;
  EXPECT_EQ(d.to_string(), "f.yaml: bad");
}

TEST(ConfigDiagnosticTest, DidYouMean) {
  const std::vector<std::string_view> keys = {"listeners", "upstreams", "routes", "workers", "admin"};
  EXPECT_EQ(did_you_mean("listners", keys), "; did you mean `listeners`?");
  EXPECT_EQ(did_you_mean("rotues", keys), "; did you mean `routes`?");  // transposition
  EXPECT_EQ(did_you_mean("worker", keys), "; did you mean `workers`?");
  EXPECT_EQ(did_you_mean("completely_else", keys), "");
  EXPECT_EQ(did_you_mean("ad", keys), "");  // too little of the word survives
  EXPECT_EQ(did_you_mean("x", {}), "");
}

}  // namespace
}  // namespace gatehouse::config
