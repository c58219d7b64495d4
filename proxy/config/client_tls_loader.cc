#include "proxy/config/client_tls_loader.h"

#include <optional>
#include <string>
#include <utility>

namespace gatehouse::config {
namespace {

// The key whose file `error` is about (messages start with the path), so the
// location points at the line to fix; else the block itself.
ConfigNode file_node(const ConfigNode& node, const tls::ClientTlsSettings& s, const std::string& error) {
  for (auto [key, path] : {std::pair{"ca_file", &s.ca_file}, std::pair{"cert_file", &s.cert_file},
                           std::pair{"key_file", &s.key_file}}) {
    if (!path->empty() && error.starts_with(*path) && node[key].defined()) return node[key];
  }
  return node;
}

}  // namespace

std::shared_ptr<const tls::ClientTlsContext> load_client_tls(const ConfigNode& node, std::string_view alpn) {
  tls::ClientTlsSettings s;
  s.alpn = std::string(alpn);
  if (node.is_map()) {
    // Every problem is reported before giving up, so one load lists them all.
    bool ok = node.expect_keys({"ca_file", "verify", "server_name", "cert_file", "key_file"});
    auto read = [&](std::string_view key, auto parse, auto& field) {
      if (!node[key].defined()) return;
      auto value = parse(node[key]);
      if (value) field = *value;
      else ok = false;
    };
    read("ca_file", [](const ConfigNode& n) { return n.as_path(); }, s.ca_file);
    read("verify", [](const ConfigNode& n) { return n.as_bool(); }, s.verify);
    read("server_name", [](const ConfigNode& n) { return n.as_string(); }, s.server_name);
    if (node["cert_file"].defined() != node["key_file"].defined()) {
      node.error("`cert_file` and `key_file` go together");
      ok = false;
    }
    read("cert_file", [](const ConfigNode& n) { return n.as_path(); }, s.cert_file);
    read("key_file", [](const ConfigNode& n) { return n.as_path(); }, s.key_file);
    if (!ok) return nullptr;
  }
  std::string error;
  std::shared_ptr<const tls::ClientTlsContext> context = tls::ClientTlsContext::create(s, error);
  if (!context) file_node(node, s, error).error(error);
  return context;
}

}  // namespace gatehouse::config
