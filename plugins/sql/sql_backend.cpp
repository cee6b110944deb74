#include "sql/sql_backend.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Exception.h>

#include "base/ascii.hpp"
#include "passwords/registry.hpp"

namespace authd::sql {

std::vector<SettingSpec> SqlBackend::settings() {
  return {
      {"path", SettingType::Path, {},
       "the SQLite database file (relative to the configuration file), opened read-only"},
      {"query", SettingType::String, std::string(default_query),
       "one SELECT: the stored password first, optionally a column named enabled (1/0). :name, :domain and "
       ":address (name@domain) are bound, never pasted in; compare with =, never LIKE"},
      {"default_scheme", SettingType::String, std::string(),
       "the scheme of stored values without a {SCHEME} prefix, e.g. PLAIN or SSHA; empty: such values are crypt "
       "strings"},
      {"busy_timeout_ms", SettingType::Integer, std::int64_t{1000},
       "how long a query waits for a locked database before answering FAILURE; keep it below request_timeout_ms",
       0, 60000},
      {"connections", SettingType::Integer, std::int64_t{16},
       "the most read-only connections open at once (each worker uses one); a request finding all in use waits "
       "up to busy_timeout_ms for one",
       1, 256},
  };
}

namespace {

using base::equal_ignoring_case;

bool identify_file(const std::string& path, FileIdentity& file, std::string& problem) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) {
    problem = "cannot open database '" + path + "': " + std::strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    problem = "database '" + path + "' is not a regular file";
    return false;
  }
  file = {st.st_dev, st.st_ino};
  return true;
}

std::string account_text(const Account& account) {
  std::string text(account.name);
  text.append("@").append(account.domain);
  return text;
}

}  // namespace

SqlBackend::SqlBackend(const BackendContext& context)
    : name_(context.name),
      path_(context.settings.string("path")),
      query_(context.settings.string("query")),
      default_scheme_(context.settings.string("default_scheme")),
      busy_timeout_ms_(static_cast<int>(context.settings.integer("busy_timeout_ms"))),
      host_(context.host),
      pool_(static_cast<std::size_t>(context.settings.integer("connections"))) {
  if (!default_scheme_.empty()) {
    const auto& registry = passwords::Registry::instance();
    if (registry.default_scheme(default_scheme_) == nullptr)
      throw ConfigError("default_scheme", "unknown password scheme \"" + default_scheme_ +
                                              "\" (authd --list-schemes lists them); crypt strings ($6$..., "
                                              "$2b$...) are recognised without a prefix: leave it empty for them");
    // The weak-scheme policy is authd's: ask it about a bare value as this
    // backend will hand it over.
    const Secret bare = registry.with_default_scheme("x", default_scheme_, passwords::SchemeMark::AnyPrefix);
    const auto traits = host_.scheme_of(bare.view());
    if (traits && !traits->allowed)
      host_.log(LogLevel::Warning, "backend " + name_ + ": default_scheme " + default_scheme_ +
                                       " is a weak scheme that allow_weak_schemes = false refuses: accounts "
                                       "stored without a prefix cannot log in");
  }

  FileIdentity file;
  std::string problem;
  if (!identify_file(path_, file, problem)) throw ConfigError("path", problem);
  std::unique_ptr<Connection> first;
  try {
    // Inspected through the C API on a connection of its own: SQLiteCpp's
    // Statement silently drops whatever follows the first statement and
    // shows neither parameter names nor whether the statement writes.
    SQLite::Database inspector(path_, SQLite::OPEN_READONLY, busy_timeout_ms_);
    shape_ = inspect_query(inspector.getHandle(), query_);
    first = open(file);
  } catch (const SQLite::Exception& e) {
    throw ConfigError("path", "cannot read database '" + path_ + "': " + e.what());
  }
  if (auto lease = pool_.acquire(std::chrono::steady_clock::now())) lease.replace(std::move(first));

  if (shape_.uses_pattern_match)
    host_.log(LogLevel::Warning,
              "backend " + name_ +
                  ": the query uses LIKE, GLOB, REGEXP or MATCH; never compare names that way: '_' and '%' in a "
                  "name would match other accounts. Use =");
  std::string parameters;
  for (auto [position, text] : {std::pair{shape_.name_parameter, ":name"},
                                std::pair{shape_.domain_parameter, ":domain"},
                                std::pair{shape_.address_parameter, ":address"}})
    if (position != 0) parameters.append(parameters.empty() ? "" : ", ").append(text);
  host_.log(LogLevel::Info, "backend " + name_ + ": SQLite database " + path_ + ", query binds " + parameters +
                                (shape_.enabled_column >= 0 ? ", with an enabled column" : ""));
}

