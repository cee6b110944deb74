// The SQL backend: accounts in an SQLite database, looked up by a query the
// configuration supplies.
//
// The query
// ---------
// One read-only statement (a SELECT). The values of the account are bound to
// the named parameters :name, :domain and :address ("name@domain"), never
// pasted into the text, so no name can change what the query means. Names
// reach backends in lower case, so storing them lower case is all it takes
// for names to compare without case (examples/sql/schema.sql enforces it).
//
// Compare names with `=`, never with LIKE or GLOB. A bound value is still a
// pattern to LIKE: `_` matches any character and `%` any run, so a client
// logging in as "j_e" or "jo%" would be checked against joe's password, and
// LIKE ignores case in ways `=` does not. The backend warns at start-up when
// the query mentions a pattern operator.
//
// The first result column is the stored password: "{SCHEME}value", a crypt
// string, or, with default_scheme set, a bare value in that scheme. An
// optional column named `enabled` holds 1/0 (or 'true'/'false'); a disabled
// account is rejected after its password is checked, so that it costs the
// time of any other. Any other value there, like a NULL, is answered
// FAILURE: the backend never guesses that an account is enabled.
//
// No row is an unknown name (the route's next backend is asked). More than
// one row is FAILURE with a log line: an identity that matches two accounts
// is a broken table or query, and picking one would let the wrong password
// in.
//
// Failures
// --------
// Every call runs on the worker pool (SQLite reads can wait on locks and on
// the disk). A locked database waits busy_timeout_ms, then answers FAILURE;
// a missing, unreadable, replaced-by-garbage or corrupt file answers FAILURE
// at once, never OK, with one log line when it starts failing and one when
// it works again. At start-up the same problems are configuration errors on
// "path", and a query SQLite refuses is one on "query".
//
// Timing
// ------
// The backend cannot list the schemes its rows use; every value it checks
// goes through HostServices::check_password, which learns the slowest scheme
// met since start: an unknown name costs what a wrong password of the
// slowest account seen so far costs.
#pragma once

#include <atomic>
#include <chrono>
#include <limits>
#include <mutex>
#include <string>
#include <vector>

#include "authd/api/plugin.hpp"
#include "sql/connection_pool.hpp"
#include "sql/query_shape.hpp"

namespace authd::sql {

class SqlBackend final : public Backend {
 public:
  static constexpr const char* type = "sql";
  static constexpr const char* description = "accounts in an SQLite database, found by a bound SELECT";
  static constexpr const char* default_query =
      "SELECT password, enabled FROM users WHERE name = :name AND domain = :domain";
  // Longer stored values are refused as unusable: no scheme needs them.
  static constexpr std::size_t max_stored_length = 65535;
  static std::vector<SettingSpec> settings();

  explicit SqlBackend(const BackendContext& context);

  Cost cost(Operation, const Account&) const override { return Cost::Blocking; }
  Verdict verify(const Account& account, const Secret& password, std::string_view mode) override;
  bool supports_credentials() const override { return true; }
  Verdict credentials(const Account& account, Secret& stored) override;
  Verdict exists(const Account& account) override;

 private:
  // One account's row.
  struct Row {
    Secret stored;  // default_scheme applied; empty when the column is NULL or ''
    bool enabled = true;
    std::string unusable;  // why the stored value cannot be used, for the log; empty if it can
  };

  // Run the query for `account`: Accept with `row` filled, UnknownName, or
  // TempFail.
  Verdict lookup(const Account& account, Row& row);
  Verdict query_row(Connection& connection, const Account& account, Row& row);
  Verdict read_enabled(const SQLite::Column& column, const Account& account, bool& enabled) const;
  void store_value(std::string_view value, Secret& stored) const;
  std::unique_ptr<Connection> open(FileIdentity file) const;

  // Log the first of a run of database failures, and the recovery after it.
  Verdict database_failed(std::string message);
  void database_worked();

  std::string name_;
  std::string path_;
  std::string query_;
  std::string default_scheme_;  // "" or a name the registry knows as a {PREFIX}
  int busy_timeout_ms_;
  const HostServices& host_;
  QueryShape shape_;
  ConnectionPool pool_;

  std::atomic<bool> failing_{false};
  std::mutex failure_mutex_;
  std::string last_failure_;
};

}  // namespace authd::sql
