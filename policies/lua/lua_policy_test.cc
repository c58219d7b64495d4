// The `lua` policy built the way the config loader builds it (through the
// registry, from YAML options) and called directly, without sockets: the
// sandbox, the limits, the request and response API, and config errors.

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "policies/lua/lua_policy.h"
#include "proxy/config/config_node.h"
#include "proxy/policy/registry.h"
#include "proxy/policy/verified_claims.h"
#include "tests/unit/fake_request_context.h"

namespace gatehouse::policies::lua {
namespace {

using policy::RequestOutcome;
using testing_support::FakeRequestContext;

// The document's `lua` key plays the options of a `- lua: ...` entry; the
// document is `<dir>/test.yaml`, so relative files resolve against `dir`.
struct LuaBuilt {
  config::Diagnostics diagnostics;
  policy::PolicyServices services;
  std::unique_ptr<const policy::Policy> policy;

  const LuaPolicy& lua() const { return static_cast<const LuaPolicy&>(*policy); }

  double errors(std::string_view phase) {
    for (const auto& family : services.metrics_registry().Collect()) {
      if (family.name != "gatehouse_lua_errors_total") continue;
      for (const auto& m : family.metric) {
        for (const auto& label : m.label) {
          if (label.name == "phase" && label.value == phase) return m.counter.value;
        }
      }
    }
    return -1;
  }
};

std::unique_ptr<LuaBuilt> build_lua(const std::string& yaml, const std::string& dir = ".") {
  auto built = std::make_unique<LuaBuilt>();
  config::ConfigNode root(YAML::Load(yaml), dir + "/test.yaml", built->diagnostics);
  const policy::PolicyFactory* factory = policy::find_policy_factory("lua");
  if (factory != nullptr) {
    built->policy = factory->create(root["lua"], {.route_name = "test-route", .services = built->services});
  }
  return built;
}

// A policy from inline source that must be valid.
std::unique_ptr<LuaBuilt> build_source(const std::string& source, const std::string& extra_options = "") {
  YAML::Emitter quoted;
  quoted << YAML::DoubleQuoted << source;
  std::unique_ptr<LuaBuilt> built = build_lua("lua: { source: " + std::string(quoted.c_str()) + extra_options + " }\n");
  for (const config::Diagnostic& d : built->diagnostics.items()) ADD_FAILURE() << d.to_string();
  EXPECT_NE(built->policy, nullptr);
  return built;
}

// The single diagnostic of an invalid configuration.
config::Diagnostic single_lua_error(const std::string& yaml, const std::string& dir = ".") {
  std::unique_ptr<LuaBuilt> built = build_lua(yaml, dir);
  EXPECT_EQ(built->policy, nullptr);
  std::string reported;
  for (const config::Diagnostic& d : built->diagnostics.items()) reported += d.to_string() + "\n";
  EXPECT_EQ(built->diagnostics.items().size(), 1u) << reported;
  if (built->diagnostics.items().empty()) return {};
  return built->diagnostics.items().front();
}

std::string header_or(const http::HeaderMap& headers, std::string_view name, std::string fallback = "<none>") {
  const std::string* value = headers.find(name);
  return value != nullptr ? *value : fallback;
}

// A directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "gatehouse-lua-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  void write(const std::string& name, const std::string& text) const {
    std::filesystem::create_directories(std::filesystem::path(path_ + "/" + name).parent_path());
    std::ofstream(path_ + "/" + name) << text;
  }

 private:
  std::string path_;
};

std::string examples_dir() {
  return (std::filesystem::path(__FILE__).parent_path() / ".." / ".." / "examples" / "lua").lexically_normal().string();
}

void publish_claims(FakeRequestContext& ctx, std::string_view json) {
  ctx.set_data(&policy::kVerifiedClaimsKey,
               std::make_unique<policy::VerifiedClaims>(boost::json::parse(json).as_object()));
}

// --- registry and config ------------------------------------------------------

TEST(LuaRegistryTest, LuaIsInTheFactoryTable) {
  const policy::PolicyFactory* factory = policy::find_policy_factory("lua");
  ASSERT_NE(factory, nullptr);
  EXPECT_EQ(factory->create, &create_lua_policy);
}

