// SQLite files for the SQL backend's tests, made from the example schema so
// that the schema users copy is the one the tests run against.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

namespace authd::testing {

inline std::filesystem::path sql_example_dir() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "examples" / "sql";
}

inline std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return {std::istreambuf_iterator<char>(in), {}};
}

// A database at `path` with the example schema's users table.
class UsersDatabase {
 public:
  explicit UsersDatabase(const std::string& path)
      : db_(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) {
    db_.exec(read_text_file(sql_example_dir() / "schema.sql"));
  }
  void add(const std::string& name, const std::string& domain, const std::string& stored, bool enabled = true) {
    SQLite::Statement insert(db_, "INSERT INTO users (name, domain, password, enabled) VALUES (?, ?, ?, ?)");
    insert.bind(1, name);
    insert.bind(2, domain);
    insert.bind(3, stored);
    insert.bind(4, enabled ? 1 : 0);
    insert.exec();
  }
  SQLite::Database& db() { return db_; }

 private:
  SQLite::Database db_;
};

}  // namespace authd::testing
