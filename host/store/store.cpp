#include "host/store/store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "base/fd.hpp"

namespace authd::host {

namespace {

// Index i brings a database from version i to i + 1.
const std::array<const char*, store_schema_version> migrations = {
    "CREATE TABLE domains(name TEXT PRIMARY KEY NOT NULL);"
    "CREATE TABLE accounts(domain TEXT NOT NULL REFERENCES domains(name), name TEXT NOT NULL,"
    "  PRIMARY KEY(domain, name));"
    "CREATE TABLE settings(domain TEXT NOT NULL, account TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
    "  PRIMARY KEY(domain, account, key));"
    "CREATE TABLE lockout(name TEXT PRIMARY KEY NOT NULL, failures INTEGER NOT NULL,"
    "  window_start_ms INTEGER NOT NULL, locked_until_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);"
    "CREATE INDEX lockout_by_update ON lockout(updated_ms);",
    // Logins in flight, from any process on this data directory: a slot
    // reserved before a password is checked, dropped with its outcome. A
    // process that dies leaves its rows behind until they expire.
    "CREATE TABLE lockout_reservations(id INTEGER PRIMARY KEY, name TEXT NOT NULL, expires_ms INTEGER NOT NULL);"
    "CREATE INDEX lockout_reservations_by_name ON lockout_reservations(name, expires_ms);",
};

LockoutRow read_lockout(SQLite::Statement& query) {
  LockoutRow row;
  row.name = query.getColumn(0).getString();
  row.failures = query.getColumn(1).getInt64();
  row.window_start_ms = query.getColumn(2).getInt64();
  row.locked_until_ms = query.getColumn(3).getInt64();
  row.updated_ms = query.getColumn(4).getInt64();
  return row;
}

#define AUTHD_LOCKOUT_COLUMNS "SELECT name, failures, window_start_ms, locked_until_ms, updated_ms FROM lockout"
constexpr const char* lockout_by_name = AUTHD_LOCKOUT_COLUMNS " WHERE name = ?";
constexpr const char* lockout_all = AUTHD_LOCKOUT_COLUMNS " ORDER BY name";
#undef AUTHD_LOCKOUT_COLUMNS

// Bind each of `values` to the next parameter, from the first.
template <typename... Values>
void bind_all(SQLite::Statement& st, const Values&... values) {
  int index = 0;
  (st.bind(++index, values), ...);
}

}  // namespace

StatementCache::StatementCache(SQLite::Database& db) : db_(db) {}

StatementCache::~StatementCache() = default;

StatementCache::Lease::~Lease() {
  try {
    statement_->reset();
    statement_->clearBindings();
  } catch (...) {
    // reset() reports the last step's error again; the statement is reset all the same.
  }
}

StatementCache::Lease StatementCache::get(const char* sql) {
  auto& slot = statements_[sql];
  if (!slot) slot = std::make_unique<SQLite::Statement>(db_, sql);
  return Lease(*slot);
}

void StoreWriter::set_meta(const std::string& key, const std::string& value) {
  auto st = statements_.get(
      "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  bind_all(*st, key, value);
  st->exec();
}

void StoreWriter::insert_domain(const std::string& domain) {
  auto st = statements_.get("INSERT INTO domains(name) VALUES(?)");
  bind_all(*st, domain);
  st->exec();
}

void StoreWriter::delete_domain(const std::string& domain) {
  for (const char* sql : {"DELETE FROM settings WHERE domain = ?", "DELETE FROM accounts WHERE domain = ?",
                          "DELETE FROM domains WHERE name = ?"}) {
    auto st = statements_.get(sql);
    bind_all(*st, domain);
    st->exec();
  }
}

void StoreWriter::insert_account(const std::string& domain, const std::string& name) {
  auto st = statements_.get("INSERT INTO accounts(domain, name) VALUES(?, ?)");
  bind_all(*st, domain, name);
  st->exec();
}

void StoreWriter::delete_account(const std::string& domain, const std::string& name) {
  for (const char* sql : {"DELETE FROM settings WHERE domain = ? AND account = ?",
                          "DELETE FROM accounts WHERE domain = ? AND name = ?"}) {
    auto st = statements_.get(sql);
    bind_all(*st, domain, name);
    st->exec();
  }
}

void StoreWriter::set_setting(const SettingOwner& owner, const std::string& key, const std::string& value) {
  auto st = statements_.get(
      "INSERT INTO settings(domain, account, key, value) VALUES(?, ?, ?, ?) "
      "ON CONFLICT(domain, account, key) DO UPDATE SET value = excluded.value");
  bind_all(*st, owner.domain, owner.account, key, value);
  st->exec();
}

void StoreWriter::erase_setting(const SettingOwner& owner, const std::string& key) {
  auto st = statements_.get("DELETE FROM settings WHERE domain = ? AND account = ? AND key = ?");
  bind_all(*st, owner.domain, owner.account, key);
  st->exec();
}

std::optional<LockoutRow> StoreWriter::lockout(const std::string& name) {
  auto st = statements_.get(lockout_by_name);
  bind_all(*st, name);
  if (!st->executeStep()) return std::nullopt;
  return read_lockout(*st);
}

void StoreWriter::put_lockout(const LockoutRow& row) {
  auto st = statements_.get(
      "INSERT INTO lockout(name, failures, window_start_ms, locked_until_ms, updated_ms) "
      "VALUES(?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET failures = excluded.failures, "
      "window_start_ms = excluded.window_start_ms, locked_until_ms = excluded.locked_until_ms, "
      "updated_ms = excluded.updated_ms");
  bind_all(*st, row.name, row.failures, row.window_start_ms, row.locked_until_ms, row.updated_ms);
  st->exec();
}

void StoreWriter::erase_lockout(const std::string& name) {
  auto st = statements_.get("DELETE FROM lockout WHERE name = ?");
  bind_all(*st, name);
  st->exec();
}

std::int64_t StoreWriter::lockout_count() {
  auto st = statements_.get("SELECT count(*) FROM lockout");
  st->executeStep();
  return st->getColumn(0).getInt64();
}

std::int64_t StoreWriter::add_reservation(const std::string& name, std::int64_t expires_ms) {
  auto st = statements_.get("INSERT INTO lockout_reservations(name, expires_ms) VALUES(?, ?)");
  bind_all(*st, name, expires_ms);
  st->exec();
  return db_.getLastInsertRowid();
}

void StoreWriter::drop_reservation(std::int64_t id) {
  auto st = statements_.get("DELETE FROM lockout_reservations WHERE id = ?");
  bind_all(*st, id);
  st->exec();
}

std::int64_t StoreWriter::live_reservations(const std::string& name, std::int64_t now_ms, std::int64_t ttl_ms) {
  {
    // Expired, or stamped while the clock ran ahead (it would outlive its ttl).
    auto expired =
        statements_.get("DELETE FROM lockout_reservations WHERE name = ? AND (expires_ms <= ? OR expires_ms > ?)");
    bind_all(*expired, name, now_ms, now_ms + ttl_ms);
    expired->exec();
  }
  auto st = statements_.get("SELECT count(*) FROM lockout_reservations WHERE name = ?");
  bind_all(*st, name);
  st->executeStep();
  return st->getColumn(0).getInt64();
}

bool StoreWriter::trim_lockout(std::int64_t keep, std::int64_t now_ms, std::int64_t window_ms) {
  std::int64_t excess = lockout_count() - keep;
  if (excess <= 0) return true;
  {
    auto stale = statements_.get(
        "DELETE FROM lockout WHERE name IN (SELECT name FROM lockout WHERE locked_until_ms <= ? "
        "AND window_start_ms + ? <= ? ORDER BY updated_ms LIMIT ?)");
    bind_all(*stale, now_ms, window_ms, now_ms, excess);
    excess -= stale->exec();
  }
  if (excess <= 0) return true;
  // A suspension is never forgotten before it lifts: a flood of new names
  // must not hand a suspended name a fresh allowance.
  auto oldest = statements_.get(
      "DELETE FROM lockout WHERE name IN (SELECT name FROM lockout WHERE locked_until_ms <= ? "
      "ORDER BY updated_ms LIMIT ?)");
  bind_all(*oldest, now_ms, excess);
  excess -= oldest->exec();
  return excess <= 0;
}

bool StoreWriter::domain_exists(const std::string& domain) {
  auto st = statements_.get("SELECT 1 FROM domains WHERE name = ?");
  bind_all(*st, domain);
  return st->executeStep();
}

bool StoreWriter::account_exists(const std::string& domain, const std::string& name) {
  auto st = statements_.get("SELECT 1 FROM accounts WHERE domain = ? AND name = ?");
  bind_all(*st, domain, name);
  return st->executeStep();
}

template <typename F>
auto Store::guarded(const char* what, F&& body) {
  std::lock_guard lock(mutex_);
  try {
    return body();
  } catch (const SQLite::Exception& e) {
    throw StoreError(std::string("database ") + file_.string() + ": cannot " + what + ": " + e.what());
  }
}

Store::Store(const std::filesystem::path& file, bool create) : file_(file) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(file, ec);
  if (create && exists) throw StoreError("database " + file.string() + " exists already");
  if (create) {
    // Made here, owner-only, before SQLite opens it: it holds passwords, and
    // SQLite gives its -wal and -shm files the database file's mode.
    const base::Fd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) throw StoreError("cannot create database " + file.string() + ": " + std::strerror(errno));
  }
  if (!create && !exists)
    throw StoreError("no database at " + file.string() + (ec ? ": " + ec.message() : std::string()));
  try {
    const int flags = SQLite::OPEN_READWRITE | (create ? SQLite::OPEN_CREATE : 0);
    db_ = std::make_unique<SQLite::Database>(file.string(), flags, store_busy_timeout_ms);
    // WAL lets readers and one writer work at once; FULL makes a committed
    // transaction survive a power cut as well as a killed process.
    db_->exec("PRAGMA journal_mode = WAL");
    db_->exec("PRAGMA synchronous = FULL");
    db_->exec("PRAGMA foreign_keys = ON");
    db_->exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)");
    statements_ = std::make_unique<StatementCache>(*db_);
  } catch (const SQLite::Exception& e) {
    throw StoreError("cannot open database " + file.string() + ": " + e.what());
  }
  migrate();
}

