#include "examples/api/auth_handlers.h"

#include <exception>
#include <stdexcept>

#include <boost/json.hpp>

#include "examples/api/auth/access_token.h"
#include "examples/api/auth/jwks.h"
#include "examples/api/auth/password_async.h"
#include "examples/api/auth/refresh_token.h"
#include "examples/api/clock.h"
#include "examples/api/json_body.h"
#include "examples/api/json_response.h"
#include "examples/api/outbox_worker.h"
#include "examples/api/user_json.h"
#include "proxy/common/log.h"

namespace gatehouse::api {
namespace {

using http::Method;
using http::ServerResponse;

constexpr std::string_view kBadCredentials = "invalid email or password";
constexpr std::string_view kBadRefreshToken = "invalid or expired refresh token";

ServerResponse conflict() { return error_response(409, "CONFLICT", "that email is already registered"); }

ServerResponse refresh_refused() {
  ServerResponse r = error_response(401, kBadRefreshToken);
  r.headers.add("Set-Cookie", auth::expired_refresh_cookie());
  return r;
}

// Runs an async step's continuation: anything it throws is logged and
// answered 500 (the dispatcher's boundary no longer covers it).
template <typename F>
void guarded(const http::Respond& respond, std::string_view what, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    log_error(std::string("unhandled exception in ") + std::string(what) + ": " + e.what());
    respond(error_response(500, "internal error"));
  }
}

}  // namespace

void AuthHandlers::register_routes(Router& router) {
  router.add_async(Method::kPost, "/api/auth/register",
                   [this](const ApiRequest& r, http::Respond respond) { register_user(r, std::move(respond)); });
  router.add_async(Method::kPost, "/api/auth/login",
                   [this](const ApiRequest& r, http::Respond respond) { login(r, std::move(respond)); });
  router.add(Method::kPost, "/api/auth/refresh", [this](const ApiRequest& r) { return refresh(r); });
  router.add(Method::kPost, "/api/auth/logout", [this](const ApiRequest& r) { return logout(r); });
  router.add(Method::kGet, "/.well-known/jwks.json", [this](const ApiRequest&) { return jwks(); });
}

void AuthHandlers::register_user(const ApiRequest& request, http::Respond respond) {
  std::string error;
  std::optional<boost::json::object> json = parse_json_object(request.raw, error);
  if (!json) return respond(error_response(400, error));
  std::vector<FieldError> errors;
  std::optional<std::string> email = string_field(*json, "email", errors);
  std::optional<std::string> username = string_field(*json, "username", errors);
  std::optional<std::string> password = string_field(*json, "password", errors);
  if (email) check_email(*email, errors);
  else if (!json->contains("email")) errors.push_back({"email", "is required"});
  if (username) check_username(*username, errors);
  else if (!json->contains("username")) errors.push_back({"username", "is required"});
  if (password) check_password(*password, errors);
  else if (!json->contains("password")) errors.push_back({"password", "is required"});
  if (!errors.empty()) return respond(validation_error(errors));
  // Answered before hashing so a duplicate costs no bcrypt; the UNIQUE
  // constraint still decides a race between two registrations.
  if (users_.find_by_email(*email)) return respond(conflict());
  auth::hash_password_async(
      pool_, io_.get_executor(), std::move(*password),
      [this, email = std::move(*email), username = std::move(*username),
       respond](std::optional<std::string> hash) {
        guarded(respond, "POST /api/auth/register", [&] {
          if (!hash) throw std::runtime_error("password hashing failed");
          User user;
          try {
            // The welcome email is queued with the user or not at all.
            Transaction tx(db_);
            user = users_.create(email, username, *hash);
            boost::json::object payload{{"userId", user.id}, {"email", user.email}, {"username", user.username}};
            enqueue_outbox_job(db_, "welcome_email", boost::json::serialize(payload));
            tx.commit();
          } catch (const DatabaseError& e) {
            if (!e.is_constraint()) throw;
            return respond(conflict());
          }
          ServerResponse r = json_response(201, user_json(user));
          r.headers.set("Location", "/api/users/" + std::to_string(user.id));
          respond(std::move(r));
        });
      },
      settings_.bcrypt_cost);
}

