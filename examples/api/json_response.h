#pragma once
// The API's response shapes: JSON bodies and the error envelope
//   {"error":{"code":"...","message":"...","details":[{"field","message"}]}}
// (`details` only on validation errors). Codes are the gateway's names for
// the status in upper case (NOT_FOUND, METHOD_NOT_ALLOWED, ...), except
// validation failures, which are 422 VALIDATION.
//
// Note: errors the shared HTTP codec produces before a handler runs (400 for
// an unparseable request, 413 for a body over the limit, 408) keep the
// gateway's own shape from proxy/http/error_response.h.

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "proxy/server/buffered_http_server.h"

namespace gatehouse::api {

struct FieldError {
  std::string field;
  std::string message;
};

// A 2xx (or any) response with a JSON body and Content-Type.
http::ServerResponse json_response(int status, const boost::json::value& body);

// A response without a body (204, 304).
http::ServerResponse empty_response(int status);

// The error envelope with the status's code.
http::ServerResponse error_response(int status, std::string_view message);

// The error envelope with an explicit code, for statuses the shared table
// has no name for (412 PRECONDITION_FAILED).
http::ServerResponse error_response(int status, std::string_view code, std::string_view message);

// 401 for a request without a valid access token.
http::ServerResponse authentication_required();

// 422 VALIDATION with one entry per failing field.
http::ServerResponse validation_error(const std::vector<FieldError>& details,
                                      std::string_view message = "request validation failed");

}  // namespace gatehouse::api