Store::~Store() = default;

void Store::migrate() {
  for (;;) {
    bool done = false;
    guarded("update its schema", [&] {
      SQLite::Transaction transaction(*db_, SQLite::TransactionBehavior::IMMEDIATE);
      const auto stored = meta_value("schema_version");
      const int version = stored ? std::stoi(*stored) : 0;
      if (version > store_schema_version)
        throw StoreError("database " + file_.string() + " has schema version " + std::to_string(version) +
                         ", written by a newer authhost (this one knows up to " +
                         std::to_string(store_schema_version) + ")");
      if (version == store_schema_version) {
        done = true;
        return;
      }
      db_->exec(migrations[static_cast<std::size_t>(version)]);
      StoreWriter(*statements_).set_meta("schema_version", std::to_string(version + 1));
      transaction.commit();
    });
    if (done) return;
  }
}

namespace {

// PRAGMA synchronous for the transactions begun while it lives (it cannot
// change inside one); FULL again after.
class SynchronousMode {
 public:
  SynchronousMode(SQLite::Database& db, Durability durability) : db_(durability == Durability::Relaxed ? &db : nullptr) {
    if (db_ != nullptr) db_->exec("PRAGMA synchronous = NORMAL");
  }
  SynchronousMode(const SynchronousMode&) = delete;
  SynchronousMode& operator=(const SynchronousMode&) = delete;
  ~SynchronousMode() {
    if (db_ == nullptr) return;
    try {
      db_->exec("PRAGMA synchronous = FULL");
    } catch (...) {
      // Only a connection that cannot run a PRAGMA any more fails here.
    }
  }