TEST(LuaConfigTest, OptionsMustNameExactlyOneScript) {
  config::Diagnostic d = single_lua_error("lua:\n");
  EXPECT_EQ(d.path, "lua");
  EXPECT_NE(d.message.find("expected a map with `file`"), std::string::npos) << d.message;

  d = single_lua_error("lua: { max_memory: 1MiB }\n");
  EXPECT_NE(d.message.find("missing the script"), std::string::npos) << d.message;

  d = single_lua_error("lua: { file: a.lua, source: \"function on_request() end\" }\n");
  EXPECT_NE(d.message.find("not both"), std::string::npos) << d.message;

  d = single_lua_error("lua: { source: \"function on_request() end\", max_instruction: 5000 }\n");
  EXPECT_NE(d.message.find("did you mean `max_instructions`"), std::string::npos) << d.message;

  d = single_lua_error("lua: { source: \"function on_request() end\", max_instructions: 10 }\n");
  EXPECT_EQ(d.path, "lua.max_instructions");
  d = single_lua_error("lua: { source: \"function on_request() end\", max_memory: 2GiB }\n");
  EXPECT_EQ(d.path, "lua.max_memory");
}

TEST(LuaConfigTest, SyntaxErrorNamesTheLineOfTheSource) {
  config::Diagnostic d = single_lua_error(
      "lua:\n"
      "  source: |\n"
      "    function on_request(req)\n"
      "      local x = = 1\n"
      "    end\n");
  EXPECT_EQ(d.path, "lua.source");
  EXPECT_EQ(d.line, 2);
  // Lua's own message, prefixed with the chunk (the key path) and its line.
  EXPECT_NE(d.message.find("lua.source:2: unexpected symbol near '='"), std::string::npos) << d.message;
}

TEST(LuaConfigTest, FileIsRelativeToTheConfigAndErrorsNameItsLine) {
  TempDir dir;
  dir.write("hooks/bad.lua", "function on_request(req)\n  req:set_header('A', 'b')\nend end\n");
  config::Diagnostic d = single_lua_error("lua: { file: hooks/bad.lua }\n", dir.path());
  EXPECT_EQ(d.path, "lua.file");
  EXPECT_NE(d.message.find("hooks/bad.lua:3: <eof> expected near 'end'"), std::string::npos) << d.message;

  d = single_lua_error("lua: { file: hooks/missing.lua }\n", dir.path());
  EXPECT_NE(d.message.find("cannot read `" + dir.path() + "/hooks/missing.lua`"), std::string::npos) << d.message;

  dir.write("hooks/good.lua", "function on_request(req) req:set_header('X-Good', 'yes') end\n");
  std::unique_ptr<LuaBuilt> built = build_lua("lua: { file: hooks/good.lua }\n", dir.path());
  ASSERT_NE(built->policy, nullptr);
  FakeRequestContext ctx;
  EXPECT_EQ(built->policy->on_request(ctx).kind(), RequestOutcome::Kind::kProceed);
  EXPECT_EQ(header_or(ctx.request().headers, "X-Good"), "yes");
}

TEST(LuaConfigTest, TopLevelErrorsAndMissingHooksAreConfigErrors) {
  config::Diagnostic d = single_lua_error("lua: { source: \"local t = nil\\nlocal x = t.field\" }\n");
  EXPECT_NE(d.message.find("lua.source:2: attempt to index a nil value"), std::string::npos) << d.message;

  d = single_lua_error("lua: { source: \"function helper() end\" }\n");
  EXPECT_NE(d.message.find("neither `on_request(req)` nor `on_response(req, resp)`"), std::string::npos)
      << d.message;

  // `on_request` must be a function, not just a global.
  d = single_lua_error("lua: { source: \"on_request = 1\" }\n");
  EXPECT_NE(d.message.find("neither"), std::string::npos) << d.message;

  d = single_lua_error("lua: { source: \"while true do end\", max_instructions: 5000 }\n");
  EXPECT_NE(d.message.find("instruction limit reached"), std::string::npos) << d.message;
  EXPECT_NE(d.message.find("max_instructions: 5000"), std::string::npos) << d.message;
}

