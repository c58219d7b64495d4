#include "examples/api/post_store.h"

#include "examples/api/clock.h"

namespace gatehouse::api {
namespace {

constexpr std::string_view kColumns = "id, author_id, title, body, created_at, updated_at, version";

Post read_post(const Statement& s) {
  return Post{s.int64(0), s.int64(1), s.text(2), s.text(3), s.int64(4), s.int64(5), s.int64(6)};
}

}  // namespace

bool PostStore::user_exists(std::int64_t user_id) {
  Statement s = db_.prepare("SELECT 1 FROM users WHERE id = ?");
  s.bind(1, user_id);
  return s.step();
}

Post PostStore::create(std::int64_t author_id, const std::string& title, const std::string& body) {
  std::int64_t now = now_millis();
  db_.prepare("INSERT INTO posts (author_id, title, body, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, 1)")
      .bind(1, author_id)
      .bind(2, title)
      .bind(3, body)
      .bind(4, now)
      .bind(5, now)
      .run();
  return Post{db_.last_insert_id(), author_id, title, body, now, now, 1};
}

std::optional<Post> PostStore::find(std::int64_t id) {
  Statement s = db_.prepare("SELECT " + std::string(kColumns) + " FROM posts WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_post(s);
}

std::optional<Post> PostStore::update(std::int64_t id, const std::string& title, const std::string& body) {
  Statement s = db_.prepare(
      std::string("UPDATE posts SET title = ?, body = ?, updated_at = ?, version = version + 1 WHERE id = ? RETURNING ")
          .append(kColumns));
  s.bind(1, title).bind(2, body).bind(3, now_millis()).bind(4, id);
  if (!s.step()) return std::nullopt;
  Post post = read_post(s);
  s.run();  // finish the statement so the write completes
  return post;
}

bool PostStore::remove(std::int64_t id) {
  db_.prepare("DELETE FROM posts WHERE id = ?").bind(1, id).run();
  return db_.changes() > 0;
}

PostPage PostStore::list(const PageRequest& request, std::optional<std::int64_t> author_id) {
  // One SQL shape for all four cases: a NULL parameter disables its filter.
  PostPage page;
  std::string where = " WHERE (?1 IS NULL OR author_id = ?1) AND (?2 IS NULL OR id < ?2)";
  if (request.mode == PageRequest::Mode::kOffset) {
    // The total and the rows from one snapshot, whatever other writers do.
    Transaction snapshot(db_, Transaction::Kind::kRead);
    {
      Statement count = db_.prepare("SELECT COUNT(*) FROM posts" + where);
      count.bind(1, author_id).bind(2, std::nullopt);
      if (count.step()) page.total = count.int64(0);
      Statement s = db_.prepare("SELECT " + std::string(kColumns) + " FROM posts" + where +
                                " ORDER BY id DESC LIMIT ?3 OFFSET ?4");
      s.bind(1, author_id).bind(2, std::nullopt).bind(3, request.limit).bind(4, request.offset());
      while (s.step()) page.posts.push_back(read_post(s));
    }  // statements finished before the snapshot ends
    snapshot.commit();
    return page;
  }
  // Cursor mode: one row more than asked tells whether there is a next page.
  Statement s = db_.prepare("SELECT " + std::string(kColumns) + " FROM posts" + where + " ORDER BY id DESC LIMIT ?3");
  s.bind(1, author_id).bind(2, request.before_id).bind(3, request.limit + 1);
  while (s.step()) page.posts.push_back(read_post(s));
  if (static_cast<std::int64_t>(page.posts.size()) > request.limit) {
    page.has_more = true;
    page.posts.pop_back();
  }
  return page;
}

}  // namespace gatehouse::api
