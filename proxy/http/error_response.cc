#include "proxy/http/error_response.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace gatehouse::http {

std::string json_error_body(std::string_view code, std::string_view message,
                            std::string_view request_id) {
  boost::json::object error;
  error["code"] = code;
  error["message"] = message;
  error["request_id"] = request_id;
  boost::json::object body;
  body["error"] = std::move(error);
  return boost::json::serialize(body);
}

std::string_view error_code_for_status(int status) noexcept {
  switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 408: return "request_timeout";
    case 413: return "content_too_large";
    case 414: return "uri_too_long";
    case 417: return "expectation_failed";
    case 429: return "too_many_requests";
    case 431: return "header_fields_too_large";
    case 500: return "internal_error";
    case 501: return "not_implemented";
    case 502: return "bad_gateway";
    case 503: return "service_unavailable";
    case 504: return "gateway_timeout";
    case 505: return "http_version_not_supported";
  }
  return status >= 500 ? "internal_error" : "bad_request";
}

}  // namespace gatehouse::http
