#pragma once
// A thin RAII layer over SQLite: a Database (one connection) and Statements
// prepared from it. Every value reaches SQL through bind(), never through
// string building, so no request data can change a statement's meaning.
//
// Contract: every failure throws DatabaseError (with SQLite's result code);
// the API's dispatcher turns it into a 500. A Database is used from one
// thread only (the service's io_context thread).
//
// Why blocking calls on the event loop: gatehouse-api is a sample service in
// its own process with a small local database. A query takes microseconds,
// and running it inline keeps handlers straight-line code; a service with
// slow queries would move them to a thread pool and respond from there.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace gatehouse::api {

class DatabaseError : public std::runtime_error {
 public:
  DatabaseError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  // SQLite's (extended) result code, e.g. SQLITE_CONSTRAINT_UNIQUE.
  int code() const noexcept { return code_; }
  bool is_constraint() const noexcept { return (code_ & 0xff) == 19; }  // SQLITE_CONSTRAINT

 private:
  int code_;
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);  // throws on a syntax error
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite. Text is copied (SQLITE_TRANSIENT).
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, std::nullopt_t);
  Statement& bind(int index, const std::optional<std::int64_t>& value);

  // Runs one step: true when a row is available, false when done.
  bool step();
  // For statements that return no rows (INSERT/UPDATE/DELETE).
  void run() { while (step()) {} }

  // Columns are 0-based, valid after step() returned true.
  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  std::string text(int column) const;
  std::optional<std::int64_t> optional_int64(int column) const;
  std::optional<std::string> optional_text(int column) const;

  // Makes the statement runnable again with the same bindings.
  void reset();

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Database {
 public:
  // Opens (creating if needed) the file at `path` with WAL journaling,
  // foreign keys enforced and a busy timeout, so that a second process
  // (a test, sqlite3 shell) can read and write alongside the service.
  explicit Database(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Statement prepare(std::string_view sql) { return Statement(db_, sql); }
  // Runs SQL without parameters (pragmas, schema DDL); never for data.
  void exec_script(const std::string& sql);
  std::int64_t last_insert_id() const;
  int changes() const;  // rows touched by the last INSERT/UPDATE/DELETE

 private:
  sqlite3* db_ = nullptr;
};

// BEGIN on construction; ROLLBACK on destruction unless commit() ran, so an
// exception anywhere leaves the database as it was. kWrite (BEGIN
// IMMEDIATE) takes the write lock at once, so a read-then-write transaction
// cannot fail halfway with SQLITE_BUSY; kRead (BEGIN DEFERRED) gives several
// SELECTs one consistent snapshot.
class Transaction {
 public:
  enum class Kind { kWrite, kRead };
  explicit Transaction(Database& db, Kind kind = Kind::kWrite);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace gatehouse::api
