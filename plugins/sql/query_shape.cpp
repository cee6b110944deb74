#include "sql/query_shape.hpp"

#include <sqlite3.h>

#include <SQLiteCpp/Exception.h>

#include <memory>

#include "authd/api/settings.hpp"
#include "base/ascii.hpp"

namespace authd::sql {

namespace {

struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }
};
using StatementHandle = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

using base::equal_ignoring_case;

std::string database_label(sqlite3* db) {
  const char* file = sqlite3_db_filename(db, "main");
  return file != nullptr && *file != '\0' ? "'" + std::string(file) + "'" : std::string("the database");
}

// Prepare the first statement of `sql`; `rest` receives what follows it. A
// null handle means `sql` held only blanks, comments and semicolons.
StatementHandle prepare_first(sqlite3* db, std::string_view sql, std::string_view& rest) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, &tail);
  StatementHandle statement(raw);
  if (rc != SQLITE_OK) {
    if (is_database_error(rc)) throw SQLite::Exception(db, rc);
    throw ConfigError("query", "the query does not prepare on " + database_label(db) + ": " + sqlite3_errmsg(db));
  }
  rest = tail == nullptr ? std::string_view{} : sql.substr(static_cast<std::size_t>(tail - sql.data()));
  return statement;
}

bool is_word_char(char c) noexcept {
  return base::is_ascii_alnum(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

// Whether a keyword that matches patterns appears in `sql` outside string
// literals, quoted identifiers and comments. Only for a warning: the query
// has already been accepted by SQLite.
bool mentions_pattern_match(std::string_view sql) {
  std::size_t i = 0;
  auto skip_until = [&](std::string_view end) {
    const auto at = sql.find(end, i);
    i = at == std::string_view::npos ? sql.size() : at + end.size();
  };
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"' || c == '`') {
      ++i;
      skip_until(std::string_view(&c, 1));  // a doubled quote reads as two literals: same result
    } else if (c == '[') {
      ++i;
      skip_until("]");
    } else if (sql.substr(i, 2) == "--") {
      skip_until("\n");
    } else if (sql.substr(i, 2) == "/*") {
      skip_until("*/");
    } else if (is_word_char(c)) {
      const std::size_t start = i;
      while (i < sql.size() && is_word_char(sql[i])) ++i;
      const std::string_view word = sql.substr(start, i - start);
      for (std::string_view keyword : {"like", "glob", "regexp", "match"})
        if (equal_ignoring_case(word, keyword)) return true;
    } else {
      ++i;
    }
  }
  return false;
}

void read_parameters(sqlite3_stmt* statement, QueryShape& shape) {
  const int count = sqlite3_bind_parameter_count(statement);
  for (int i = 1; i <= count; ++i) {
    const char* raw = sqlite3_bind_parameter_name(statement, i);
    const std::string_view name = raw == nullptr ? std::string_view("?") : std::string_view(raw);
    if (name == ":name") shape.name_parameter = i;
    else if (name == ":domain") shape.domain_parameter = i;
    else if (name == ":address") shape.address_parameter = i;
    else if (name.starts_with('?'))
      throw ConfigError("query", "the query uses a positional parameter (" + std::string(name) +
                                     "); name each value :name, :domain or :address");
    else
      throw ConfigError("query", "unknown parameter " + std::string(name) +
                                     " in the query; the parameters are :name, :domain and :address (name@domain)");
  }
  if (shape.name_parameter == 0 && shape.address_parameter == 0)
    throw ConfigError("query",
                      "the query uses neither :name nor :address, so its answer would not depend on the account");
}

void read_columns(sqlite3_stmt* statement, QueryShape& shape) {
  shape.column_count = sqlite3_column_count(statement);
  if (shape.column_count == 0)
    throw ConfigError("query", "the query returns no columns; it must be a SELECT whose first column is the "
                               "stored password");
  for (int i = 0; i < shape.column_count; ++i) {
    const char* name = sqlite3_column_name(statement, i);
    if (name == nullptr || !equal_ignoring_case(name, "enabled")) continue;
    if (shape.enabled_column >= 0) throw ConfigError("query", "the query returns two columns named enabled");
    shape.enabled_column = i;
  }
  if (shape.enabled_column == 0)
    throw ConfigError("query", "the first column of the query must be the stored password, not enabled");
}

}  // namespace

bool is_database_error(int result_code) noexcept {
  // SQLITE_ERROR is what SQLite returns for the statement itself (syntax, a
  // missing table or column); every other failure is about the file, its
  // locks or the memory to read it.
  const int primary = result_code & 0xff;
  return primary != SQLITE_OK && primary != SQLITE_ERROR && primary != SQLITE_RANGE;
}

QueryShape inspect_query(sqlite3* db, const std::string& query) {
  std::string_view rest;
  const StatementHandle statement = prepare_first(db, query, rest);
  if (!statement) throw ConfigError("query", "the query is empty");
  while (!rest.empty()) {
    std::string_view after;
    if (prepare_first(db, rest, after))
      throw ConfigError("query", "the query holds more than one statement; it must be a single SELECT");
    if (after.size() >= rest.size()) break;
    rest = after;
  }
  if (sqlite3_stmt_isexplain(statement.get()) != 0)
    throw ConfigError("query", "the query must be a SELECT, not EXPLAIN");
  if (sqlite3_stmt_readonly(statement.get()) == 0)
    throw ConfigError("query", "the query would change the database; it must be a single SELECT");

  QueryShape shape;
  read_parameters(statement.get(), shape);
  read_columns(statement.get(), shape);
  shape.uses_pattern_match = mentions_pattern_match(query);
  return shape;
}

}  // namespace authd::sql
