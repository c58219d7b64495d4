// The top-level `access_log` section: where lines go and what they hold.
// Every field name and template variable is checked here, so a line never
// meets a name it does not know while serving.

#include <set>

#include "proxy/config/loader_sections.h"

namespace gatehouse::config::detail {
namespace {

constexpr std::string_view kDefaultFieldsItem = "default";

std::vector<access_log::FieldSpec> load_fields(const ConfigNode& node) {
  if (!node.defined()) return access_log::default_json_fields();
  std::vector<access_log::FieldSpec> fields;
  if (!node.expect_sequence()) return fields;
  if (node.size() == 0) {
    node.error("must list at least one field (leave `fields` out for the default set)");
    return fields;
  }
  std::set<std::string> seen;
  const auto add = [&](access_log::FieldSpec spec, const ConfigNode& item, bool from_default) {
    if (!seen.insert(spec.name).second) {
      item.error("field `" + spec.name + "` is listed twice" +
                 (from_default ? std::string(" (`default` includes it)") : std::string()));
      return;
    }
    fields.push_back(std::move(spec));
  };
  for (std::size_t i = 0; i < node.size(); ++i) {
    const ConfigNode item = node.at(i);
    std::optional<std::string> text = item.as_string();
    if (!text) continue;
    if (*text == kDefaultFieldsItem) {
      for (access_log::FieldSpec& spec : access_log::default_json_fields()) add(std::move(spec), item, true);
      continue;
    }
    std::string error;
    std::optional<access_log::FieldSpec> spec = access_log::parse_field(*text, error);
    if (!spec) {
      item.error(error);
      continue;
    }
    add(std::move(*spec), item, false);
  }
  return fields;
}

}  // namespace

access_log::AccessLogConfig load_access_log(const ConfigNode& node, policy::PolicyServices& services) {
  access_log::AccessLogConfig out;
  if (!node.defined() || !node.expect_map()) return out;
  node.expect_keys({"path", "format", "fields", "template", "buffer_size"});
  out.enabled = true;

  const ConfigNode path = require(node, "path");
  if (std::optional<std::string> p = path.as_string()) {
    if (*p == access_log::AccessLogWriter::kStdout) {
      out.path = *p;
    } else if (std::optional<std::string> file = path.as_path()) {
      out.path = std::move(*file);
    }
  }

  const ConfigNode format = node["format"];
  const ConfigNode fields = node["fields"];
  const ConfigNode text_template = node["template"];
  std::string kind = "json";
  if (std::optional<std::string> f = format.as_string()) {
    if (*f == "json" || *f == "text") {
      kind = *f;
    } else {
      format.error("expected `json` or `text`, got `" + *f + "`");
    }
  }
  if (kind == "json") {
    out.format.kind = access_log::AccessLogFormat::Kind::kJson;
    if (text_template.defined())
      text_template.error("`template` is for `format: text`; a JSON line lists its `fields`");
    out.format.json_fields = load_fields(fields);
  } else {
    out.format.kind = access_log::AccessLogFormat::Kind::kText;
    if (fields.defined()) fields.error("`fields` is for `format: json`; a text line is its `template`");
    std::string text(access_log::kDefaultTextTemplate);
    if (text_template.defined()) {
      std::optional<std::string> t = text_template.as_string();
      text = t.value_or(std::string());
      if (t && t->empty()) text_template.error("must not be empty (leave it out for the default)");
    }
    std::string error;
    if (std::optional<std::vector<access_log::TextSegment>> compiled = access_log::compile_template(text, error)) {
      out.format.text = std::move(*compiled);
    } else if (text_template.defined()) {
      text_template.error(error);
    }
  }

  out.buffer_size = node.size_or("buffer_size", out.buffer_size, 64 * kKiB, kGiB);
  out.writer = &services.shared<access_log::AccessLogWriter>();
  return out;
}

}  // namespace gatehouse::config::detail