void AuthHandlers::login(const ApiRequest& request, http::Respond respond) {
  std::string error;
  std::optional<boost::json::object> json = parse_json_object(request.raw, error);
  if (!json) return respond(error_response(400, error));
  std::vector<FieldError> errors;
  std::optional<std::string> email = string_field(*json, "email", errors);
  std::optional<std::string> password = string_field(*json, "password", errors);
  if (!email && !json->contains("email")) errors.push_back({"email", "is required"});
  if (!password && !json->contains("password")) errors.push_back({"password", "is required"});
  if (!errors.empty()) return respond(validation_error(errors));
  std::optional<User> user = users_.find_by_email(*email);
  // An unknown email still costs one bcrypt verification, so timing does
  // not tell which emails are registered.
  std::string hash = user ? user->password_hash : std::string(auth::dummy_password_hash());
  auth::verify_password_async(pool_, io_.get_executor(), std::move(*password), std::move(hash),
                              [this, user = std::move(user), respond](bool matches) {
                                guarded(respond, "POST /api/auth/login", [&] {
                                  if (!user || !matches) return respond(error_response(401, kBadCredentials));
                                  respond(issue_session(*user, std::nullopt));
                                });
                              });
}

ServerResponse AuthHandlers::refresh(const ApiRequest& request) {
  std::optional<std::string_view> cookie = auth::find_cookie(request.headers(), auth::kRefreshCookieName);
  if (!cookie || !auth::is_well_formed_refresh_token(*cookie)) return refresh_refused();
  std::optional<StoredRefreshToken> stored = tokens_.find_by_hash(auth::refresh_token_storage_hash(*cookie));
  if (!stored) return refresh_refused();
  if (stored->revoked_at) {
    // A rotated or revoked token came back: it may have been stolen, so
    // every session of that user ends.
    log_info("refresh token reuse for user " + std::to_string(stored->user_id) + "; revoking all its tokens");
    tokens_.revoke_all_for_user(stored->user_id);
    return refresh_refused();
  }
  if (stored->expires_at <= now_millis()) return refresh_refused();
  std::optional<User> user = users_.find(stored->user_id);
  if (!user) return refresh_refused();
  return issue_session(*user, stored->id);
}

ServerResponse AuthHandlers::logout(const ApiRequest& request) {
  std::optional<std::string_view> cookie = auth::find_cookie(request.headers(), auth::kRefreshCookieName);
  if (cookie && auth::is_well_formed_refresh_token(*cookie)) {
    std::optional<StoredRefreshToken> stored = tokens_.find_by_hash(auth::refresh_token_storage_hash(*cookie));
    if (stored) tokens_.revoke(stored->id, std::nullopt);
  }
  ServerResponse r = empty_response(204);
  r.headers.add("Set-Cookie", auth::expired_refresh_cookie());
  return r;
}

ServerResponse AuthHandlers::jwks() const {
  ServerResponse r;
  r.status = 200;
  r.headers.add("Content-Type", "application/json");
  r.headers.add("Cache-Control", "public, max-age=300");
  r.body = auth::jwks_json(signer_);
  return r;
}

ServerResponse AuthHandlers::issue_session(const User& user, std::optional<std::int64_t> rotate_from) {
  const auth::TokenSettings& ts = settings_.tokens;
  std::optional<std::string> access =
      signer_.sign(auth::access_token_claims(user.id, user.role, ts, std::chrono::system_clock::now()));
  std::optional<auth::RefreshToken> refresh = auth::generate_refresh_token();
  if (!access || !refresh) throw std::runtime_error("token generation failed");
  const std::int64_t expires_at =
      now_millis() + std::chrono::duration_cast<std::chrono::milliseconds>(ts.refresh_ttl).count();
  {
    Transaction tx(db_);
    std::int64_t id = tokens_.insert(user.id, refresh->storage_hash, expires_at);
    // Two requests racing with the same token: only one rotates it.
    if (rotate_from && !tokens_.revoke(*rotate_from, id)) return refresh_refused();  // rolls back
    tx.commit();
  }
  ServerResponse r = json_response(200, boost::json::object{{"accessToken", *access},
                                                            {"tokenType", "Bearer"},
                                                            {"expiresIn", ts.access_ttl.count()}});
  r.headers.add("Set-Cookie", auth::refresh_cookie(refresh->value, ts.refresh_ttl));
  r.headers.add("Cache-Control", "no-store");
  return r;
}

}  // namespace gatehouse::api
