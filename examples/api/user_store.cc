#include "examples/api/user_store.h"

#include "examples/api/clock.h"

namespace gatehouse::api {
namespace {

constexpr std::string_view kColumns = "id, email, username, password_hash, role, created_at, updated_at";

User read_user(const Statement& s) {
  return User{s.int64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.int64(5), s.int64(6)};
}

}  // namespace

User UserStore::create(const std::string& email, const std::string& username, const std::string& password_hash) {
  std::int64_t now = now_millis();
  db_.prepare("INSERT INTO users (email, username, password_hash, role, created_at, updated_at)"
              " VALUES (?, ?, ?, 'user', ?, ?)")
      .bind(1, email)
      .bind(2, username)
      .bind(3, password_hash)
      .bind(4, now)
      .bind(5, now)
      .run();
  return User{db_.last_insert_id(), email, username, password_hash, "user", now, now};
}

std::optional<User> UserStore::find(std::int64_t id) {
  Statement s = db_.prepare("SELECT " + std::string(kColumns) + " FROM users WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_user(s);
}

std::optional<User> UserStore::find_by_email(const std::string& email) {
  Statement s = db_.prepare("SELECT " + std::string(kColumns) + " FROM users WHERE email = ?");
  s.bind(1, email);
  if (!s.step()) return std::nullopt;
  return read_user(s);
}

std::optional<User> UserStore::update(const User& user) {
  Statement s = db_.prepare("UPDATE users SET email = ?, username = ?, role = ?, updated_at = ? WHERE id = ? "
                            "RETURNING " + std::string(kColumns));
  s.bind(1, user.email).bind(2, user.username).bind(3, user.role).bind(4, now_millis()).bind(5, user.id);
  if (!s.step()) return std::nullopt;
  User updated = read_user(s);
  s.run();  // finish the statement so the write completes
  return updated;
}

bool UserStore::remove(std::int64_t id) {
  db_.prepare("DELETE FROM users WHERE id = ?").bind(1, id).run();
  return db_.changes() > 0;
}

UserPage UserStore::list(const PageRequest& request) {
  UserPage page;
  std::string select = "SELECT " + std::string(kColumns) + " FROM users WHERE (?1 IS NULL OR id < ?1)";
  if (request.mode == PageRequest::Mode::kOffset) {
    Transaction snapshot(db_, Transaction::Kind::kRead);  // total and rows from one snapshot
    {
      Statement count = db_.prepare("SELECT COUNT(*) FROM users");
      if (count.step()) page.total = count.int64(0);
      Statement s = db_.prepare(select + " ORDER BY id DESC LIMIT ?2 OFFSET ?3");
      s.bind(1, std::nullopt).bind(2, request.limit).bind(3, request.offset());
      while (s.step()) page.users.push_back(read_user(s));
    }  // statements finished before the snapshot ends
    snapshot.commit();
  } else {
    Statement s = db_.prepare(select + " ORDER BY id DESC LIMIT ?2");
    s.bind(1, request.before_id).bind(2, request.limit + 1);
    while (s.step()) page.users.push_back(read_user(s));
    if (static_cast<std::int64_t>(page.users.size()) > request.limit) {
      page.has_more = true;
      page.users.pop_back();
    }
  }
  return page;
}

std::int64_t RefreshTokenStore::insert(std::int64_t user_id, const std::string& token_hash,
                                       std::int64_t expires_at) {
  db_.prepare("INSERT INTO refresh_tokens (user_id, token_hash, expires_at) VALUES (?, ?, ?)")
      .bind(1, user_id)
      .bind(2, token_hash)
      .bind(3, expires_at)
      .run();
  return db_.last_insert_id();
}

std::optional<StoredRefreshToken> RefreshTokenStore::find_by_hash(const std::string& token_hash) {
  Statement s = db_.prepare("SELECT id, user_id, expires_at, revoked_at FROM refresh_tokens WHERE token_hash = ?");
  s.bind(1, token_hash);
  if (!s.step()) return std::nullopt;
  return StoredRefreshToken{s.int64(0), s.int64(1), s.int64(2), s.optional_int64(3)};
}

bool RefreshTokenStore::revoke(std::int64_t id, std::optional<std::int64_t> replaced_by) {
  db_.prepare("UPDATE refresh_tokens SET revoked_at = ?, replaced_by = ? WHERE id = ? AND revoked_at IS NULL")
      .bind(1, now_millis())
      .bind(2, replaced_by)
      .bind(3, id)
      .run();
  return db_.changes() > 0;
}

void RefreshTokenStore::revoke_all_for_user(std::int64_t user_id) {
  db_.prepare("UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL")
      .bind(1, now_millis())
      .bind(2, user_id)
      .run();
}

}  // namespace gatehouse::api
