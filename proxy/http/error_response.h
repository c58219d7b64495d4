#pragma once
// Gatehouse's own error responses: a JSON body of the shape
//   {"error":{"code":"...","message":"...","request_id":"..."}}
// used for every response the gateway itself produces on failure.

#include <string>
#include <string_view>

namespace gatehouse::http {

std::string json_error_body(std::string_view code, std::string_view message,
                            std::string_view request_id);

// The error code the gateway uses for a status it produces ("not_found", ...).
std::string_view error_code_for_status(int status) noexcept;

}  // namespace gatehouse::http