TEST(LuaConfigTest, BinaryChunksAreRefused) {
  // "\e" is ESC, the first byte of a precompiled chunk.
  config::Diagnostic d = single_lua_error("lua: { source: \"\\eLuaT\\0\" }\n");
  EXPECT_NE(d.message.find("binary chunk"), std::string::npos) << d.message;
}

// --- sandbox and limits -------------------------------------------------------

TEST(LuaSandboxTest, OnlySafeLibrariesAreThere) {
  auto built = build_source(R"(
function on_request(req)
  local absent = {}
  for _, name in ipairs({"io", "os", "debug", "package", "require", "dofile", "loadfile", "print",
                         "collectgarbage", "coroutine", "warn"}) do
    if _G[name] ~= nil then absent[#absent + 1] = name end
  end
  req:set_header("X-Present", #absent == 0 and "none" or table.concat(absent, ","))
  req:set_header("X-Dump", tostring(string.dump))
  req:set_header("X-Libs", string.upper("ok") .. math.floor(2.5) .. table.concat({"a", "b"}) .. utf8.char(72))
  -- load() compiles text but never a precompiled chunk.
  req:set_header("X-Load", tostring(load("return 40 + 2")()))
  local f, err = load("\27LuaT\0")
  req:set_header("X-Binary", f == nil and err:find("binary") and "refused" or "loaded")
end
)");
  FakeRequestContext ctx;
  ASSERT_EQ(built->policy->on_request(ctx).kind(), RequestOutcome::Kind::kProceed);
  const http::HeaderMap& h = ctx.request().headers;
  EXPECT_EQ(header_or(h, "X-Present"), "none");
  EXPECT_EQ(header_or(h, "X-Dump"), "nil");
  EXPECT_EQ(header_or(h, "X-Libs"), "OK2abH");
  EXPECT_EQ(header_or(h, "X-Load"), "42");
  EXPECT_EQ(header_or(h, "X-Binary"), "refused");
}

TEST(LuaSandboxTest, AnInfiniteLoopIsAbortedWith500EvenUnderPcall) {
  auto built = build_source(R"(
function on_request(req)
  if req.path == "/loop" then
    while true do end
  elseif req.path == "/stubborn" then
    -- Catching the limit's error does not help: it is raised again at
    -- the very next instruction.
    while true do pcall(function() while true do end end) end
  end
  req:set_header("X-Ran", "yes")
end
)", ", max_instructions: 100000");
  for (const char* path : {"/loop", "/stubborn"}) {
    FakeRequestContext ctx;
    ctx.request().target = path;
    RequestOutcome outcome = built->policy->on_request(ctx);
    ASSERT_EQ(outcome.kind(), RequestOutcome::Kind::kRespond) << path;
    EXPECT_EQ(outcome.take_reply()->status, 500);
    EXPECT_EQ(outcome.error_code(), "internal_error");
  }
  EXPECT_EQ(built->errors("request"), 2);
  // The spent state was replaced: the next request runs normally.
  FakeRequestContext ctx;
  ctx.request().target = "/fine";
  EXPECT_EQ(built->policy->on_request(ctx).kind(), RequestOutcome::Kind::kProceed);
  EXPECT_EQ(header_or(ctx.request().headers, "X-Ran"), "yes");
  EXPECT_EQ(built->lua().pool().size(), 1u);
}

TEST(LuaSandboxTest, AMemoryBombIsAbortedAndTheStateReplaced) {
  auto built = build_source(R"(
hoard = {}
function on_request(req)
  if req.path == "/bomb" then
    for i = 1, 1e9 do hoard[i] = string.rep("x", 1024) .. i end
  elseif req.path == "/caught" then
    -- One refused allocation the script handles itself is not a failure.
    local ok = pcall(string.rep, "x", 64 * 1024 * 1024)
    req:set_header("X-Caught", tostring(ok))
  end
  req:set_header("X-Hoard", tostring(#hoard))
end
)", ", max_memory: 1MiB");
  FakeRequestContext bomb;
  bomb.request().target = "/bomb";
  RequestOutcome outcome = built->policy->on_request(bomb);
  ASSERT_EQ(outcome.kind(), RequestOutcome::Kind::kRespond);
  EXPECT_EQ(outcome.take_reply()->status, 500);
  EXPECT_EQ(built->errors("request"), 1);

  // A fresh state: the hoard of the spent one is gone.
  FakeRequestContext after;
  after.request().target = "/caught";
  ASSERT_EQ(built->policy->on_request(after).kind(), RequestOutcome::Kind::kProceed);
  EXPECT_EQ(header_or(after.request().headers, "X-Caught"), "false");
  EXPECT_EQ(header_or(after.request().headers, "X-Hoard"), "0");
  EXPECT_EQ(built->errors("request"), 1);
}

TEST(LuaSandboxTest, ARuntimeErrorIs500AndTheStateKeepsServing) {
  auto built = build_source(R"(
served = 0
function on_request(req)
  served = served + 1
  if req.path == "/fail" then error("no such thing") end
  req:set_header("X-Served", served)
end
)");
  FakeRequestContext fail;
  fail.request().target = "/fail";
  RequestOutcome outcome = built->policy->on_request(fail);
  ASSERT_EQ(outcome.kind(), RequestOutcome::Kind::kRespond);
  EXPECT_EQ(outcome.take_reply()->status, 500);
  // The client never sees the script's message.
  EXPECT_EQ(outcome.error_message().find("no such thing"), std::string::npos);
  EXPECT_EQ(built->errors("request"), 1);
  EXPECT_EQ(built->errors("response"), 0);

  FakeRequestContext next;
  next.request().target = "/ok";
  ASSERT_EQ(built->policy->on_request(next).kind(), RequestOutcome::Kind::kProceed);
  // The same state (its globals survived the error).
  EXPECT_EQ(header_or(next.request().headers, "X-Served"), "2");
}

TEST(LuaSandboxTest, EachThreadHasItsOwnState) {
  auto built = build_source(R"(
count = 0
function on_request(req)
  count = count + 1
  req:set_header("X-Count", count)
end
)");
  auto run = [&] {
    FakeRequestContext ctx;
    EXPECT_EQ(built->policy->on_request(ctx).kind(), RequestOutcome::Kind::kProceed);
    return header_or(ctx.request().headers, "X-Count");
  };
  EXPECT_EQ(run(), "1");
  EXPECT_EQ(run(), "2");
  std::string other;
  std::thread([&] { other = run(); }).join();
  EXPECT_EQ(other, "1");
  EXPECT_EQ(run(), "3");
  EXPECT_EQ(built->lua().pool().size(), 2u);
}

TEST(LuaSandboxTest, ARequestObjectKeptPastItsCallIsRefused) {
  auto built = build_source(R"(
function on_request(req)
  if saved ~= nil then
    local ok, err = pcall(function() return saved.method end)
    req:set_header("X-Stale", ok and "usable" or err)
  end
  saved = req
end
)");
  FakeRequestContext first;
  ASSERT_EQ(built->policy->on_request(first).kind(), RequestOutcome::Kind::kProceed);
  FakeRequestContext second;
  ASSERT_EQ(built->policy->on_request(second).kind(), RequestOutcome::Kind::kProceed);
  EXPECT_NE(header_or(second.request().headers, "X-Stale").find("belongs to a hook call that has returned"),
            std::string::npos)
      << header_or(second.request().headers, "X-Stale");
}

// --- the request API ----------------------------------------------------------

TEST(LuaRequestTest, FieldsOfTheRequest) {
  auto built = build_source(R"(
function on_request(req)
  req:set_header("X-Seen", table.concat({req.method, req.path, req.query, req.client_ip, req.route,
                                         req.request_id, tostring(req.claims), tostring(req.nothing)}, "|"))
  req:set_header("X-Accept", req:header("accept") or "nil")
  req:set_header("X-Missing", tostring(req:header("X-Missing")))
end
)");
  FakeRequestContext ctx;
  ctx.request().method = "POST";
  ctx.request().target = "/api/items?page=2&q=a%20b";
  ctx.request().headers.add("Accept", "text/html");
  ctx.request().headers.add("Accept", "application/json");
  ASSERT_EQ(built->policy->on_request(ctx).kind(), RequestOutcome::Kind::kProceed);
  EXPECT_EQ(header_or(ctx.request().headers, "X-Seen"),
            "POST|/api/items|page=2&q=a%20b|192.0.2.1|test-route|req-1|nil|nil");
  EXPECT_EQ(header_or(ctx.request().headers, "X-Accept"), "text/html");  // the first value
  EXPECT_EQ(header_or(ctx.request().headers, "X-Missing"), "nil");
}

TEST(LuaRequestTest, HeaderEditsGoUpstream) {
  auto built = build_source(R"(
function on_request(req)
  req:set_header("X-Env", "prod")
  req:add_header("Via", "lua")
  req:remove_header("x-debug")
  req:set_header("Host", "internal.example")
end
)");
  FakeRequestContext ctx;
  http::HeaderMap& h = ctx.request().headers;
  h.add("Host", "public.example");
  h.add("X-Env", "dev");
  h.add("X-Debug", "1");
  h.add("Via", "1.1 edge");
  ASSERT_EQ(built->policy->on_request(ctx).kind(), RequestOutcome::Kind::kProceed);
  std::vector<std::string> fields;
  for (const http::Header& f : h) fields.push_back(f.name + ": " + f.value);
  EXPECT_EQ(fields, (std::vector<std::string>{"Host: internal.example", "X-Env: prod", "Via: 1.1 edge", "Via: lua"}));
}

TEST(LuaRequestTest, EditsTheHeadersPolicyRefusesAreErrors) {
  auto built = build_source(R"(
function on_request(req)
  local tries = {
    function() req:set_header("Content-Length", "0") end,
    function() req:remove_header("Transfer-Encoding") end,
    function() req:add_header("Connection", "close") end,
    function() req:remove_header("Host") end,
    function() req:set_header("X-A", "ok\r\nInjected: yes") end,
    function() req:set_header("Bad Name", "x") end,
    function() req:set_header("X-A", " padded") end,
    function() req:set_header("X-A", {}) end,
  }
  local errors = {}
  for i, try in ipairs(tries) do
    local ok, err = pcall(try)
    errors[i] = ok and "accepted" or err
  end
  req.ctx.errors = errors
  req:set_header("X-Errors", #errors)
  for i, err in ipairs(errors) do req:set_header("X-Error-" .. i, (err:gsub("[\r\n]", " "))) end
end
)");
  FakeRequestContext ctx;
  ctx.request().headers.add("Host", "a.example");
  ASSERT_EQ(built->policy->on_request(ctx).kind(), RequestOutcome::Kind::kProceed);
  const http::HeaderMap& h = ctx.request().headers;
  EXPECT_EQ(header_or(h, "X-Errors"), "8");
  EXPECT_NE(header_or(h, "X-Error-1").find("delimits the body"), std::string::npos) << header_or(h, "X-Error-1");
  EXPECT_NE(header_or(h, "X-Error-2").find("delimits the body"), std::string::npos);
  EXPECT_NE(header_or(h, "X-Error-3").find("hop-by-hop"), std::string::npos);
  EXPECT_NE(header_or(h, "X-Error-4").find("exactly one Host"), std::string::npos);
  EXPECT_NE(header_or(h, "X-Error-5").find("control character"), std::string::npos);
  EXPECT_NE(header_or(h, "X-Error-6").find("not a valid header name"), std::string::npos);
  EXPECT_NE(header_or(h, "X-Error-7").find("start or end"), std::string::npos);
  EXPECT_NE(header_or(h, "X-Error-8").find("string expected"), std::string::npos);
  EXPECT_EQ(header_or(h, "Injected"), "<none>");
  EXPECT_EQ(header_or(h, "Host"), "a.example");
  EXPECT_EQ(h.count("X-A"), 0u);

  // Unhandled, the same refusal fails the hook.
  auto strict = build_source("function on_request(req) req:set_header('Content-Length', '0') end");
  FakeRequestContext other;
  EXPECT_EQ(strict->policy->on_request(other).kind(), RequestOutcome::Kind::kRespond);
  EXPECT_EQ(other.request().headers.count("Content-Length"), 0u);
}

TEST(LuaRequestTest, AHookCannotGrowHeadersWithoutBound) {
  auto built = build_source(R"(
function on_request(req)
  for i = 1, 100000 do req:add_header("X-Fill", string.rep("x", 1000)) end
end
)");
  FakeRequestContext ctx;
  RequestOutcome outcome = built->policy->on_request(ctx);
  ASSERT_EQ(outcome.kind(), RequestOutcome::Kind::kRespond);
  EXPECT_EQ(outcome.take_reply()->status, 500);
  // 64KiB of names and values: 65 fields of 1006 bytes, not one more.
  EXPECT_EQ(ctx.request().headers.count("X-Fill"), 65u);
}

TEST(LuaRequestTest, ClaimsBecomeATable) {
  auto built = build_source(R"(
function on_request(req)
  local c = req.claims
  req:set_header("X-Sub", c.sub)
  req:set_header("X-Roles", table.concat(c.roles, ","))
  req:set_header("X-Org", tostring(c.org.id) .. "/" .. math.type(c.org.id) .. "/" .. c.org.name)
  req:set_header("X-Scalars", tostring(c.ratio) .. " " .. tostring(c.admin) .. " " .. tostring(c.gone))
  req:set_header("X-Same", tostring(req.claims == c))
end
)");
  FakeRequestContext ctx;
  publish_claims(ctx, R"({"sub": "alice", "roles": ["dev", "ops"], "org": {"id": 7, "name": "acme"},
                          "ratio": 1.5, "admin": false, "gone": null})");
  ASSERT_EQ(built->policy->on_request(ctx).kind(), RequestOutcome::Kind::kProceed);
  const http::HeaderMap& h = ctx.request().headers;
  EXPECT_EQ(header_or(h, "X-Sub"), "alice");
  EXPECT_EQ(header_or(h, "X-Roles"), "dev,ops");
  EXPECT_EQ(header_or(h, "X-Org"), "7/integer/acme");
  EXPECT_EQ(header_or(h, "X-Scalars"), "1.5 false nil");
  EXPECT_EQ(header_or(h, "X-Same"), "true");  // built once per call
}

TEST(LuaRequestTest, RespondAnswersLocally) {
  auto built = build_source(R"(
function on_request(req)
  if req:header("X-Deny") then
    return req:respond(403, '{"error":"forbidden"}', {["Content-Type"] = "application/json", ["X-Why"] = "denied", ["X-N"] = 3})
  end
  if req:header("X-Empty") then return req:respond(204) end
  if req:header("X-Twice") then req:respond(200, "a"); req:respond(200, "b") end
  if req:header("X-Bad") then return req:respond(200, "x", {["Content-Length"] = "1"}) end
  if req:header("X-Bad-Status") then return req:respond(99) end
  if req:header("X-Body-On-304") then return req:respond(304, "x") end
end
)");
  FakeRequestContext deny;
  deny.request().headers.add("X-Deny", "1");
  RequestOutcome outcome = built->policy->on_request(deny);
  ASSERT_EQ(outcome.kind(), RequestOutcome::Kind::kRespond);
  std::unique_ptr<policy::LocalReply> reply = outcome.take_reply();
  EXPECT_EQ(reply->status, 403);
  EXPECT_EQ(reply->body, R"({"error":"forbidden"})");
  EXPECT_EQ(reply->content_type, "application/json");
  EXPECT_EQ(header_or(reply->headers, "X-Why"), "denied");
  EXPECT_EQ(header_or(reply->headers, "X-N"), "3");
  EXPECT_TRUE(outcome.error_code().empty());

  FakeRequestContext empty;
  empty.request().headers.add("X-Empty", "1");
  outcome = built->policy->on_request(empty);
  ASSERT_EQ(outcome.kind(), RequestOutcome::Kind::kRespond);
  reply = outcome.take_reply();
  EXPECT_EQ(reply->status, 204);
  EXPECT_TRUE(reply->body.empty());

  for (const char* bad : {"X-Twice", "X-Bad", "X-Bad-Status", "X-Body-On-304"}) {
    FakeRequestContext ctx;
    ctx.request().headers.add(bad, "1");
    outcome = built->policy->on_request(ctx);
    ASSERT_EQ(outcome.kind(), RequestOutcome::Kind::kRespond) << bad;
    EXPECT_EQ(outcome.take_reply()->status, 500) << bad;
    EXPECT_EQ(outcome.error_code(), "internal_error") << bad;
  }
  EXPECT_EQ(built->errors("request"), 4);

  FakeRequestContext pass;
  EXPECT_EQ(built->policy->on_request(pass).kind(), RequestOutcome::Kind::kProceed);
}

// --- the response phase -------------------------------------------------------

TEST(LuaResponseTest, EditsTheResponseAndSeesTheRequestsCtx) {
  auto built = build_source(R"(
function on_request(req)
  req.ctx.path = req.path
  req.ctx.list = {1, 2, 3}
end
function on_response(req, resp)
  resp:set_header("X-Path", req.ctx.path or "nil")
  resp:set_header("X-List", #(req.ctx.list or {}))
  resp:set_header("X-Upstream-Status", resp.status)
  resp:remove_header("Server")
  resp:add_header("Vary", "Origin")
  resp:set_header("X-Server-Was", tostring(resp:header("server")))
  if resp.status == 200 then resp:set_status(201) end
end
)");
  FakeRequestContext ctx;
  ctx.request().target = "/items/1";
  ASSERT_EQ(built->policy->on_request(ctx).kind(), RequestOutcome::Kind::kProceed);
  http::ResponseHead response;
  response.status = 200;
  response.reason = "OK";
  response.headers.add("Server", "upstream/1");
  response.headers.add("Vary", "Accept");
  built->policy->on_response(ctx, response);
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.reason, "Created");
  EXPECT_EQ(header_or(response.headers, "X-Path"), "/items/1");
  EXPECT_EQ(header_or(response.headers, "X-List"), "3");
  EXPECT_EQ(header_or(response.headers, "X-Upstream-Status"), "200");
  EXPECT_EQ(header_or(response.headers, "Server"), "<none>");
  EXPECT_EQ(header_or(response.headers, "X-Server-Was"), "nil");
  EXPECT_EQ(response.headers.count("Vary"), 2u);

  // Without on_request's table (another request), ctx starts empty.
  FakeRequestContext fresh;
  http::ResponseHead other;
  built->policy->on_response(fresh, other);
  EXPECT_EQ(header_or(other.headers, "X-Path"), "nil");
}

TEST(LuaResponseTest, TheResponsePhaseSeesTheScriptsOwnLocalReply) {
  auto built = build_source(R"(
function on_request(req)
  req.ctx.denied = true
  return req:respond(403, "no")
end
function on_response(req, resp)
  resp:set_header("X-Seen", resp.status .. " " .. tostring(req.ctx.denied))
end
)");
  FakeRequestContext ctx;
  RequestOutcome outcome = built->policy->on_request(ctx);
  ASSERT_EQ(outcome.kind(), RequestOutcome::Kind::kRespond);
  // What the proxy does with the reply (send_local_reply) before sending it.
  std::unique_ptr<policy::LocalReply> reply = outcome.take_reply();
  http::ResponseHead response;
  response.status = reply->status;
  response.headers = reply->headers;
  built->policy->on_response(ctx, response);
  EXPECT_EQ(header_or(response.headers, "X-Seen"), "403 true");
}

TEST(LuaResponseTest, AFailedHookUndoesItsEditsAndTurns500) {
  auto built = build_source(R"(
function on_response(req, resp)
  resp:set_header("X-Half", "done")
  resp:remove_header("ETag")
  if resp.status == 204 or req.path == "/fail" then error("response hook broke") end
  resp:set_status(204)
end
)");
  for (const char* path : {"/fail", "/framing"}) {
    FakeRequestContext ctx;
    ctx.request().target = path;
    ASSERT_EQ(built->policy->on_request(ctx).kind(), RequestOutcome::Kind::kProceed);
    http::ResponseHead response;
    response.status = 200;
    response.reason = "OK";
    response.headers.add("ETag", "\"1\"");
    built->policy->on_response(ctx, response);
    EXPECT_EQ(response.status, 500) << path;
    EXPECT_EQ(response.reason, "Internal Server Error");
    EXPECT_EQ(header_or(response.headers, "X-Half"), "<none>") << path;
    EXPECT_EQ(header_or(response.headers, "ETag"), "\"1\"") << path;
  }
  // A 204 has no body to carry a 500's meaning; it stays, unedited.
  FakeRequestContext ctx;
  http::ResponseHead no_content;
  no_content.status = 204;
  built->policy->on_response(ctx, no_content);
  EXPECT_EQ(no_content.status, 204);
  EXPECT_EQ(header_or(no_content.headers, "X-Half"), "<none>");
  EXPECT_EQ(built->errors("response"), 3);
  EXPECT_EQ(built->errors("request"), 0);
}

TEST(LuaResponseTest, RequestEditsAreRefusedInTheResponsePhase) {
  auto built = build_source(R"(
function on_response(req, resp)
  local ok, err = pcall(function() req:set_header("X-Late", "1") end)
  resp:set_header("X-Late", ok and "accepted" or err)
  ok, err = pcall(function() req:respond(200) end)
  resp:set_header("X-Respond", ok and "accepted" or err)
  resp:set_header("X-Method", req.method)
end
)");
  FakeRequestContext ctx;
  ctx.request().method = "GET";
  http::ResponseHead response;
  built->policy->on_response(ctx, response);
  EXPECT_NE(header_or(response.headers, "X-Late").find("only available in on_request"), std::string::npos)
      << header_or(response.headers, "X-Late");
  EXPECT_NE(header_or(response.headers, "X-Respond").find("only available in on_request"), std::string::npos);
  EXPECT_EQ(header_or(response.headers, "X-Method"), "GET");
}

// --- the shipped examples ------------------------------------------------------

TEST(LuaExamplesTest, ClaimHeadersCopiesTheVerifiedIdentity) {
  auto built = build_lua("lua: { file: claim_headers.lua }\n", examples_dir());
  for (const config::Diagnostic& d : built->diagnostics.items()) ADD_FAILURE() << d.to_string();
  ASSERT_NE(built->policy, nullptr);

  FakeRequestContext ctx;
  ctx.request().headers.add("X-User-Id", "forged");
  publish_claims(ctx, R"({"sub": "alice", "org": {"id": 42}})");
  ASSERT_EQ(built->policy->on_request(ctx).kind(), RequestOutcome::Kind::kProceed);
  EXPECT_EQ(header_or(ctx.request().headers, "X-User-Id"), "alice");
  EXPECT_EQ(ctx.request().headers.count("X-User-Id"), 1u);
  EXPECT_EQ(header_or(ctx.request().headers, "X-User-Org"), "42");
  http::ResponseHead response;
  built->policy->on_response(ctx, response);
  EXPECT_EQ(header_or(response.headers, "X-Served-For"), "alice");

  FakeRequestContext anonymous;
  anonymous.request().headers.add("X-User-Id", "forged");
  ASSERT_EQ(built->policy->on_request(anonymous).kind(), RequestOutcome::Kind::kProceed);
  EXPECT_EQ(header_or(anonymous.request().headers, "X-User-Id"), "<none>");
}

TEST(LuaExamplesTest, DenyRoleRefusesByClaim) {
  auto built = build_lua("lua: { file: deny_role.lua }\n", examples_dir());
  ASSERT_NE(built->policy, nullptr);
  auto status_for = [&](std::optional<std::string_view> claims) {
    FakeRequestContext ctx;
    if (claims) publish_claims(ctx, *claims);
    RequestOutcome outcome = built->policy->on_request(ctx);
    return outcome.kind() == RequestOutcome::Kind::kRespond ? outcome.take_reply()->status : 0;
  };
  EXPECT_EQ(status_for(R"({"sub": "a", "role": "user"})"), 0);
  EXPECT_EQ(status_for(R"({"sub": "a", "role": ["user", "dev"]})"), 0);
  EXPECT_EQ(status_for(R"({"sub": "a", "role": "guest"})"), 403);
  EXPECT_EQ(status_for(R"({"sub": "a", "role": ["dev", "suspended"]})"), 403);
  EXPECT_EQ(status_for(std::nullopt), 401);
}

}  // namespace
}  // namespace gatehouse::policies::lua
