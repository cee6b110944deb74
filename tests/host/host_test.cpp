// The host's data directory and administrative operations: rights checks,
// bad input, and faults of the directory.
#include <sys/wait.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "host_test_support.hpp"

namespace authd::host {
namespace {

using testing::make_host;
using testing::postmaster;
using testing::TempDir;

std::string read(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Host, InitMakesTheMainDomainAndAnUnlimitedPostmaster) {
  TempDir dir;
  auto host = make_host(dir);
  EXPECT_EQ(host->main_domain(), "example.com");
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "data" / "authhost.sqlite"));
  const std::string rights = read(host->access_file("example.com"));
  EXPECT_NE(rights.find("postmaster = CanModifyAccessRights"), std::string::npos) << rights;
  const auto got = host->get_rights(postmaster(), "postmaster@example.com");
  ASSERT_TRUE(got.ok()) << got.status.message;
  EXPECT_TRUE(got.value.grants(Right::ModifyServerSettings));
  EXPECT_EQ(testing::login(*host, "PostMaster@Example.COM", testing::postmaster_password).status, LoginStatus::Accepted);
  // A second init refuses to touch it.
  const Status again = Host::init(dir.path() / "data", "other.org", Secret("x"));
  EXPECT_EQ(again.code, ErrorCode::AlreadyExists);
  EXPECT_EQ(Host::open(dir.path() / "data")->main_domain(), "example.com");
}

TEST(Host, InitRefusesBadDomainsAndUnwritablePlaces) {
  TempDir dir;
  EXPECT_EQ(Host::init(dir.path() / "a", "not a domain", Secret("x")).code, ErrorCode::InvalidName);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "a" / "authhost.sqlite"));
  // Running as root, a chmod'ed directory stays writable; a path below a
  // regular file cannot be created by anyone.
  std::ofstream(dir.path() / "file") << "x";
  const Status status = Host::init(dir.path() / "file" / "data", "example.com", Secret("x"));
  EXPECT_EQ(status.code, ErrorCode::Storage);
  EXPECT_NE(status.message.find((dir.path() / "file" / "data").string()), std::string::npos) << status.message;
}

TEST(Host, OpeningAMissingDirectorySaysHowToCreateIt) {
  TempDir dir;
  try {
    Host::open(dir.path() / "nothing");
    FAIL() << "opened a missing data directory";
  } catch (const HostError& e) {
    EXPECT_NE(std::string(e.what()).find("init --main-domain"), std::string::npos) << e.what();
  }
  std::filesystem::create_directories(dir.path() / "empty");
  EXPECT_THROW(Host::open(dir.path() / "empty"), HostError);
  // Not a database at all.
  std::filesystem::create_directories(dir.path() / "junk");
  std::ofstream(dir.path() / "junk" / "authhost.sqlite") << std::string(4096, 'j');
  try {
    Host::open(dir.path() / "junk");
    FAIL() << "opened a file that is no database";
  } catch (const HostError& e) {
    EXPECT_NE(std::string(e.what()).find("authhost.sqlite"), std::string::npos) << e.what();
  }
}

// As root, chmod does not make a file unwritable; a directory where SQLite
// must create its write-ahead log does, for anyone.
TEST(Host, ADatabaseThatCannotBeWrittenIsAClearError) {
  TempDir dir;
  { make_host(dir); }
  const auto wal = dir.path() / "data" / "authhost.sqlite-wal";
  ASSERT_FALSE(std::filesystem::exists(wal));
  std::filesystem::create_directory(wal);
  try {
    Host::open(dir.path() / "data");
    FAIL() << "opened a database whose log cannot be written";
  } catch (const HostError& e) {
    EXPECT_NE(std::string(e.what()).find("authhost.sqlite"), std::string::npos) << e.what();
  }
  std::filesystem::remove(wal);
  auto host = Host::open(dir.path() / "data");
  EXPECT_EQ(host->store().integrity_check(), "ok");
  EXPECT_TRUE(host->store().account_exists("example.com", "postmaster"));
}