 private:
  SQLite::Database* db_;
};

}  // namespace

void Store::write(const std::function<void(StoreWriter&)>& body, Durability durability) {
  guarded("write", [&] {
    const SynchronousMode mode(*db_, durability);
    SQLite::Transaction transaction(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    StoreWriter writer(*statements_);
    body(writer);
    transaction.commit();
  });
}

std::optional<std::string> Store::meta_value(const std::string& key) {
  auto st = statements_->get("SELECT value FROM meta WHERE key = ?");
  bind_all(*st, key);
  if (!st->executeStep()) return std::nullopt;
  return st->getColumn(0).getString();
}

std::optional<std::string> Store::meta(const std::string& key) {
  return guarded("read", [&] { return meta_value(key); });
}

bool Store::domain_exists(const std::string& domain) {
  return guarded("read", [&] { return StoreWriter(*statements_).domain_exists(domain); });
}

std::vector<std::string> Store::domains() {
  return guarded("read", [&] {
    std::vector<std::string> out;
    auto st = statements_->get("SELECT name FROM domains ORDER BY name");
    while (st->executeStep()) out.push_back(st->getColumn(0).getString());
    return out;
  });
}

bool Store::account_exists(const std::string& domain, const std::string& name) {
  return guarded("read", [&] { return StoreWriter(*statements_).account_exists(domain, name); });
}

std::vector<std::string> Store::accounts(const std::string& domain) {
  return guarded("read", [&] {
    std::vector<std::string> out;
    auto st = statements_->get("SELECT name FROM accounts WHERE domain = ? ORDER BY name");
    bind_all(*st, domain);
    while (st->executeStep()) out.push_back(st->getColumn(0).getString());
    return out;
  });
}

SettingMap Store::settings(const SettingOwner& owner) {
  return guarded("read", [&] {
    SettingMap out;
    auto st = statements_->get("SELECT key, value FROM settings WHERE domain = ? AND account = ?");
    bind_all(*st, owner.domain, owner.account);
    while (st->executeStep()) out.emplace(st->getColumn(0).getString(), st->getColumn(1).getString());
    return out;
  });
}

std::optional<LockoutRow> Store::lockout(const std::string& name) {
  return guarded("read", [&] { return StoreWriter(*statements_).lockout(name); });
}

std::vector<LockoutRow> Store::lockout_rows() {
  return guarded("read", [&] {
    std::vector<LockoutRow> out;
    auto st = statements_->get(lockout_all);
    while (st->executeStep()) out.push_back(read_lockout(*st));
    return out;
  });
}

std::string Store::integrity_check() {
  return guarded("check", [&] { return db_->execAndGet("PRAGMA integrity_check").getString(); });
}

}  // namespace authd::host