std::unique_ptr<Connection> SqlBackend::open(FileIdentity file) const {
  return std::make_unique<Connection>(path_, query_, busy_timeout_ms_, file);
}

void SqlBackend::store_value(std::string_view value, Secret& stored) const {
  stored.clear();
  if (value.empty()) return;
  stored =
      passwords::Registry::instance().with_default_scheme(value, default_scheme_, passwords::SchemeMark::AnyPrefix);
}

Verdict SqlBackend::lookup(const Account& account, Row& row) {
  ConnectionLease lease = pool_.acquire(std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms_));
  if (!lease)
    return Verdict::temp_fail("all " + std::to_string(pool_.limit()) +
                              " connections to the database stayed in use for " +
                              std::to_string(busy_timeout_ms_) + " ms");
  // Looked at on every request: a database replaced with `mv` must be
  // served from the new file, and a removed one must fail, even though an
  // open connection could go on reading the old inode.
  FileIdentity file;
  std::string problem;
  if (!identify_file(path_, file, problem)) {
    lease.discard();
    return database_failed(std::move(problem));
  }
  try {
    if (lease.connection() == nullptr || !(lease.connection()->file == file)) lease.replace(open(file));
    Verdict verdict = query_row(*lease.connection(), account, row);
    database_worked();
    return verdict;
  } catch (const SQLite::Exception& e) {
    lease.discard();
    std::string message = "database '" + path_ + "': " + e.what();
    const int primary = e.getErrorCode() & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
      message += " (waited busy_timeout_ms = " + std::to_string(busy_timeout_ms_) + ")";
    return database_failed(std::move(message));
  }
}

Verdict SqlBackend::query_row(Connection& connection, const Account& account, Row& row) {
  SQLite::Statement& query = connection.query;
  // Reset on every way out: a statement left mid-result keeps its read
  // lock, and would hold off every writer of the database.
  struct ResetOnExit {
    SQLite::Statement& statement;
    ~ResetOnExit() { (void)statement.tryReset(); }
  } reset_on_exit{query};

  const std::string name(account.name), domain(account.domain);
  if (shape_.name_parameter != 0) query.bind(shape_.name_parameter, name);
  if (shape_.domain_parameter != 0) query.bind(shape_.domain_parameter, domain);
  if (shape_.address_parameter != 0) query.bind(shape_.address_parameter, name + "@" + domain);

  if (!query.executeStep()) return Verdict::unknown_name();

  const SQLite::Column stored = query.getColumn(0);
  if (!stored.isNull()) {
    const char* text = stored.getText();
    const auto bytes = static_cast<std::size_t>(stored.getBytes());
    if (bytes > max_stored_length) {
      row.unusable = "the stored password is longer than " + std::to_string(max_stored_length) + " bytes";
    } else {
      store_value({text, bytes}, row.stored);
    }
  }
  if (shape_.enabled_column >= 0) {
    Verdict enabled = read_enabled(query.getColumn(shape_.enabled_column), account, row.enabled);
    if (enabled.kind != VerdictKind::Accept) {
      row.stored.clear();
      return enabled;
    }
  }
  if (query.executeStep()) {
    row.stored.clear();
    std::string message = "query returned more than one row for " + account_text(account) +
                          "; an account must match exactly one row (make name and domain UNIQUE, compare with =)";
    host_.log(LogLevel::Error, "backend " + name_ + ": " + message);
    return Verdict::temp_fail(std::move(message));
  }
  return Verdict::accept();
}

