#pragma once
// Posts in SQLite: the only code that writes SQL for the `posts` table.
//
// Contract: every method throws DatabaseError on a storage failure; "not
// found" is an empty optional or false, never an exception. Lists are newest
// first (id descending), optionally filtered by author.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "examples/api/database.h"
#include "examples/api/pagination.h"

namespace gatehouse::api {

struct Post {
  std::int64_t id = 0;
  std::int64_t author_id = 0;
  std::string title;
  std::string body;
  std::int64_t created_at = 0;  // Unix ms
  std::int64_t updated_at = 0;  // Unix ms
  std::int64_t version = 1;     // +1 on every update
};

struct PostPage {
  std::vector<Post> posts;
  std::int64_t total = 0;  // offset mode only
  bool has_more = false;   // cursor mode only
};

class PostStore {
 public:
  explicit PostStore(Database& db) : db_(db) {}

  bool user_exists(std::int64_t user_id);
  Post create(std::int64_t author_id, const std::string& title, const std::string& body);
  std::optional<Post> find(std::int64_t id);
  // Writes title and body, bumps version and updated_at; nullopt when gone.
  std::optional<Post> update(std::int64_t id, const std::string& title, const std::string& body);
  bool remove(std::int64_t id);
  PostPage list(const PageRequest& request, std::optional<std::int64_t> author_id);

 private:
  Database& db_;
};

}  // namespace gatehouse::api