TEST(Host, DomainsAndAccountsAreCreatedAndRemoved) {
  TempDir dir;
  auto host = make_host(dir);
  const auto pm = postmaster();
  ASSERT_TRUE(host->create_domain(pm, "Other.ORG").ok());
  EXPECT_EQ(host->create_domain(pm, "other.org").code, ErrorCode::AlreadyExists);
  EXPECT_TRUE(std::filesystem::exists(host->access_file("other.org")));
  const Secret password("pw");
  ASSERT_TRUE(host->create_account(pm, "Bob@Other.org", &password).ok());
  EXPECT_EQ(host->create_account(pm, "bob@other.org", nullptr).code, ErrorCode::AlreadyExists);
  EXPECT_EQ(host->create_account(pm, "bob@nowhere.org", nullptr).code, ErrorCode::NotFound);
  EXPECT_EQ(host->list_accounts(pm, "other.org").value, std::vector<std::string>{"bob"});
  EXPECT_EQ(testing::login(*host, "bob@other.org", "pw").status, LoginStatus::Accepted);
  ASSERT_TRUE(host->delete_account(pm, "bob@other.org").ok());
  EXPECT_EQ(host->delete_account(pm, "bob@other.org").code, ErrorCode::NotFound);
  ASSERT_TRUE(host->delete_domain(pm, "other.org").ok());
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "data" / "Domains" / "other.org"));
  EXPECT_EQ(host->delete_domain(pm, "example.com").code, ErrorCode::InvalidValue);
  EXPECT_EQ(host->delete_account(pm, "postmaster@example.com").code, ErrorCode::InvalidValue);
}

TEST(Host, NamesOutsideTheAllowedSetAreRefused) {
  TempDir dir;
  auto host = make_host(dir);
  const auto pm = postmaster();
  for (const char* bad : {"../etc", "a b.com", "x/y", "", "-a.com"}) {
    const Status s = host->create_domain(pm, bad);
    EXPECT_EQ(s.code, ErrorCode::InvalidName) << bad;
    EXPECT_NE(s.message.find("DNS labels"), std::string::npos) << s.message;
  }
  for (const char* bad : {"a b@example.com", "a/b@example.com", "a=b@example.com", "noat", "a@b@example.com",
                          ".a@example.com"})
    EXPECT_EQ(host->create_account(pm, bad, nullptr).code, ErrorCode::InvalidName) << bad;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "etc"));
}

TEST(Host, SettingsInheritAndAreChecked) {
  TempDir dir;
  auto host = make_host(dir);
  const auto pm = postmaster();
  ASSERT_TRUE(host->create_account(pm, "joe@example.com", nullptr).ok());
  ASSERT_TRUE(host->update_settings(pm, {}, {{"RequireSecureMethod", "yes"}}).ok());
  ASSERT_TRUE(host->update_settings(pm, {"example.com", ""}, {{"OSUserName", "*%comp1"}}).ok());
  const auto got = host->get_settings(pm, {"example.com", "joe"});
  ASSERT_TRUE(got.ok()) << got.status.message;
  std::map<std::string, SettingView> by_name;
  for (const auto& v : got.value) by_name[v.name] = v;
  EXPECT_EQ(by_name["RequireSecureMethod"].value, "true");
  EXPECT_EQ(by_name["RequireSecureMethod"].origin, "server");
  EXPECT_EQ(by_name["OSUserName"].value, "*%comp1");
  EXPECT_EQ(by_name["OSUserName"].origin, "domain");
  EXPECT_EQ(by_name.count("HideUnknownAccounts"), 0u);  // not an account setting
  ASSERT_TRUE(host->update_settings(pm, {"example.com", "joe"}, {{"RequireSecureMethod", "no"}}).ok());
  EXPECT_FALSE(host->effective("example.com", "joe").boolean("RequireSecureMethod"));
  ASSERT_TRUE(host->update_settings(pm, {"example.com", "joe"}, {{"RequireSecureMethod", std::nullopt}}).ok());
  EXPECT_TRUE(host->effective("example.com", "joe").boolean("RequireSecureMethod"));

  // Nothing of a bad update is written.
  const Status bad = host->update_settings(pm, {}, {{"FailedLoginLimit", "7"}, {"HideUnknownAccounts", "perhaps"}});
  EXPECT_EQ(bad.code, ErrorCode::InvalidValue);
  EXPECT_EQ(host->effective({}, {}).integer("FailedLoginLimit"), 5);
  EXPECT_EQ(host->update_settings(pm, {}, {{"NoSuchThing", "1"}}).code, ErrorCode::InvalidValue);
  EXPECT_EQ(host->update_settings(pm, {"example.com", ""}, {{"HideUnknownAccounts", "no"}}).code, ErrorCode::InvalidValue);
  EXPECT_EQ(host->update_settings(pm, {}, {{"Password", "x"}}).code, ErrorCode::InvalidValue);
  EXPECT_EQ(host->update_settings(pm, {"example.com", "ghost"}, {{"OSUserName", "*"}}).code, ErrorCode::NotFound);
}

