#pragma once
// A user's JSON form and the validation of the fields clients send.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "examples/api/json_response.h"
#include "examples/api/user_store.h"

namespace gatehouse::api {

// {"id","email","username","role","createdAt","updatedAt"}: never the hash.
boost::json::object user_json(const User& user);

// Field rules (each appends a FieldError on failure):
// email: at most 254 characters, one '@' with a non-empty local part and a
// dotted domain, no spaces or control characters.
void check_email(std::string_view email, std::vector<FieldError>& errors);
// username: 3 to 30 of [A-Za-z0-9_].
void check_username(std::string_view username, std::vector<FieldError>& errors);
// password: 8 to 128 bytes, no NUL byte.
void check_password(std::string_view password, std::vector<FieldError>& errors);

// The string field `name` of `json`: nullopt when absent; when present but
// not a string, a FieldError is appended and nullopt returned.
std::optional<std::string> string_field(const boost::json::object& json, std::string_view name,
                                        std::vector<FieldError>& errors);

}  // namespace gatehouse::api
