// The SQL backend: queries, stored values, broken and locked databases,
// pattern characters in names, concurrency through the engine, and the log.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>
#include <tuple>
#include <type_traits>

#include <gtest/gtest.h>

#include "../authd/engine_harness.hpp"
#include "authd/engine_services.hpp"
#include "authd/log.hpp"
#include "passwords/challenge.hpp"
#include "passwords/registry.hpp"
#include "sql/sql_backend.hpp"
#include "sql_test_database.hpp"

namespace authd::testing {
namespace {

using namespace std::chrono_literals;
using sql::SqlBackend;
namespace fs = std::filesystem;

const std::string uniform = "ERROR incorrect account name or password";

std::string encode(std::string_view scheme, const std::string& password) {
  return passwords::Registry::instance().encode(scheme, Secret(password));
}

// The backend's settings, defaults unless changed: Options().query("...").
struct Options {
  std::string query_text = SqlBackend::default_query;
  std::string scheme;
  std::int64_t busy_ms = 1000;
  std::int64_t connection_limit = 16;
  bool weak_allowed = false;

  Options query(std::string text) const { return with([&](Options& o) { o.query_text = std::move(text); }); }
  Options default_scheme(std::string name) const { return with([&](Options& o) { o.scheme = std::move(name); }); }
  Options busy_timeout_ms(std::int64_t ms) const { return with([&](Options& o) { o.busy_ms = ms; }); }
  Options connections(std::int64_t limit) const { return with([&](Options& o) { o.connection_limit = limit; }); }
  Options allow_weak() const { return with([](Options& o) { o.weak_allowed = true; }); }

 private:
  template <typename F>
  Options with(F change) const {
    Options copy = *this;
    change(copy);
    return copy;
  }
};

class Sql : public ::testing::Test {
 protected:
  Sql()
      : logger_({(dir_.path() / "log").string(), LogLevel::Debug, false}),
        strict_(false, logger_),
        weak_(true, logger_) {}

  std::string db_path() const { return (dir_.path() / "users.db").string(); }

  // joe (SSHA), ann (SHA512-CRYPT), off (disabled), under_score, and joe of
  // another domain.
  void make_users(const std::string& path) {
    UsersDatabase db(path);
    db.add("joe", "example.com", encode("SSHA", "correct horse"));
    db.add("ann", "example.com", encode("SHA512-CRYPT", "ann's secret"));
    db.add("off", "example.com", encode("SSHA", "disabled but right"), false);
    db.add("under_score", "example.com", encode("SSHA", "low line"));
    db.add("joe", "example.org", encode("SSHA", "another joe"));
  }
  void make_users() { make_users(db_path()); }

  std::unique_ptr<SqlBackend> backend(const Options& options = {}, const std::string& path = {}) {
    Settings settings({{"path", path.empty() ? db_path() : path},
                       {"query", options.query_text},
                       {"default_scheme", options.scheme},
                       {"busy_timeout_ms", options.busy_ms},
                       {"connections", options.connection_limit}});
    return std::make_unique<SqlBackend>(
        BackendContext{"db", settings, options.weak_allowed ? static_cast<const HostServices&>(weak_) : strict_});
  }

  // The message of the ConfigError that `options` cause, which must be on `key`.
  std::string config_error(const Options& options, const std::string& key, const std::string& path = {}) {
    try {
      backend(options, path);
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.key(), key) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "the backend started";
    return {};
  }

  std::string log_text() {
    logger_.flush();
    std::ifstream in(dir_.path() / "log");
    return {std::istreambuf_iterator<char>(in), {}};
  }