class Rights : public ::testing::Test {
 protected:
  void SetUp() override {
    host = make_host(dir);
    const auto pm = postmaster();
    ASSERT_TRUE(host->create_domain(pm, "other.org").ok());
    for (const char* a : {"admin@example.com", "monitor@example.com", "plain@example.com", "master@other.org",
                          "user@other.org", "user@example.com"})
      ASSERT_TRUE(host->create_account(pm, a, nullptr).ok()) << a;
    ASSERT_TRUE(host->set_rights(pm, "admin@example.com", RightSet(Right::ModifyUserAccounts)).ok());
    ASSERT_TRUE(host->set_rights(pm, "monitor@example.com", RightSet(Right::MonitorServer)).ok());
    ASSERT_TRUE(host->set_rights(pm, "master@other.org", RightSet(Right::ModifyThisDomain)).ok());
  }
  TempDir dir;
  std::unique_ptr<Host> host;
  const Address admin{"admin", "example.com"}, monitor{"monitor", "example.com"}, plain{"plain", "example.com"},
      master{"master", "other.org"}, user{"user", "other.org"}, ghost{"ghost", "example.com"};
};

TEST_F(Rights, EachOperationChecksTheCallerFirst) {
  const Secret pw("x");
  // CanModifyUserAccounts: domains and every domain's accounts.
  EXPECT_TRUE(host->create_domain(admin, "third.net").ok());
  EXPECT_TRUE(host->create_account(admin, "new@other.org", &pw).ok());
  // A domain master: its own domain only, and no domains.
  EXPECT_TRUE(host->create_account(master, "made@other.org", &pw).ok());
  EXPECT_TRUE(host->update_settings(master, {"other.org", ""}, {{"RequireSecureMethod", "true"}}).ok());
  const Status cross = host->create_account(master, "made@example.com", &pw);
  EXPECT_EQ(cross.code, ErrorCode::PermissionDenied);
  EXPECT_NE(cross.message.find("master@other.org may not change domain example.com"), std::string::npos)
      << cross.message;
  EXPECT_EQ(host->create_domain(master, "fourth.net").code, ErrorCode::PermissionDenied);
  EXPECT_EQ(host->update_settings(master, {}, {{"HideUnknownAccounts", "no"}}).code, ErrorCode::PermissionDenied);
  // No rights at all.
  for (const Address& who : {plain, user, ghost}) {
    EXPECT_EQ(host->create_account(who, "x@other.org", &pw).code, ErrorCode::PermissionDenied) << who.full();
    EXPECT_EQ(host->delete_account(who, "user@example.com").code, ErrorCode::PermissionDenied) << who.full();
    EXPECT_EQ(host->set_password(who, "user@example.com", pw).code, ErrorCode::PermissionDenied) << who.full();
    EXPECT_EQ(host->get_settings(who, {}).status.code, ErrorCode::PermissionDenied) << who.full();
    EXPECT_EQ(host->lockout_state(who).status.code, ErrorCode::PermissionDenied) << who.full();
    EXPECT_EQ(host->unlock(who, "user@example.com").code, ErrorCode::PermissionDenied) << who.full();
  }
  // Monitoring: read the server's settings and the lockout state, change nothing.
  EXPECT_TRUE(host->get_settings(monitor, {}).ok());
  EXPECT_TRUE(host->lockout_state(monitor).ok());
  EXPECT_EQ(host->update_settings(monitor, {}, {{"HideUnknownAccounts", "no"}}).code, ErrorCode::PermissionDenied);
  const Status lacking = host->create_domain(monitor, "x.net");
  EXPECT_NE(lacking.message.find("lacks the right CanModifyUserAccounts"), std::string::npos) << lacking.message;
  // Server settings need their own right.
  EXPECT_EQ(host->update_settings(admin, {}, {{"HideUnknownAccounts", "no"}}).code, ErrorCode::PermissionDenied);
}