Verdict SqlBackend::read_enabled(const SQLite::Column& column, const Account& account, bool& enabled) const {
  std::string_view found;
  const int type = column.getType();
  if (type == SQLite::INTEGER) {
    const auto value = column.getInt64();
    if (value == 0 || value == 1) {
      enabled = value == 1;
      return Verdict::accept();
    }
    found = "an integer other than 0 and 1";
  } else if (type == SQLite::TEXT) {
    const std::string_view text(column.getText(), static_cast<std::size_t>(column.getBytes()));
    if (text == "1" || equal_ignoring_case(text, "true")) {
      enabled = true;
      return Verdict::accept();
    }
    if (text == "0" || equal_ignoring_case(text, "false")) {
      enabled = false;
      return Verdict::accept();
    }
    found = "text other than true and false";
  } else if (type == SQLite::Null) {
    found = "NULL";
  } else {
    found = type == SQLite::FLOAT ? "a real number" : "a blob";
  }
  std::string message = "column enabled of " + account_text(account) + " holds " + std::string(found) +
                        "; expected 1/0 or true/false";
  host_.log(LogLevel::Error, "backend " + name_ + ": " + message);
  return Verdict::temp_fail(std::move(message));
}

Verdict SqlBackend::database_failed(std::string message) {
  {
    std::lock_guard lock(failure_mutex_);
    if (!failing_.load(std::memory_order_relaxed) || message != last_failure_)
      host_.log(LogLevel::Error,
                "backend " + name_ + ": " + message + "; its requests answer FAILURE until it reads again");
    last_failure_ = message;
    failing_.store(true, std::memory_order_release);
  }
  return Verdict::temp_fail(std::move(message));
}

void SqlBackend::database_worked() {
  if (!failing_.load(std::memory_order_acquire)) return;
  std::lock_guard lock(failure_mutex_);
  if (!failing_.load(std::memory_order_relaxed)) return;
  failing_.store(false, std::memory_order_release);
  last_failure_.clear();
  host_.log(LogLevel::Info, "backend " + name_ + ": database '" + path_ + "' reads again");
}

Verdict SqlBackend::verify(const Account& account, const Secret& password, std::string_view) {
  Row row;
  const Verdict found = lookup(account, row);
  if (found.kind != VerdictKind::Accept) return found;
  if (!row.unusable.empty()) return Verdict::reject(RejectReason::UnusableSecret, row.unusable);
  if (row.stored.empty()) return Verdict::reject(RejectReason::UnusableSecret, "no stored password (NULL or empty)");
  // Checked even for a disabled account, so that it costs the time of any other.
  Verdict verdict = host_.check_password(row.stored.view(), password);
  if (!row.enabled && verdict.accepted()) return Verdict::reject(RejectReason::Disabled, "account is disabled");
  return verdict;
}

Verdict SqlBackend::credentials(const Account& account, Secret& stored) {
  Row row;
  const Verdict found = lookup(account, row);
  if (found.kind != VerdictKind::Accept) return found;
  if (!row.enabled) return Verdict::reject(RejectReason::Disabled, "account is disabled");
  if (!row.unusable.empty()) return Verdict::reject(RejectReason::UnusableSecret, row.unusable);
  if (row.stored.empty()) return Verdict::reject(RejectReason::UnusableSecret, "no stored password (NULL or empty)");
  stored = std::move(row.stored);
  return Verdict::accept();
}

Verdict SqlBackend::exists(const Account& account) {
  Row row;
  return lookup(account, row);
}

}  // namespace authd::sql
