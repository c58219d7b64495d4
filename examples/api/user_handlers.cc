#include "examples/api/user_handlers.h"

#include <charconv>

#include <boost/json/array.hpp>

#include "examples/api/json_body.h"
#include "examples/api/json_response.h"
#include "examples/api/user_json.h"

namespace gatehouse::api {
namespace {

using http::Method;
using http::ServerResponse;

ServerResponse no_such_user() { return error_response(404, "no such user"); }

}  // namespace

void UserHandlers::register_routes(Router& router) {
  router.add(Method::kGet, "/api/users", [this](const ApiRequest& r) { return list(r); });
  router.add(Method::kGet, "/api/users/:id", [this](const ApiRequest& r) { return get(r); });
  router.add(Method::kPatch, "/api/users/:id", [this](const ApiRequest& r) { return patch(r); });
  router.add(Method::kDelete, "/api/users/:id", [this](const ApiRequest& r) { return remove(r); });
}

ServerResponse UserHandlers::list(const ApiRequest& request) {
  std::optional<Caller> caller = identity_.current_user(request.raw);
  if (!caller) return authentication_required();
  if (!caller->is_admin()) return error_response(403, "only an admin may list users");
  std::vector<FieldError> errors;
  std::optional<PageRequest> page_request = parse_page_request(request.query, errors);
  if (!page_request) return validation_error(errors, "invalid pagination parameters");
  UserPage page = store_.list(*page_request);
  boost::json::array data;
  for (const User& user : page.users) data.push_back(user_json(user));
  boost::json::object meta;
  if (page_request->mode == PageRequest::Mode::kOffset) {
    meta = offset_meta(*page_request, page.total);
  } else {
    std::optional<std::int64_t> last;
    if (!page.users.empty()) last = page.users.back().id;
    meta = cursor_meta(page.has_more, last);
  }
  return json_response(200, boost::json::object{{"data", std::move(data)}, {"meta", std::move(meta)}});
}

ServerResponse UserHandlers::get(const ApiRequest& request) {
  if (!identity_.current_user(request.raw)) return authentication_required();
  std::optional<std::int64_t> id = request.id_param("id");
  if (!id) return no_such_user();
  std::optional<User> user = store_.find(*id);
  if (!user) return no_such_user();
  return json_response(200, user_json(*user));
}

ServerResponse UserHandlers::patch(const ApiRequest& request) {
  std::optional<Caller> caller = identity_.current_user(request.raw);
  if (!caller) return authentication_required();
  std::optional<std::int64_t> id = request.id_param("id");
  if (!id) return no_such_user();
  std::optional<User> user = store_.find(*id);
  if (!user) return no_such_user();
  if (user->id != caller->user_id && !caller->is_admin()) {
    return error_response(403, "only the user or an admin may change this user");
  }
  std::string error;
  std::optional<boost::json::object> json = parse_json_object(request.raw, error);
  if (!json) return error_response(400, error);
  if (json->contains("role") && !caller->is_admin()) return error_response(403, "only an admin may change roles");
  std::vector<FieldError> errors;
  std::optional<std::string> email = string_field(*json, "email", errors);
  std::optional<std::string> username = string_field(*json, "username", errors);
  std::optional<std::string> role = string_field(*json, "role", errors);
  if (email) check_email(*email, errors);
  if (username) check_username(*username, errors);
  if (role && *role != "user" && *role != "admin") errors.push_back({"role", "must be \"user\" or \"admin\""});
  if (errors.empty() && !json->contains("email") && !json->contains("username") && !json->contains("role")) {
    errors.push_back({"", "give at least one of email, username, role"});
  }
  if (!errors.empty()) return validation_error(errors);
  if (email) user->email = *email;
  if (username) user->username = *username;
  if (role) user->role = *role;
  std::optional<User> updated;
  try {
    updated = store_.update(*user);
  } catch (const DatabaseError& e) {
    if (!e.is_constraint()) throw;
    return error_response(409, "CONFLICT", "that email is already registered");
  }
  if (!updated) return no_such_user();  // deleted meanwhile
  return json_response(200, user_json(*updated));
}

ServerResponse UserHandlers::remove(const ApiRequest& request) {
  std::optional<Caller> caller = identity_.current_user(request.raw);
  if (!caller) return authentication_required();
  if (!caller->is_admin()) return error_response(403, "only an admin may delete users");
  std::optional<std::int64_t> id = request.id_param("id");
  if (!id || !store_.remove(*id)) return no_such_user();
  return empty_response(204);
}

}  // namespace gatehouse::api