TEST_F(Rights, OnlyUnlimitedAccessChangesRights) {
  for (const Address& who : {admin, monitor, master, plain}) {
    const Status s = host->set_rights(who, "plain@example.com", RightSet(Right::MonitorServer));
    EXPECT_EQ(s.code, ErrorCode::PermissionDenied) << who.full();
  }
  EXPECT_EQ(host->set_rights(master, "user@other.org", RightSet(Right::ModifyThisDomain)).code,
            ErrorCode::PermissionDenied);
  // Main-domain rights go to main-domain accounts only.
  EXPECT_EQ(host->set_rights(postmaster(), "user@other.org", RightSet(Right::MonitorServer)).code,
            ErrorCode::InvalidValue);
  // Granting unlimited access grants everything.
  ASSERT_TRUE(host->set_rights(postmaster(), "plain@example.com", RightSet(Right::ModifyAccessRights)).ok());
  EXPECT_TRUE(host->set_rights(plain, "monitor@example.com", RightSet()).ok());
  EXPECT_EQ(host->lockout_state(monitor).status.code, ErrorCode::PermissionDenied);
  EXPECT_TRUE(host->update_settings(plain, {}, {{"HideUnknownAccounts", "no"}}).ok());
  // The file says it for a person to read.
  const std::string text = read(host->access_file("example.com"));
  EXPECT_NE(text.find("plain = CanModifyAccessRights"), std::string::npos) << text;
  EXPECT_EQ(text.find("monitor ="), std::string::npos) << text;
  // A domain master may read its own domain's rights.
  EXPECT_TRUE(host->get_rights(master, "user@other.org").ok());
  EXPECT_EQ(host->get_rights(master, "plain@example.com").status.code, ErrorCode::PermissionDenied);
}

TEST_F(Rights, ACorruptAccessFileStopsThatDomainOnly) {
  const auto file = host->access_file("other.org");
  std::ofstream(file, std::ios::app) << "this line is not a right\n";
  const Status s = host->create_account(master, "x@other.org", nullptr);
  EXPECT_EQ(s.code, ErrorCode::CorruptRights);
  EXPECT_NE(s.message.find(file.string() + ":"), std::string::npos) << s.message;
  EXPECT_EQ(host->set_rights(postmaster(), "user@other.org", RightSet(Right::ModifyThisDomain)).code,
            ErrorCode::CorruptRights);
  EXPECT_EQ(host->delete_account(postmaster(), "user@other.org").code, ErrorCode::CorruptRights);
  EXPECT_TRUE(host->store().account_exists("other.org", "user"));
  // The main domain's administrators are not affected.
  EXPECT_TRUE(host->create_account(admin, "y@other.org", nullptr).ok());
}

