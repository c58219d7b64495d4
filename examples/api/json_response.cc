#include "examples/api/json_response.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "proxy/http/error_response.h"

namespace gatehouse::api {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

http::ServerResponse envelope(int status, std::string_view code, std::string_view message,
                              const std::vector<FieldError>* details) {
  boost::json::object error;
  error["code"] = code;
  error["message"] = message;
  if (details) {
    boost::json::array list;
    for (const FieldError& d : *details) {
      list.push_back(boost::json::object{{"field", d.field}, {"message", d.message}});
    }
    error["details"] = std::move(list);
  }
  return json_response(status, boost::json::object{{"error", std::move(error)}});
}

}  // namespace

http::ServerResponse json_response(int status, const boost::json::value& body) {
  http::ServerResponse r;
  r.status = status;
  r.headers.add("Content-Type", "application/json");
  r.body = boost::json::serialize(body);
  return r;
}

http::ServerResponse empty_response(int status) {
  http::ServerResponse r;
  r.status = status;
  return r;
}

http::ServerResponse error_response(int status, std::string_view message) {
  return envelope(status, upper(http::error_code_for_status(status)), message, nullptr);
}

http::ServerResponse error_response(int status, std::string_view code, std::string_view message) {
  return envelope(status, code, message, nullptr);
}

http::ServerResponse validation_error(const std::vector<FieldError>& details, std::string_view message) {
  return envelope(422, "VALIDATION", message, &details);
}

http::ServerResponse authentication_required() { return error_response(401, "authentication required"); }

}  // namespace gatehouse::api
