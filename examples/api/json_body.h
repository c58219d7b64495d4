#pragma once
// Reading a request's JSON object body.

#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "proxy/server/buffered_http_server.h"

namespace gatehouse::api {

// Parses the body as one JSON object. On failure returns nullopt and sets
// `error` to a message for a 400 (malformed JSON, or JSON that is not an
// object). Never throws.
std::optional<boost::json::object> parse_json_object(const http::ServerRequest& request, std::string& error);

}  // namespace gatehouse::api