TEST_F(Rights, AnUnwritableAccessFileLosesNothing) {
  const auto file = host->access_file("example.com");
  const std::string before = read(file);
  std::filesystem::create_directory(file.string() + ".tmp");
  const Status s = host->set_rights(postmaster(), "plain@example.com", RightSet(Right::MonitorServer));
  EXPECT_EQ(s.code, ErrorCode::CorruptRights);
  EXPECT_NE(s.message.find("Access.settings.tmp"), std::string::npos) << s.message;
  EXPECT_EQ(read(file), before);
  // Removing an account whose rights cannot be rewritten leaves the account.
  EXPECT_FALSE(host->delete_account(postmaster(), "admin@example.com").ok());
  EXPECT_TRUE(host->store().account_exists("example.com", "admin"));
}

TEST(Host, AnUnwritableDomainDirectoryLeavesNoDomainBehind) {
  TempDir dir;
  auto host = make_host(dir);
  // A regular file where the new domain's directory must go.
  std::ofstream(dir.path() / "data" / "Domains" / "new.org") << "in the way";
  const Status s = host->create_domain(postmaster(), "new.org");
  EXPECT_EQ(s.code, ErrorCode::Storage);
  EXPECT_NE(s.message.find("new.org"), std::string::npos) << s.message;
  EXPECT_FALSE(host->store().domain_exists("new.org"));
}

TEST(Host, AMissingAccessFileIsReportedNotTakenAsNoRights) {
  TempDir dir;
  auto host = make_host(dir);
  const Secret pw("x");
  ASSERT_TRUE(host->create_account(postmaster(), "admin@example.com", &pw).ok());
  ASSERT_TRUE(host->set_rights(postmaster(), "admin@example.com", RightSet(Right::ModifyUserAccounts)).ok());
  std::filesystem::remove(host->access_file("example.com"));
  const Address admin{"admin", "example.com"};
  const Status s = host->create_domain(admin, "new.org");
  EXPECT_EQ(s.code, ErrorCode::CorruptRights);
  EXPECT_NE(s.message.find("Access.settings is missing"), std::string::npos) << s.message;
  // postmaster of the main domain holds unlimited access whatever the file
  // says, and setting a right writes the missing file anew.
  EXPECT_TRUE(host->create_domain(postmaster(), "new.org").ok());
  ASSERT_TRUE(host->set_rights(postmaster(), "admin@example.com", RightSet(Right::ModifyUserAccounts)).ok());
  const std::string text = read(host->access_file("example.com"));
  EXPECT_NE(text.find("postmaster = CanModifyAccessRights"), std::string::npos) << text;
  EXPECT_NE(text.find("admin = CanModifyUserAccounts"), std::string::npos) << text;
  EXPECT_TRUE(host->create_domain(admin, "newer.org").ok());
}

// A process killed while it writes leaves the database and the rights files
// readable and consistent.
TEST(Host, AKilledWriterLeavesAConsistentState) {
  TempDir dir;
  { make_host(dir); }
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto host = Host::open(dir.path() / "data");
    for (int i = 0;; ++i) {
      const std::string domain = "d" + std::to_string(i) + ".org";
      host->create_domain(postmaster(), domain);
      const Secret pw("x");
      host->create_account(postmaster(), "a@" + domain, &pw);
      host->set_rights(postmaster(), "a@" + domain, RightSet(Right::ModifyThisDomain));
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  auto host = Host::open(dir.path() / "data");
  EXPECT_EQ(host->store().integrity_check(), "ok");
  const auto domains = host->list_domains(postmaster());
  ASSERT_TRUE(domains.ok());
  EXPECT_GT(domains.value.size(), 1u);
  for (const auto& d : domains.value) {
    EXPECT_NO_THROW(read_access_file(host->access_file(d), d == "example.com")) << d;
  }
  EXPECT_TRUE(host->create_domain(postmaster(), "after.org").ok());
}

}  // namespace
}  // namespace authd::host
