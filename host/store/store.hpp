// The host's database: domains, accounts, settings and lockout counters in
// one SQLite file (SQLiteCpp), DIR/authhost.sqlite.
//
// Every write runs in one IMMEDIATE transaction (write()), so a host killed
// in the middle of one restarts with all of it or none of it. The journal is
// WAL with a busy timeout, so a second process (a tool, a helper creating an
// account through the administration entry point) may write while the host
// runs: it waits for the lock instead of failing.
//
// Durability: a write is synced to disk before write() returns (FULL), so
// it survives a power cut as well as a killed process; except the lockout's
// bookkeeping of every login (Durability::Relaxed), which a killed process
// keeps but a power cut may lose since the last synced write: a sync per
// login would cap logins at the disk's sync rate, and what is lost is a few
// failures of a window (and reservations, which expire anyway).
//
// The schema carries its version in the meta table; open() brings an older
// database up to date, one migration per version, each in its transaction,
// and refuses a database written by a newer authhost.
//
// Faults (a missing, unreadable, unwritable or corrupt file; a lock held
// past the busy timeout) are thrown as StoreError with a message that names
// the file. Calls are serialised on one connection; none waits on anything
// but SQLite. Statements are prepared once and kept (StatementCache).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace SQLite {
class Database;
class Statement;
}

namespace authd::host {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr int store_schema_version = 2;
inline constexpr int store_busy_timeout_ms = 5000;

using SettingMap = std::map<std::string, std::string, std::less<>>;

// Where a setting lives: the server (both empty), a domain (account empty)
// or an account.
struct SettingOwner {
  std::string domain;
  std::string account;
};

struct LockoutRow {
  std::string name;            // canonical name@domain
  std::int64_t failures = 0;   // inside the current window
  std::int64_t window_start_ms = 0;
  std::int64_t locked_until_ms = 0;  // 0: not locked
  std::int64_t updated_ms = 0;
};

enum class Durability {
  Full,     // synced before write() returns
  Relaxed,  // survives a killed process; a power cut may lose it
};

// Prepared statements of one connection, by their SQL text; a statement
// is lent out reset, and reset again when given back, so that no finished
// read keeps a snapshot of the database open.
class StatementCache {
 public:
  explicit StatementCache(SQLite::Database& db);
  ~StatementCache();
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  class Lease {
   public:
    explicit Lease(SQLite::Statement& statement) : statement_(&statement) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    SQLite::Statement* operator->() const noexcept { return statement_; }
    SQLite::Statement& operator*() const noexcept { return *statement_; }

   private:
    SQLite::Statement* statement_;
  };

  // `sql` must be a string literal (or live as long as the cache): it is the key.
  Lease get(const char* sql);
  SQLite::Database& db() noexcept { return db_; }

 private:
  SQLite::Database& db_;
  std::map<const char*, std::unique_ptr<SQLite::Statement>> statements_;
};

// The statements a write transaction may run. Only valid inside write().
class StoreWriter {
 public:
  explicit StoreWriter(StatementCache& statements) : statements_(statements), db_(statements.db()) {}

  void set_meta(const std::string& key, const std::string& value);
  void insert_domain(const std::string& domain);
  void delete_domain(const std::string& domain);  // its accounts and settings too
  void insert_account(const std::string& domain, const std::string& name);
  void delete_account(const std::string& domain, const std::string& name);  // its settings too
  void set_setting(const SettingOwner& owner, const std::string& key, const std::string& value);
  void erase_setting(const SettingOwner& owner, const std::string& key);

  std::optional<LockoutRow> lockout(const std::string& name);
  void put_lockout(const LockoutRow& row);
  void erase_lockout(const std::string& name);
  std::int64_t lockout_count();
  // Drop rows until at most `keep` remain: first those neither locked nor
  // inside their window at `now_ms`, then the least recently updated of
  // those not locked. Suspended rows are never dropped: false when they
  // alone fill more than `keep`.
  bool trim_lockout(std::int64_t keep, std::int64_t now_ms, std::int64_t window_ms);

  // Login slots in flight (lockout.hpp): reserve one until `expires_ms`,
  // drop it, count the live ones of a name (dropping those expired at
  // `now_ms` and those that expire later than now_ms + ttl_ms, which were
  // stamped while the clock ran ahead).
  std::int64_t add_reservation(const std::string& name, std::int64_t expires_ms);
  void drop_reservation(std::int64_t id);
  std::int64_t live_reservations(const std::string& name, std::int64_t now_ms, std::int64_t ttl_ms);

  // Reads that must see this transaction's own writes.
  bool domain_exists(const std::string& domain);
  bool account_exists(const std::string& domain, const std::string& name);

 private:
  StatementCache& statements_;
  SQLite::Database& db_;
};

class Store {
 public:
  // Open `file`; with `create`, make a new, empty database (the file must
  // not exist yet). Throws StoreError.
  Store(const std::filesystem::path& file, bool create);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::filesystem::path& file() const noexcept { return file_; }

  // Run `body` in one IMMEDIATE transaction: committed when it returns,
  // rolled back when it throws (the exception goes on). SQLite faults become
  // StoreError.
  void write(const std::function<void(StoreWriter&)>& body, Durability durability = Durability::Full);

  std::optional<std::string> meta(const std::string& key);
  bool domain_exists(const std::string& domain);
  std::vector<std::string> domains();
  bool account_exists(const std::string& domain, const std::string& name);
  std::vector<std::string> accounts(const std::string& domain);
  SettingMap settings(const SettingOwner& owner);
  std::optional<LockoutRow> lockout(const std::string& name);
  std::vector<LockoutRow> lockout_rows();
  // PRAGMA integrity_check: "ok" or SQLite's report.
  std::string integrity_check();

 private:
  template <typename F>
  auto guarded(const char* what, F&& body);
  void migrate();
  std::optional<std::string> meta_value(const std::string& key);  // with the mutex held

  std::filesystem::path file_;
  std::mutex mutex_;
  std::unique_ptr<SQLite::Database> db_;
  std::unique_ptr<StatementCache> statements_;
};

}  // namespace authd::host
