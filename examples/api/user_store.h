#pragma once
// Users and their refresh tokens in SQLite: the only code that writes SQL
// for the `users` and `refresh_tokens` tables.
//
// Contract: every method throws DatabaseError on a storage failure ("not
// found" is an empty optional or false). create() and update() throw a
// DatabaseError with is_constraint() when the email is taken (emails are
// unique, case-insensitively).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "examples/api/database.h"
#include "examples/api/pagination.h"

namespace gatehouse::api {

struct User {
  std::int64_t id = 0;
  std::string email;
  std::string username;
  std::string password_hash;
  std::string role = "user";
  std::int64_t created_at = 0;  // Unix ms
  std::int64_t updated_at = 0;  // Unix ms
};

struct UserPage {
  std::vector<User> users;
  std::int64_t total = 0;  // offset mode only
  bool has_more = false;   // cursor mode only
};

class UserStore {
 public:
  explicit UserStore(Database& db) : db_(db) {}

  User create(const std::string& email, const std::string& username, const std::string& password_hash);
  std::optional<User> find(std::int64_t id);
  std::optional<User> find_by_email(const std::string& email);
  // Writes email, username and role, bumps updated_at; nullopt when gone.
  std::optional<User> update(const User& user);
  bool remove(std::int64_t id);
  // Newest first (id descending), like posts, so the same page/cursor
  // parameters and meta apply.
  UserPage list(const PageRequest& request);

 private:
  Database& db_;
};

struct StoredRefreshToken {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::int64_t expires_at = 0;               // Unix ms
  std::optional<std::int64_t> revoked_at;    // Unix ms
};

class RefreshTokenStore {
 public:
  explicit RefreshTokenStore(Database& db) : db_(db) {}

  // Stores a token's hash; returns its row id.
  std::int64_t insert(std::int64_t user_id, const std::string& token_hash, std::int64_t expires_at);
  std::optional<StoredRefreshToken> find_by_hash(const std::string& token_hash);
  // Marks one unrevoked token revoked (replaced_by may be null). False when
  // it was already revoked or is gone.
  bool revoke(std::int64_t id, std::optional<std::int64_t> replaced_by);
  // Revokes every unrevoked token of the user (reuse detected).
  void revoke_all_for_user(std::int64_t user_id);

 private:
  Database& db_;
};

}  // namespace gatehouse::api
