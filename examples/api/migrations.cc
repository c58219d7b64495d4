#include "examples/api/migrations.h"

#include <string>

#include "examples/api/clock.h"

namespace gatehouse::api {
namespace {

constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE users (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  username      TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL DEFAULT 'user',
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE TABLE posts (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  author_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  title      TEXT NOT NULL,
  body       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  version    INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX posts_author_id ON posts(author_id, id);
CREATE TABLE refresh_tokens (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash  TEXT NOT NULL UNIQUE,
  expires_at  INTEGER NOT NULL,
  revoked_at  INTEGER,
  replaced_by INTEGER REFERENCES refresh_tokens(id)
);
CREATE INDEX refresh_tokens_user_id ON refresh_tokens(user_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens(expires_at);
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  kind            TEXT NOT NULL,
  payload         TEXT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  state           TEXT NOT NULL DEFAULT 'pending',
  last_error      TEXT,
  created_at      INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
)sql"},
};

}  // namespace

std::span<const Migration> schema_migrations() { return kMigrations; }

int migrate(Database& db, std::span<const Migration> migrations) {
  db.exec_script(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
  Transaction tx(db);
  std::int64_t current = 0;
  {
    Statement q = db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (q.step()) current = q.int64(0);
  }
  int applied = 0;
  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    db.exec_script(std::string(m.sql));
    db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)")
        .bind(1, std::int64_t{m.version})
        .bind(2, now_millis())
        .run();
    ++applied;
  }
  tx.commit();
  return applied;
}

}  // namespace gatehouse::api
