// What the configured query looks like to SQLite: which named parameters it
// binds, and where its result columns are.
//
// The query is checked once, at start-up, against the real database, so that
// a typo in a column, an unknown parameter or a second statement is a
// configuration error with the key "query" instead of a FAILURE on every
// request. Every connection prepares the same text, so the parameter and
// column positions found here hold for all of them.
#pragma once

#include <string>
#include <string_view>

struct sqlite3;

namespace authd::sql {

struct QueryShape {
  // SQLite parameter positions (1-based); 0 when the query does not use it.
  int name_parameter = 0;     // :name
  int domain_parameter = 0;   // :domain
  int address_parameter = 0;  // :address, "name@domain"
  int enabled_column = -1;    // the result column named "enabled"; -1 if none
  int column_count = 0;       // the stored password is always column 0
  // Set when the query compares with LIKE, GLOB, REGEXP or MATCH: the
  // backend warns, since a pattern match widens an identity lookup.
  bool uses_pattern_match = false;
};

// Inspect `query` on `db`. Throws ConfigError("query", ...) when it is not a
// single read-only statement returning rows, uses a parameter other than the
// three above (or none of :name and :address), names no stored password
// column first, or does not prepare (syntax, missing table or column).
// Errors of the database itself (not a database, locked, unreadable) are
// thrown as SQLite::Exception, for the caller to report against "path".
QueryShape inspect_query(sqlite3* db, const std::string& query);

// The SQLite result codes that say the database file, not the query, is at
// fault.
bool is_database_error(int result_code) noexcept;

}  // namespace authd::sql
