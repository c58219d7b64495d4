#include "examples/api/json_body.h"

#include <boost/json/parse.hpp>

namespace gatehouse::api {

std::optional<boost::json::object> parse_json_object(const http::ServerRequest& request, std::string& error) {
  boost::system::error_code ec;
  // Defaults: strict JSON, UTF-8 validated, depth limited to 32, so a
  // hostile body cannot recurse deeply.
  boost::json::value value = boost::json::parse(request.body, ec);
  if (ec) {
    error = "malformed JSON body";
    return std::nullopt;
  }
  if (!value.is_object()) {
    error = "the JSON body must be an object";
    return std::nullopt;
  }
  return std::move(value.as_object());
}

}  // namespace gatehouse::api
