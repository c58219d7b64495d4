#include "policies/headers/headers_policy.h"

#include <algorithm>

namespace gatehouse::policies::headers {
namespace {

// Remove first so that `remove` never undoes this block's own set/add; one
// pass over the fields whatever the number of names to remove.
void apply(const HeaderEdits& edits, http::HeaderMap& headers) {
  if (!edits.remove.empty()) {
    headers.remove_if([&](const http::Header& field) {
      return std::any_of(edits.remove.begin(), edits.remove.end(),
                         [&](const std::string& name) { return http::iequals(field.name, name); });
    });
  }
  for (const http::Header& field : edits.set) headers.set(field.name, field.value);
  for (const http::Header& field : edits.add) headers.add(field.name, field.value);
}

}  // namespace

policy::RequestOutcome HeadersPolicy::on_request(policy::RequestContext& ctx) const {
  apply(config_.request, ctx.request().headers);
  return policy::RequestOutcome::proceed();
}

void HeadersPolicy::on_response(policy::RequestContext& /*ctx*/, http::ResponseHead& response) const {
  apply(config_.response, response.headers);
}

std::unique_ptr<const policy::Policy> create_headers_policy(const config::ConfigNode& options,
                                                            const policy::PolicyBuildContext&) {
  std::optional<HeadersConfig> config = parse_headers_config(options);
  if (!config) return nullptr;
  return std::make_unique<const HeadersPolicy>(std::move(*config));
}

}  // namespace gatehouse::policies::headers
