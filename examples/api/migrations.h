#pragma once
// Numbered schema migrations, applied at start.
//
// Contract: migrate() applies, in order and inside one transaction, every
// migration whose version is not yet recorded in `schema_migrations`; either
// all pending ones apply or none does. Migrations are append-only: a shipped
// migration is never edited, a change is a new number.
//
// Conventions for every table: times are INTEGER Unix milliseconds (UTC);
// ids are INTEGER PRIMARY KEY AUTOINCREMENT so an id is never reused after a
// delete (ETags and pagination cursors are built from ids).

#include <span>
#include <string_view>

#include "examples/api/database.h"

namespace gatehouse::api {

struct Migration {
  int version;
  std::string_view sql;  // DDL only: no data values, so no parameters
};

// The service's migrations, in version order.
std::span<const Migration> schema_migrations();

// Returns how many migrations were applied. Throws DatabaseError.
int migrate(Database& db, std::span<const Migration> migrations);

}  // namespace gatehouse::api