  TempDir dir_;
  Logger logger_;
  EngineServices strict_;
  EngineServices weak_;
};

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

void write_random_bytes(const std::string& path, std::size_t size) {
  std::mt19937 random(12345);
  std::string bytes(size, '\0');
  for (auto& byte : bytes) byte = static_cast<char>(random() & 0xff);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;  // in place: the same inode
}

TEST_F(Sql, VerifiesSuppliesAndKnowsAccounts) {
  make_users();
  auto b = backend();
  const Account joe{"joe", "example.com"};
  EXPECT_EQ(b->verify(joe, Secret("correct horse"), "IMAP").kind, VerdictKind::Accept);
  EXPECT_EQ(b->verify(joe, Secret("correct horsE"), "").reason, RejectReason::WrongPassword);
  EXPECT_EQ(b->verify({"ann", "example.com"}, Secret("ann's secret"), "").kind, VerdictKind::Accept);
  EXPECT_EQ(b->verify({"joe", "example.org"}, Secret("another joe"), "").kind, VerdictKind::Accept);
  EXPECT_EQ(b->verify({"joe", "example.org"}, Secret("correct horse"), "").reason, RejectReason::WrongPassword);
  EXPECT_EQ(b->verify({"nobody", "example.com"}, Secret("correct horse"), "").kind, VerdictKind::UnknownName);

  const auto disabled = b->verify({"off", "example.com"}, Secret("disabled but right"), "");
  EXPECT_EQ(disabled.kind, VerdictKind::Reject);
  EXPECT_EQ(disabled.reason, RejectReason::Disabled);
  EXPECT_EQ(b->verify({"off", "example.com"}, Secret("wrong"), "").reason, RejectReason::WrongPassword);

  EXPECT_EQ(b->exists(joe).kind, VerdictKind::Accept);
  EXPECT_EQ(b->exists({"off", "example.com"}).kind, VerdictKind::Accept);
  EXPECT_EQ(b->exists({"nobody", "example.com"}).kind, VerdictKind::UnknownName);

  EXPECT_TRUE(b->supports_credentials());
  Secret stored;
  EXPECT_EQ(b->credentials(joe, stored).kind, VerdictKind::Accept);
  EXPECT_TRUE(stored.view().starts_with("{SSHA}"));
  EXPECT_EQ(b->credentials({"off", "example.com"}, stored).reason, RejectReason::Disabled);
  EXPECT_EQ(b->credentials({"nobody", "example.com"}, stored).kind, VerdictKind::UnknownName);

  for (auto op : {Operation::Verify, Operation::Credentials, Operation::Exists})
    EXPECT_EQ(b->cost(op, joe), Cost::Blocking);
}

// The backend's services learn the slowest scheme from the values it checks.
TEST_F(Sql, TheTimingReferenceFollowsTheSlowestSchemeSeen) {
  make_users();
  auto b = backend();
  EXPECT_EQ(strict_.timing_reference(), "");
  (void)b->verify({"joe", "example.com"}, Secret("x"), "");
  EXPECT_TRUE(strict_.timing_reference().starts_with("{SSHA}"));
  (void)b->verify({"ann", "example.com"}, Secret("x"), "");
  const auto reference = strict_.timing_reference();
  EXPECT_TRUE(reference.starts_with("$6$"));
  (void)b->verify({"joe", "example.com"}, Secret("x"), "");
  EXPECT_EQ(strict_.timing_reference(), reference);  // a faster scheme does not replace it
}

TEST_F(Sql, DefaultSchemeReadsBareValues) {
  UsersDatabase db(db_path());
  db.add("bare", "example.com", "plain words");
  db.add("prefixed", "example.com", encode("SSHA", "salted"));
  db.add("brace", "example.com", "{NOPE}abc");
  db.add("crypt", "example.com", encode("SHA512-CRYPT", "crypted"));

  auto plain = backend(Options().default_scheme("PLAIN").allow_weak());
  EXPECT_EQ(plain->verify({"bare", "example.com"}, Secret("plain words"), "").kind, VerdictKind::Accept);
  EXPECT_EQ(plain->verify({"bare", "example.com"}, Secret("plain"), "").reason, RejectReason::WrongPassword);
  // A value with a prefix is read in its own scheme, never as clear text...
  EXPECT_EQ(plain->verify({"prefixed", "example.com"}, Secret("salted"), "").kind, VerdictKind::Accept);
  // ...even one authd does not know: it is unusable, not a password "{NOPE}abc".
  EXPECT_EQ(plain->verify({"brace", "example.com"}, Secret("{NOPE}abc"), "").reason, RejectReason::UnusableSecret);
  // With a default scheme, a bare crypt string is a value in that scheme too.
  EXPECT_EQ(plain->verify({"crypt", "example.com"}, Secret("crypted"), "").reason, RejectReason::WrongPassword);
  Secret stored;
  ASSERT_EQ(plain->credentials({"bare", "example.com"}, stored).kind, VerdictKind::Accept);
  EXPECT_EQ(stored.view(), "{PLAIN}plain words");

  // SASL through the engine: the default scheme makes the clear text a CRAM-MD5 secret.
  EngineHarness h("[authd]\nallow_weak_schemes = true\n[[backend]]\nname = \"db\"\ntype = \"sql\"\npath = \"" +
                  db_path() + "\"\ndefault_scheme = \"plain\"\n[[route]]\ndomains = [\"*\"]\nbackends = [\"db\"]\n");
  passwords::CramMd5Context context;
  passwords::CramMd5Context::from_password("plain words", context);
  const std::string challenge = "<1.2@example.com>";
  EXPECT_EQ(h.ask("1 SASL(CRAM-MD5) bare@example.com " + passwords::cram_md5_response(context, challenge) + " " +
                  challenge),
            "1 OK");

  // No default: a bare value is no scheme at all.
  auto none = backend();
  EXPECT_EQ(none->verify({"bare", "example.com"}, Secret("plain words"), "").reason, RejectReason::UnusableSecret);
  EXPECT_EQ(none->verify({"crypt", "example.com"}, Secret("crypted"), "").kind, VerdictKind::Accept);

  // A weak default under allow_weak_schemes = false starts, with a warning, and refuses.
  auto refused = backend(Options().default_scheme("PLAIN"));
  EXPECT_EQ(refused->verify({"bare", "example.com"}, Secret("plain words"), "").reason, RejectReason::UnusableSecret);
  EXPECT_TRUE(contains(log_text(), "default_scheme PLAIN is a weak scheme"));
}

TEST_F(Sql, DefaultSchemeMustBeAPrefixTheRegistryKnows) {
  make_users();
  EXPECT_TRUE(contains(config_error(Options().default_scheme("ROT13"), "default_scheme"), "unknown password scheme"));
  EXPECT_TRUE(contains(config_error(Options().default_scheme("SHA512-CRYPT"), "default_scheme"), "leave it empty"));
  config_error(Options().default_scheme("PLAIN}"), "default_scheme");
  config_error(Options().default_scheme("{PLAIN}"), "default_scheme");
  EXPECT_NO_THROW(backend(Options().default_scheme("ssha")));
}

TEST_F(Sql, AddressParameterAndQueriesWithoutEnabled) {
  SQLite::Database db(db_path(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec("CREATE TABLE mailboxes (address TEXT PRIMARY KEY, secret TEXT, active INTEGER)");
  SQLite::Statement insert(db, "INSERT INTO mailboxes VALUES (?, ?, ?)");
  for (auto [address, password, active] :
       {std::tuple{"joe@example.com", "one", 1}, std::tuple{"ann@example.com", "two", 0}}) {
    insert.bind(1, address);
    insert.bind(2, encode("SSHA", password));
    insert.bind(3, active);
    insert.exec();
    insert.reset();
  }
  auto b = backend(Options().query("SELECT secret FROM mailboxes WHERE address = :address AND active = 1"));
  EXPECT_EQ(b->verify({"joe", "example.com"}, Secret("one"), "").kind, VerdictKind::Accept);
  EXPECT_EQ(b->verify({"ann", "example.com"}, Secret("two"), "").kind, VerdictKind::UnknownName);
  EXPECT_EQ(b->verify({"joe", "example.org"}, Secret("one"), "").kind, VerdictKind::UnknownName);
  EXPECT_TRUE(contains(log_text(), "query binds :address"));

  // The same parameter twice, and all three together.
  auto twice = backend(Options().query("SELECT secret FROM mailboxes WHERE address = :address AND "
                                       "(:address = :name || '@' || :domain)"));
  EXPECT_EQ(twice->verify({"joe", "example.com"}, Secret("one"), "").kind, VerdictKind::Accept);
}

TEST_F(Sql, EnabledColumnValues) {
  SQLite::Database db(db_path(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec("CREATE TABLE u (name TEXT, domain TEXT, password TEXT, enabled)");
  SQLite::Statement insert(db, "INSERT INTO u VALUES (?, 'example.com', ?, ?)");
  auto add = [&](const std::string& name, const std::string& password, auto enabled) {
    insert.bind(1, name);
    insert.bind(2, password.empty() ? std::string() : encode("SSHA", password));
    if constexpr (std::is_same_v<decltype(enabled), std::nullptr_t>) insert.bind(3);
    else insert.bind(3, enabled);
    insert.exec();
    insert.reset();
  };
  add("t", "pw", "TRUE");
  add("f", "pw", "false");
  add("one", "pw", "1");
  add("null", "pw", nullptr);
  add("two", "pw", 2);
  add("real", "pw", 1.0);
  add("word", "pw", "yes");
  add("nopass", "", 1);
  db.exec("INSERT INTO u VALUES ('nullpass', 'example.com', NULL, 1)");
  auto b = backend(Options().query("SELECT password, enabled FROM u WHERE name = :name AND domain = :domain"));
  auto verify = [&](const char* name) { return b->verify({name, "example.com"}, Secret("pw"), ""); };
  EXPECT_EQ(verify("t").kind, VerdictKind::Accept);
  EXPECT_EQ(verify("f").reason, RejectReason::Disabled);
  EXPECT_EQ(verify("one").kind, VerdictKind::Accept);
  for (const char* unclear : {"null", "two", "real", "word"}) {
    const auto verdict = verify(unclear);
    EXPECT_EQ(verdict.kind, VerdictKind::TempFail) << unclear;
    EXPECT_TRUE(contains(verdict.detail, "column enabled of " + std::string(unclear) + "@example.com"))
        << verdict.detail;
  }
  EXPECT_EQ(verify("nopass").reason, RejectReason::UnusableSecret);
  EXPECT_EQ(verify("nullpass").reason, RejectReason::UnusableSecret);
  EXPECT_EQ(b->exists({"nullpass", "example.com"}).kind, VerdictKind::Accept);
  EXPECT_TRUE(contains(log_text(), "column enabled of null@example.com holds NULL"));
}

TEST_F(Sql, ALockedDatabaseFailsWithinTheBusyTimeoutThenRecovers) {
  make_users();
  auto b = backend(Options().busy_timeout_ms(200));
  ASSERT_EQ(b->verify({"joe", "example.com"}, Secret("correct horse"), "").kind, VerdictKind::Accept);
  SQLite::Database writer(db_path(), SQLite::OPEN_READWRITE);
  writer.exec("BEGIN EXCLUSIVE");
  const auto start = std::chrono::steady_clock::now();
  const auto locked = b->verify({"joe", "example.com"}, Secret("correct horse"), "");
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(locked.kind, VerdictKind::TempFail);
  EXPECT_TRUE(contains(locked.detail, "database is locked")) << locked.detail;
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 3s);
  EXPECT_EQ(b->exists({"joe", "example.com"}).kind, VerdictKind::TempFail);
  writer.exec("COMMIT");
  EXPECT_EQ(b->verify({"joe", "example.com"}, Secret("correct horse"), "").kind, VerdictKind::Accept);
  const auto log = log_text();
  EXPECT_TRUE(contains(log, "database is locked (waited busy_timeout_ms = 200)"));
  EXPECT_TRUE(contains(log, "reads again"));
}

TEST_F(Sql, ALockedDatabaseNeverHoldsUpOtherBackends) {
  make_users();
  const auto passwd = dir_.file("users.passwd", "bob@example.net:" + encode("SSHA", "builder") + "\n");
  EngineHarness h("[authd]\nworkers = 4\n"
                  "[[backend]]\nname = \"db\"\ntype = \"sql\"\npath = \"" + db_path() + "\"\nbusy_timeout_ms = 1500\n"
                  "[[backend]]\nname = \"file\"\ntype = \"passwd-file\"\npath = \"" + passwd + "\"\n"
                  "[[route]]\ndomains = [\"example.net\"]\nbackends = [\"file\"]\n"
                  "[[route]]\ndomains = [\"*\"]\nbackends = [\"db\"]\n");
  SQLite::Database writer(db_path(), SQLite::OPEN_READWRITE);
  writer.exec("BEGIN EXCLUSIVE");
  h.send_line("1 VRFY joe@example.com \"correct horse\"");
  h.send_line("2 VRFY bob@example.net builder");
  EXPECT_EQ(h.read_line(), "2 OK");  // answered while the database is still locked
  EXPECT_EQ(h.read_line(), "1 FAILURE temporarily unavailable");
  writer.exec("COMMIT");
  EXPECT_EQ(h.ask("3 VRFY joe@example.com \"correct horse\""), "3 OK");
}

TEST_F(Sql, ACorruptFileFailsAndRecovers) {
  make_users();
  auto b = backend();
  const Account joe{"joe", "example.com"};
  ASSERT_EQ(b->verify(joe, Secret("correct horse"), "").kind, VerdictKind::Accept);
  const std::string good = read_text_file(db_path());
  ASSERT_GT(good.size(), 4096u);

  write_random_bytes(db_path(), good.size());
  auto verdict = b->verify(joe, Secret("correct horse"), "");
  EXPECT_EQ(verdict.kind, VerdictKind::TempFail);
  EXPECT_TRUE(contains(verdict.detail, "not a database")) << verdict.detail;
  EXPECT_EQ(b->exists(joe).kind, VerdictKind::TempFail);

  std::ofstream(db_path(), std::ios::binary | std::ios::trunc) << good;
  EXPECT_EQ(b->verify(joe, Secret("correct horse"), "").kind, VerdictKind::Accept);

  // Truncated to its first page: the header still promises the rest.
  std::ofstream(db_path(), std::ios::binary | std::ios::trunc) << good.substr(0, 4096);
  verdict = b->verify(joe, Secret("correct horse"), "");
  EXPECT_EQ(verdict.kind, VerdictKind::TempFail);
  EXPECT_TRUE(contains(verdict.detail, "malformed")) << verdict.detail;

  std::ofstream(db_path(), std::ios::binary | std::ios::trunc) << good;
  EXPECT_EQ(b->verify(joe, Secret("correct horse"), "").kind, VerdictKind::Accept);
  const auto log = log_text();
  EXPECT_TRUE(contains(log, "file is not a database; its requests answer FAILURE"));
  EXPECT_TRUE(contains(log, "reads again"));
}

TEST_F(Sql, ABrokenOrMissingFileRefusesToStart) {
  EXPECT_TRUE(contains(config_error({}, "path", (dir_.path() / "missing.db").string()), "No such file"));
  EXPECT_TRUE(contains(config_error({}, "path", dir_.path().string()), "not a regular file"));
  write_random_bytes(db_path(), 8192);
  EXPECT_TRUE(contains(config_error({}, "path"), "not a database"));
  make_users((dir_.path() / "good.db").string());
  const std::string good = read_text_file(dir_.path() / "good.db");
  dir_.file("truncated.db", good.substr(0, 4096));
  config_error({}, "path", (dir_.path() / "truncated.db").string());
}

TEST_F(Sql, AFileThatGoesAwayOrIsReplacedFailsUntilItReadsAgain) {
  make_users();
  auto b = backend();
  const Account joe{"joe", "example.com"};
  ASSERT_EQ(b->verify(joe, Secret("correct horse"), "").kind, VerdictKind::Accept);

  fs::remove(db_path());  // open connections could still read the unlinked file: they must not
  auto verdict = b->verify(joe, Secret("correct horse"), "");
  EXPECT_EQ(verdict.kind, VerdictKind::TempFail);
  EXPECT_TRUE(contains(verdict.detail, "No such file")) << verdict.detail;

  fs::create_directory(db_path());
  EXPECT_TRUE(contains(b->verify(joe, Secret("correct horse"), "").detail, "not a regular file"));
  fs::remove(db_path());

  write_random_bytes((dir_.path() / "garbage").string(), 8192);
  fs::rename(dir_.path() / "garbage", db_path());
  EXPECT_TRUE(contains(b->verify(joe, Secret("correct horse"), "").detail, "not a database"));

  // A new database moved into place is read from the next request on.
  {
    UsersDatabase fresh((dir_.path() / "fresh.db").string());
    fresh.add("joe", "example.com", encode("SSHA", "new horse"));
  }
  fs::rename(dir_.path() / "fresh.db", db_path());
  EXPECT_EQ(b->verify(joe, Secret("new horse"), "").kind, VerdictKind::Accept);
  EXPECT_EQ(b->verify(joe, Secret("correct horse"), "").reason, RejectReason::WrongPassword);
  EXPECT_EQ(b->exists({"ann", "example.com"}).kind, VerdictKind::UnknownName);
  const auto log = log_text();
  EXPECT_TRUE(contains(log, "No such file or directory; its requests answer FAILURE"));
  EXPECT_TRUE(contains(log, "reads again"));
}

TEST_F(Sql, QueriesSQLiteRefusesOrThatAreNotOneSelectAreConfigErrors) {
  make_users();
  const std::pair<std::string, std::string> cases[] = {
      {"SELECT password FROM users WHERE name = :user", "unknown parameter :user"},
      {"SELECT password FROM users WHERE name = :name AND domain = @domain", "unknown parameter @domain"},
      {"SELECT password FROM users WHERE name = ? AND domain = ?", "positional parameter"},
      {"SELECT password FROM users WHERE name = ?1", "positional parameter"},
      {"SELECT password FROM users WHERE domain = :domain", "neither :name nor :address"},
      {"SELECT password FROM users", "neither :name nor :address"},
      {"SELEC password FROM users WHERE name = :name", "does not prepare"},
      {"SELECT password FROM people WHERE name = :name", "no such table: people"},
      {"SELECT secret FROM users WHERE name = :name", "no such column: secret"},
      {"SELECT enabled, password FROM users WHERE name = :name", "first column"},
      {"SELECT password, enabled, enabled FROM users WHERE name = :name", "two columns named enabled"},
      {"SELECT password FROM users WHERE name = :name; SELECT 1", "more than one statement"},
      {"SELECT password FROM users WHERE name = :name; DROP TABLE users", "more than one statement"},
      {"DELETE FROM users WHERE name = :name", "would change the database"},
      {"EXPLAIN SELECT password FROM users WHERE name = :name", "not EXPLAIN"},
      {"", "empty"},
      {"  -- nothing\n", "empty"},
  };
  for (const auto& [query, expected] : cases) {
    const auto message = config_error(Options().query(query), "query");
    EXPECT_TRUE(contains(message, expected)) << query << ": " << message;
  }
  // Trailing blanks, semicolons and comments are not a second statement.
  EXPECT_NO_THROW(
      backend(Options().query("SELECT password FROM users WHERE name = :name AND domain = :domain; -- end\n")));

  // Through the configuration loader: the file, line and key are named.
  try {
    EngineHarness h("[[backend]]\nname = \"db\"\ntype = \"sql\"\npath = \"" + db_path() +
                    "\"\nquery = \"SELECT password FROM users WHERE name = :user\"\n"
                    "[[route]]\ndomains = [\"*\"]\nbackends = [\"db\"]\n");
    ADD_FAILURE() << "started";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), "query: unknown parameter :user")) << e.what();
  }
}

TEST_F(Sql, MoreThanOneRowIsAFailureNeverAChoice) {
  SQLite::Database db(db_path(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec("CREATE TABLE dup (name TEXT, domain TEXT, password TEXT)");
  SQLite::Statement insert(db, "INSERT INTO dup VALUES ('joe', 'example.com', ?)");
  for (const char* password : {"first", "second"}) {
    insert.bind(1, encode("SSHA", password));
    insert.exec();
    insert.reset();
  }
  auto b = backend(Options().query("SELECT password FROM dup WHERE name = :name AND domain = :domain"));
  for (const char* password : {"first", "second", "neither"}) {
    const auto verdict = b->verify({"joe", "example.com"}, Secret(password), "");
    EXPECT_EQ(verdict.kind, VerdictKind::TempFail) << password;
    EXPECT_TRUE(contains(verdict.detail, "more than one row for joe@example.com"));
  }
  Secret stored;
  EXPECT_EQ(b->credentials({"joe", "example.com"}, stored).kind, VerdictKind::TempFail);
  EXPECT_TRUE(stored.empty());
  EXPECT_EQ(b->exists({"joe", "example.com"}).kind, VerdictKind::TempFail);
  EXPECT_TRUE(contains(log_text(), "query returned more than one row for joe@example.com"));
}

TEST_F(Sql, PatternCharactersInNamesMatchNothingElse) {
  make_users();
  auto b = backend();
  for (const char* name : {"%", "_", "_oe", "j_e", "jo%", "%oe", "j%", "under%", "under_scor_", "under-score",
                           "underXscore", "*", "joe%", "joe_"}) {
    EXPECT_EQ(b->verify({name, "example.com"}, Secret("correct horse"), "").kind, VerdictKind::UnknownName) << name;
    EXPECT_EQ(b->verify({name, "example.com"}, Secret("low line"), "").kind, VerdictKind::UnknownName) << name;
    EXPECT_EQ(b->exists({name, "example.com"}).kind, VerdictKind::UnknownName) << name;
  }
  EXPECT_EQ(b->verify({"joe", "%"}, Secret("correct horse"), "").kind, VerdictKind::UnknownName);
  EXPECT_EQ(b->verify({"joe", "example._om"}, Secret("correct horse"), "").kind, VerdictKind::UnknownName);
  EXPECT_EQ(b->verify({"under_score", "example.com"}, Secret("low line"), "").kind, VerdictKind::Accept);
  EXPECT_FALSE(contains(log_text(), "never compare names that way"));
}

// Why the documentation forbids LIKE: the same bound names, with a query
// someone wrote with LIKE, reach other accounts.
TEST_F(Sql, ALikeQueryWouldWidenTheMatchWhichIsWhyItIsForbidden) {
  make_users();
  auto b = backend(Options().query("SELECT password, enabled FROM users WHERE name LIKE :name AND domain = :domain"));
  EXPECT_TRUE(contains(log_text(), "the query uses LIKE, GLOB, REGEXP or MATCH; never compare names that way"));
  // "j_e" and "jo%" are checked against joe's password and let in.
  EXPECT_EQ(b->verify({"j_e", "example.com"}, Secret("correct horse"), "").kind, VerdictKind::Accept);
  EXPECT_EQ(b->verify({"jo%", "example.com"}, Secret("correct horse"), "").kind, VerdictKind::Accept);
  // "%" matches every account; only the one-row rule keeps it from picking one.
  EXPECT_EQ(b->verify({"%", "example.com"}, Secret("correct horse"), "").kind, VerdictKind::TempFail);

  // The warning ignores the word inside a string literal or a comment.
  make_users((dir_.path() / "other.db").string());
  TempDir quiet_dir;
  Logger quiet_log({(quiet_dir.path() / "log").string(), LogLevel::Debug, false});
  EngineServices quiet(false, quiet_log);
  Settings settings({{"path", (dir_.path() / "other.db").string()},
                     {"query", std::string("SELECT password /* like */ FROM users WHERE name = :name AND "
                                           "domain = :domain AND 'like' <> 'glob' -- match")},
                     {"default_scheme", std::string()},
                     {"busy_timeout_ms", std::int64_t{1000}},
                     {"connections", std::int64_t{4}}});
  SqlBackend commented(BackendContext{"db", settings, quiet});
  quiet_log.flush();
  EXPECT_FALSE(contains(read_text_file(quiet_dir.path() / "log"), "LIKE"));
}

TEST_F(Sql, OneConnectionIsSharedSafelyByManyThreads) {
  make_users();
  auto b = backend(Options().connections(1));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const bool right = (i + t) % 2 == 0;
        const auto verdict = b->verify({"joe", "example.com"}, Secret(right ? "correct horse" : "nope"), "");
        if (verdict.kind != (right ? VerdictKind::Accept : VerdictKind::Reject)) ++wrong;
      }
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_F(Sql, ManyConcurrentRequestsThroughTheEngineAreAllAnsweredCorrectly) {
  {
    UsersDatabase db(db_path());
    db.db().exec("BEGIN");
    for (int i = 0; i < 100; ++i)
      db.add("user" + std::to_string(i), "example.com",
             encode(i % 10 == 0 ? "SHA512-CRYPT" : "SSHA", "pw " + std::to_string(i)), i % 17 != 3);
    db.db().exec("COMMIT");
  }
  EngineHarness h("[authd]\nworkers = 4\nrequest_timeout_ms = 120000\n[[backend]]\nname = \"db\"\ntype = \"sql\"\n"
                  "path = \"" + db_path() + "\"\n[[route]]\ndomains = [\"*\"]\nbackends = [\"db\"]\n");
  std::map<std::string, std::string> expected;
  std::string batch;
  std::mt19937 random(7);
  for (int seq = 1; seq <= 1000; ++seq) {
    const int user = static_cast<int>(random() % 110);  // 100 to 109 do not exist
    const int kind = static_cast<int>(random() % 4);
    const std::string name = "user" + std::to_string(user) + "@example.com";
    const bool disabled = user < 100 && user % 17 == 3;
    std::string line = std::to_string(seq);
    if (kind == 3) {
      line += " NEW " + name;
      expected[std::to_string(seq)] = user < 100 ? "OK" : "ERROR this account is not known";
    } else {
      const bool right = kind != 0;
      line += " VRFY (IMAP) " + name + " \"pw " + std::to_string(right ? user : user + 1) + "\"";
      expected[std::to_string(seq)] = right && user < 100 && !disabled ? "OK" : uniform;
    }
    batch += line + "\n";
  }
  h.send(batch);
  const std::size_t total = expected.size();
  std::size_t answered = 0;
  for (std::size_t i = 0; i < total; ++i) {
    const auto line = h.read_line(60s);
    ASSERT_TRUE(line) << "answers stopped after " << answered;
    const auto space = line->find(' ');
    const std::string seq = line->substr(0, space);
    ASSERT_TRUE(expected.count(seq)) << *line;
    EXPECT_EQ(line->substr(space + 1), expected[seq]) << "request " << seq;
    expected.erase(seq);
    ++answered;
  }
  EXPECT_EQ(answered, 1000u);
  EXPECT_TRUE(expected.empty());
}

TEST_F(Sql, PasswordsAndStoredValuesNeverReachTheLog) {
  const std::string joe_stored = encode("SSHA", "Sekr3t-joe-PW");
  {
    UsersDatabase db(db_path());
    db.add("joe", "example.com", joe_stored);
    db.add("off", "example.com", encode("SSHA", "Sekr3t-off-PW"), false);
    db.add("bare", "example.com", "Sekr3t-bare-PW");
  }
  const std::string dup_path = (dir_.path() / "dup.db").string();
  {
    SQLite::Database dup(dup_path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    dup.exec("CREATE TABLE u (name TEXT, domain TEXT, password TEXT, enabled)");
    dup.exec("INSERT INTO u VALUES ('twice', 'dup.test', '{PLAIN}Sekr3t-dup-PW', 1), "
             "('twice', 'dup.test', '{PLAIN}Sekr3t-dup-PW', 1), ('odd', 'dup.test', '{PLAIN}Sekr3t-odd-PW', 'maybe')");
  }
  EngineHarness h("[authd]\nworkers = 2\nallow_weak_schemes = true\nhide_unknown = false\n"
                  "[[backend]]\nname = \"db\"\ntype = \"sql\"\npath = \"" + db_path() +
                  "\"\ndefault_scheme = \"PLAIN\"\nbusy_timeout_ms = 100\n"
                  "[[backend]]\nname = \"dup\"\ntype = \"sql\"\npath = \"" + dup_path +
                  "\"\nquery = \"SELECT password, enabled FROM u WHERE name = :name AND domain = :domain\"\n"
                  "[[route]]\ndomains = [\"dup.test\"]\nbackends = [\"dup\"]\n"
                  "[[route]]\ndomains = [\"*\"]\nbackends = [\"db\"]\n");
  EXPECT_EQ(h.ask("1 VRFY joe@example.com Sekr3t-joe-PW"), "1 OK");
  EXPECT_EQ(h.ask("2 VRFY joe@example.com Sekr3t-wrong-PW"), "2 ERROR incorrect password");
  EXPECT_EQ(h.ask("3 VRFY off@example.com Sekr3t-off-PW"), "3 ERROR account is disabled");
  EXPECT_EQ(h.ask("4 VRFY bare@example.com Sekr3t-bare-PW"), "4 OK");
  EXPECT_EQ(h.ask("5 VRFY twice@dup.test Sekr3t-dup-PW"), "5 FAILURE temporarily unavailable");
  EXPECT_EQ(h.ask("6 VRFY odd@dup.test Sekr3t-odd-PW"), "6 FAILURE temporarily unavailable");
  {
    SQLite::Database writer(db_path(), SQLite::OPEN_READWRITE);
    writer.exec("BEGIN EXCLUSIVE");
    EXPECT_EQ(h.ask("7 VRFY joe@example.com Sekr3t-joe-PW"), "7 FAILURE temporarily unavailable");
    writer.exec("COMMIT");
  }
  write_random_bytes(db_path(), 8192);
  EXPECT_EQ(h.ask("8 VRFY joe@example.com Sekr3t-joe-PW"), "8 FAILURE temporarily unavailable");
  EXPECT_EQ(h.ask("9 NEW joe@example.com"), "9 FAILURE temporarily unavailable");

  const auto log = h.log_text();
  EXPECT_TRUE(contains(log, "query returned more than one row for twice@dup.test"));
  EXPECT_TRUE(contains(log, "column enabled of odd@dup.test"));
  EXPECT_TRUE(contains(log, "database is locked"));
  EXPECT_TRUE(contains(log, "file is not a database"));
  EXPECT_FALSE(contains(log, "Sekr3t")) << log;
  EXPECT_FALSE(contains(log, joe_stored.substr(6))) << log;
}

TEST_F(Sql, TheExampleConfigurationAndSchemaWork) {
  std::string toml = read_text_file(sql_example_dir() / "authd.toml");
  const std::string relative = "path = \"users.db\"";
  const auto at = toml.find(relative);
  ASSERT_NE(at, std::string::npos);
  toml.replace(at, relative.size(), "path = \"" + db_path() + "\"");
  {
    UsersDatabase db(db_path());
    db.add("joe", "example.com", encode("SHA512-CRYPT", "correct horse"));
    EXPECT_THROW(db.add("Ann", "example.com", encode("SSHA", "x")), SQLite::Exception);  // lower case only
    EXPECT_THROW(db.add("joe", "example.com", encode("SSHA", "x")), SQLite::Exception);  // one row per account
  }
  EngineHarness h(toml);
  EXPECT_EQ(h.ask("1 VRFY Joe@Example.COM \"correct horse\""), "1 OK");
  EXPECT_EQ(h.ask("2 VRFY jo%@example.com \"correct horse\""), "2 " + uniform);
  EXPECT_FALSE(contains(h.log_text(), "never compare names that way"));
}

}  // namespace
}  // namespace authd::testing
