// Unit tests for the sample API's SQLite layer: statements, transactions,
// migrations and the post store, on in-memory databases.

#include "examples/api/post_store.h"

#include <gtest/gtest.h>

#include "examples/api/database.h"
#include "examples/api/migrations.h"

namespace gatehouse::api {
namespace {

class ApiStorageTest : public ::testing::Test {
 protected:
  ApiStorageTest() : db_(":memory:") { migrate(db_, schema_migrations()); }

  std::int64_t add_user(std::string email) {
    db_.prepare("INSERT INTO users (email, username, password_hash, created_at, updated_at) VALUES (?, 'u', 'x', 0, 0)")
        .bind(1, email)
        .run();
    return db_.last_insert_id();
  }

  Database db_;
};

TEST_F(ApiStorageTest, MigrationsApplyOnce) {
  EXPECT_EQ(migrate(db_, schema_migrations()), 0);
  Statement s = db_.prepare("SELECT version FROM schema_migrations");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.int64(0), 1);
  EXPECT_FALSE(s.step());
}

TEST_F(ApiStorageTest, FailedMigrationLeavesNothingBehind) {
  Database db(":memory:");
  constexpr Migration kBroken[] = {{1, "CREATE TABLE a (x INTEGER);"}, {2, "CREATE TABLE oops ("}};
  EXPECT_THROW(migrate(db, kBroken), DatabaseError);
  Statement s = db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'a'");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.int64(0), 0);
}

TEST_F(ApiStorageTest, BoundTextIsData) {
  std::string hostile = "x'); DROP TABLE users; --";
  std::int64_t id = add_user(hostile);
  Statement s = db_.prepare("SELECT email FROM users WHERE id = ?");
  s.bind(1, id);
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.text(0), hostile);
}

TEST_F(ApiStorageTest, ConstraintsAreEnforced) {
  add_user("a@example.com");
  try {
    add_user("A@EXAMPLE.COM");  // emails are unique regardless of case
    FAIL() << "expected a constraint error";
  } catch (const DatabaseError& e) {
    EXPECT_TRUE(e.is_constraint());
  }
  PostStore posts(db_);
  EXPECT_THROW(posts.create(999, "t", "b"), DatabaseError);  // foreign key
}

TEST_F(ApiStorageTest, TransactionRollsBackWithoutCommit) {
  {
    Transaction tx(db_);
    add_user("gone@example.com");
  }
  Statement s = db_.prepare("SELECT COUNT(*) FROM users");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.int64(0), 0);
}

TEST_F(ApiStorageTest, PostLifecycle) {
  std::int64_t author = add_user("a@example.com");
  PostStore posts(db_);
  Post created = posts.create(author, "title", "body");
  EXPECT_EQ(created.version, 1);
  std::optional<Post> found = posts.find(created.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->title, "title");
  std::optional<Post> updated = posts.update(created.id, "t2", "b2");
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->title, "t2");
  EXPECT_GE(updated->updated_at, created.updated_at);
  EXPECT_TRUE(posts.remove(created.id));
  EXPECT_FALSE(posts.remove(created.id));
  EXPECT_FALSE(posts.find(created.id));
  EXPECT_FALSE(posts.update(created.id, "t", "b"));
  EXPECT_GT(posts.create(author, "t", "b").id, created.id);  // ids are never reused
}

TEST_F(ApiStorageTest, ListsNewestFirstInBothModes) {
  std::int64_t a = add_user("a@example.com");
  std::int64_t b = add_user("b@example.com");
  PostStore posts(db_);
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(posts.create(i % 2 ? b : a, "t", "b").id);

  PageRequest offset;
  offset.limit = 2;
  offset.page = 2;
  PostPage page = posts.list(offset, std::nullopt);
  EXPECT_EQ(page.total, 5);
  ASSERT_EQ(page.posts.size(), 2u);
  EXPECT_EQ(page.posts[0].id, ids[2]);
  EXPECT_EQ(page.posts[1].id, ids[1]);

  PageRequest cursor;
  cursor.mode = PageRequest::Mode::kCursor;
  cursor.limit = 2;
  cursor.before_id = ids[4];
  page = posts.list(cursor, a);  // a wrote ids 0, 2, 4
  ASSERT_EQ(page.posts.size(), 2u);
  EXPECT_EQ(page.posts[0].id, ids[2]);
  EXPECT_EQ(page.posts[1].id, ids[0]);
  EXPECT_FALSE(page.has_more);
}

}  // namespace
}  // namespace gatehouse::api
