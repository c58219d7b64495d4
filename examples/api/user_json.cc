#include "examples/api/user_json.h"

#include "examples/api/clock.h"

namespace gatehouse::api {

boost::json::object user_json(const User& user) {
  return boost::json::object{{"id", user.id},
                             {"email", user.email},
                             {"username", user.username},
                             {"role", user.role},
                             {"createdAt", rfc3339_millis(user.created_at)},
                             {"updatedAt", rfc3339_millis(user.updated_at)}};
}

void check_email(std::string_view email, std::vector<FieldError>& errors) {
  auto fail = [&] { errors.push_back({"email", "must be a valid email address"}); };
  if (email.empty() || email.size() > 254) return fail();
  for (char c : email) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return fail();
  }
  std::size_t at = email.find('@');
  if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos) return fail();
  std::string_view domain = email.substr(at + 1);
  std::size_t dot = domain.find('.');
  if (domain.empty() || dot == std::string_view::npos || dot == 0 || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos) {
    return fail();
  }
}

void check_username(std::string_view username, std::vector<FieldError>& errors) {
  bool ok = username.size() >= 3 && username.size() <= 30;
  for (char c : username) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) ok = false;
  }
  if (!ok) errors.push_back({"username", "must be 3 to 30 letters, digits or underscores"});
}

void check_password(std::string_view password, std::vector<FieldError>& errors) {
  if (password.size() < 8 || password.size() > 128 || password.find('\0') != std::string_view::npos) {
    errors.push_back({"password", "must be 8 to 128 characters"});
  }
}

std::optional<std::string> string_field(const boost::json::object& json, std::string_view name,
                                        std::vector<FieldError>& errors) {
  const boost::json::value* v = json.if_contains(name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    errors.push_back({std::string(name), "must be a string"});
    return std::nullopt;
  }
  return std::string(v->get_string());
}

}  // namespace gatehouse::api
