// The host tried as an attacker and an administrator would: rights
// escalation through the accounts that hold them, settings that decide who
// checks passwords, file modes, the lockout across processes, its table and
// the clock, bounded durations, and what the log says about NEW.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "host_test_support.hpp"

#include "host/login/lockout.hpp"

namespace authd::host {
namespace {

using namespace std::chrono_literals;
using testing::make_host;
using testing::postmaster;
using testing::set;
using testing::TempDir;

const std::string host_helper = std::string(AUTHD_TEST_HELPERS) + "/host_helper.pl";

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

// Runs a shell command, its standard output in `output`; the exit status.
int run(const std::string& command, std::string& output) {
  output.clear();
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class Escalation : public ::testing::Test {
 protected:
  void SetUp() override {
    host = make_host(dir);
    const auto pm = postmaster();
    ASSERT_TRUE(host->create_domain(pm, "other.org").ok());
    for (const char* a : {"admin@example.com", "master@example.com", "rights@example.com", "monitor@example.com",
                          "plain@example.com", "master@other.org", "user@other.org"})
      ASSERT_TRUE(host->create_account(pm, a, &pw).ok()) << a;
    ASSERT_TRUE(host->set_rights(pm, "admin@example.com", RightSet(Right::ModifyUserAccounts)).ok());
    ASSERT_TRUE(host->set_rights(pm, "master@example.com", RightSet(Right::ModifyThisDomain)).ok());
    ASSERT_TRUE(host->set_rights(pm, "rights@example.com", RightSet(Right::ModifyAccessRights)).ok());
    ASSERT_TRUE(host->set_rights(pm, "monitor@example.com", RightSet(Right::MonitorServer)).ok());
    ASSERT_TRUE(host->set_rights(pm, "master@other.org", RightSet(Right::ModifyThisDomain)).ok());
  }
  TempDir dir;
  std::unique_ptr<Host> host;
  const Secret pw{"pw"};
  const Address admin{"admin", "example.com"}, main_master{"master", "example.com"},
      rights{"rights", "example.com"}, other_master{"master", "other.org"};
};

TEST_F(Escalation, NoOneChangesAnAccountHoldingRightsTheyLack) {
  const Secret stolen("stolen");
  for (const Address& who : {admin, main_master}) {
    SCOPED_TRACE(who.full());
    // The postmaster and a holder of unlimited access are out of reach ...
    for (const char* target : {"postmaster@example.com", "rights@example.com"}) {
      const Status s = host->set_password(who, target, stolen);
      EXPECT_EQ(s.code, ErrorCode::PermissionDenied) << target;
      EXPECT_TRUE(contains(s.message, "may not change")) << s.message;
      EXPECT_EQ(host->delete_account(who, target).code, ErrorCode::PermissionDenied) << target;
      const auto a = *parse_address(target);
      EXPECT_EQ(host->update_settings(who, {a.domain, a.name}, {{"UseAppPassword", "no"}}).code,
                ErrorCode::PermissionDenied)
          << target;
      EXPECT_EQ(host->unlock(who, target).code, ErrorCode::PermissionDenied) << target;
    }
    // ... and so is a monitor, whose right neither holds.
    EXPECT_EQ(host->set_password(who, "monitor@example.com", stolen).code, ErrorCode::PermissionDenied);
    // Their old passwords still work; the stolen one does not.
    EXPECT_EQ(testing::login(*host, "postmaster@example.com", "stolen").status, LoginStatus::Rejected);
    EXPECT_EQ(testing::login(*host, "postmaster@example.com", testing::postmaster_password).status,
              LoginStatus::Accepted);
    EXPECT_TRUE(host->store().account_exists("example.com", "rights"));
  }
  // Accounts without rights, and those whose rights the caller holds, stay
  // within reach.
  EXPECT_TRUE(host->set_password(admin, "plain@example.com", stolen).ok());
  EXPECT_TRUE(host->set_password(main_master, "plain@example.com", stolen).ok());
  EXPECT_TRUE(host->set_password(admin, "master@other.org", stolen).ok());  // CanModifyUserAccounts covers it
  EXPECT_TRUE(host->set_password(other_master, "user@other.org", stolen).ok());
  EXPECT_TRUE(host->set_password(main_master, "master@example.com", stolen).ok());  // itself
  // Unlimited access reaches everyone but the postmaster, whom only
  // unlimited access reaches too.
  EXPECT_TRUE(host->set_password(rights, "admin@example.com", stolen).ok());
  EXPECT_TRUE(host->set_password(rights, "postmaster@example.com", Secret(testing::postmaster_password)).ok());
  // Rights of the postmaster cannot be taken away.
  EXPECT_EQ(host->set_rights(rights, "postmaster@example.com", RightSet()).code, ErrorCode::InvalidValue);
}

TEST_F(Escalation, SettingsThatDecideLoginsNeedTheRightsOfEveryoneTheyReach) {
  // The main domain holds the postmaster: only unlimited access changes how
  // its accounts' passwords are checked, domain-wide or server-wide.
  for (const Address& who : {admin, main_master}) {
    const Status s = host->update_settings(who, {"example.com", ""}, {{"UseSystemPassword", "yes"}});
    EXPECT_EQ(s.code, ErrorCode::PermissionDenied) << who.full();
    EXPECT_TRUE(contains(s.message, "how passwords are checked")) << s.message;
  }
  // RequireSecureMethod too: administrators log in with a clear-text method,
  // so setting it for the main domain would lock them out.
  EXPECT_EQ(host->update_settings(admin, {"example.com", ""}, {{"RequireSecureMethod", "yes"}}).code,
            ErrorCode::PermissionDenied);
  EXPECT_TRUE(host->update_settings(admin, {"example.com", ""}, {{"PasswordEncryption", "clear"}}).ok());
  EXPECT_TRUE(host->update_settings(rights, {"example.com", ""}, {{"UseSystemPassword", "no"}}).ok());
  // other.org holds a domain master only: its own master, and admin, may.
  EXPECT_TRUE(host->update_settings(other_master, {"other.org", ""}, {{"UseExtPassword", "yes"}}).ok());
  EXPECT_TRUE(host->update_settings(admin, {"other.org", ""}, {{"UseExtPassword", "no"}}).ok());
  // Server-wide it reaches the postmaster.
  ASSERT_TRUE(host->set_rights(postmaster(), "admin@example.com",
                               RightSet(Right::ModifyUserAccounts).add(Right::ModifyServerSettings))
                  .ok());
  EXPECT_EQ(host->update_settings(admin, {}, {{"UseExtPassword", "yes"}}).code, ErrorCode::PermissionDenied);
  EXPECT_TRUE(host->update_settings(admin, {}, {{"FailedLoginLimit", "7"}}).ok());
}

TEST_F(Escalation, OsPasswordSettingsAreNeverChangedOverTheNetwork) {
  ASSERT_TRUE(host->set_rights(postmaster(), "admin@example.com", RightSet(Right::ModifyServerSettings)).ok());
  // A PAM stack that starts with pam_rootok would let anyone in.
  for (const char* name : {"OSPasswordService", "ExternalAuthenticator", "OSUserMinUID"}) {
    for (const Address& who : {admin, postmaster()}) {
      const Status s = host->update_settings(who, {}, {{name, "su"}});
      EXPECT_EQ(s.code, ErrorCode::PermissionDenied) << name << " " << who.full();
      EXPECT_TRUE(contains(s.message, "command line only")) << s.message;
    }
  }
  EXPECT_EQ(host->effective("", "").text("OSPasswordService"), "authd");
  // On the command line: a plain file name under the PAM directory only.
  for (const char* bad : {"../../tmp/evil", "/etc/pam.d/su", "no-such-service-here", ".", ".."}) {
    const Status s =
        host->update_settings(postmaster(), {}, {{"OSPasswordService", bad}}, ChangeOrigin::CommandLine);
    EXPECT_EQ(s.code, ErrorCode::InvalidValue) << bad;
    EXPECT_TRUE(contains(s.message, "OSPasswordService")) << s.message;
  }
  EXPECT_TRUE(host->update_settings(postmaster(), {}, {{"OSPasswordService", "login"}}, ChangeOrigin::CommandLine)
                  .ok());
  {
    std::ofstream(dir.path() / "mine") << "auth required pam_deny.so\n";
    EXPECT_EQ(check_pam_service("mine", dir.path()), "");
    EXPECT_NE(check_pam_service("other", dir.path()), "");
  }
}

TEST_F(Escalation, OsUserNamesOfRootAndSystemAccountsAreRefused) {
  // root (uid 0) and daemon (uid 1) are in every Debian user database. A
  // template that makes the account oot the OS user root:
  ASSERT_TRUE(host->create_account(other_master, "oot@other.org", &pw).ok());
  const Status as_root = host->update_settings(admin, {"other.org", "oot"}, {{"OSUserName", "r*"}});
  EXPECT_EQ(as_root.code, ErrorCode::PermissionDenied);
  EXPECT_TRUE(contains(as_root.message, "OSUserMinUID")) << as_root.message;
  EXPECT_TRUE(contains(as_root.message, "OS user root (uid 0)")) << as_root.message;
  // A domain-wide template that makes accounts named root or daemon those users.
  ASSERT_TRUE(host->create_account(other_master, "root@other.org", &pw).ok());
  EXPECT_EQ(host->update_settings(other_master, {"other.org", ""}, {{"OSUserName", "*"}}).code,
            ErrorCode::PermissionDenied);
  ASSERT_TRUE(host->delete_account(other_master, "root@other.org").ok());
  ASSERT_TRUE(host->create_account(other_master, "daemon@other.org", &pw).ok());
  EXPECT_EQ(host->update_settings(other_master, {"other.org", ""}, {{"OSUserName", "*"}}).code,
            ErrorCode::PermissionDenied);
  ASSERT_TRUE(host->delete_account(other_master, "daemon@other.org").ok());
  EXPECT_TRUE(host->update_settings(other_master, {"other.org", ""}, {{"OSUserName", "*"}}).ok());
  ASSERT_TRUE(host->create_account(other_master, "root@other.org", &pw).ok());
  // A name that breaks the template rules is refused at set time, from anywhere.
  EXPECT_EQ(host->update_settings(postmaster(), {"other.org", "user"}, {{"OSUserName", "a b*"}},
                                  ChangeOrigin::CommandLine)
                .code,
            ErrorCode::InvalidValue);
  EXPECT_TRUE(host->update_settings(other_master, {"other.org", "user"}, {{"OSUserName", "*%comp1"}}).ok());
  // And at login, whatever the template: root never logs in with an OS password.
  ASSERT_TRUE(set(*host, {"other.org", "root"}, "UseSystemPassword", "yes").ok());
  ASSERT_TRUE(set(*host, {"other.org", "root"}, "UseAppPassword", "no").ok());
  const auto r = testing::login(*host, "root@other.org", "anything");
  EXPECT_EQ(r.status, LoginStatus::Rejected);
  EXPECT_TRUE(contains(r.detail, "below OSUserMinUID")) << r.detail;
}

TEST(DataDirectory, IsTheHostUsersAlone) {
  TempDir dir;
  const mode_t old = ::umask(022);
  const auto data = dir.path() / "data";
  {
    auto host = make_host(dir);
    ASSERT_TRUE(host->create_domain(postmaster(), "other.org").ok());
    const Secret pw("x");
    ASSERT_TRUE(host->create_account(postmaster(), "a@other.org", &pw).ok());
    ASSERT_TRUE(host->set_rights(postmaster(), "a@other.org", RightSet(Right::ModifyThisDomain)).ok());
  }
  ::umask(old);
  EXPECT_EQ(mode_of(data), 0700u);
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(data)) {
    ++files;
    EXPECT_EQ(mode_of(entry.path()) & 077, 0u) << entry.path();
  }
  EXPECT_GE(files, 6u);
  EXPECT_EQ(mode_of(data / "authhost.sqlite"), 0600u);
  EXPECT_EQ(mode_of(data / "Domains" / "other.org" / "Settings" / "Access.settings"), 0600u);
  // Wider modes are refused at start, with the fix.
  ::chmod((data / "authhost.sqlite").c_str(), 0644);
  try {
    Host::open(data);
    ADD_FAILURE() << "a world-readable store was opened";
  } catch (const HostError& e) {
    EXPECT_TRUE(contains(e.what(), "chmod -R go= " + data.string())) << e.what();
    EXPECT_TRUE(contains(e.what(), "authhost.sqlite")) << e.what();
  }
  ::chmod((data / "authhost.sqlite").c_str(), 0600);
  ::chmod(data.c_str(), 0755);
  EXPECT_THROW(Host::open(data), HostError);
  ::chmod(data.c_str(), 0700);
  EXPECT_NO_THROW(Host::open(data));
}

TEST(DataDirectory, InitNeedsAPostmasterPassword) {
  TempDir dir;
  const Status s = Host::init(dir.path() / "data", "example.com", Secret(""));
  EXPECT_EQ(s.code, ErrorCode::InvalidValue);
  EXPECT_TRUE(contains(s.message, "needs a password")) << s.message;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "data" / "authhost.sqlite"));
  std::string out;
  const std::string data = (dir.path() / "cli").string();
  EXPECT_EQ(run("printf '' | " + std::string(AUTHHOST_BINARY) + " --data " + data + " init --main-domain example.com",
                out),
            1)
      << out;
  EXPECT_TRUE(contains(out, "needs a password")) << out;
  EXPECT_EQ(run("printf 'pw\\n' | " + std::string(AUTHHOST_BINARY) + " --data " + data +
                    " init --main-domain example.com",
                out),
            0)
      << out;
}

TEST(Tool, VersionFromAndUnlock) {
  TempDir dir;
  { make_host(dir); }
  const std::string authhost = std::string(AUTHHOST_BINARY) + " --data " + (dir.path() / "data").string();
  std::string out;
  EXPECT_EQ(run(std::string(AUTHHOST_BINARY) + " --version", out), 0);
  EXPECT_EQ(out.rfind("authhost ", 0), 0u) << out;
  EXPECT_EQ(run("printf 'pm secret\\n' | " + authhost + " login postmaster@example.com --from notanip", out), 2);
  EXPECT_TRUE(contains(out, "--from notanip is not an IPv4 or IPv6 address")) << out;
  EXPECT_EQ(run(authhost + " unlock nobody@example.com", out), 0) << out;
  EXPECT_TRUE(contains(out, "nothing to lift")) << out;
  // A name cannot forge log lines or drive the terminal (ESC, U+2028, C1 CSI).
  EXPECT_EQ(run("printf 'x\\n' | " + authhost +
                    " -v login \"$(printf 'evil\\033[2J\\342\\200\\250\\302\\233x@example.com')\"",
                out),
            1)
      << out;
  EXPECT_TRUE(contains(out, "login (malformed name)")) << out;
  EXPECT_FALSE(contains(out, "\x1b")) << out;
  EXPECT_FALSE(contains(out, "\xe2\x80\xa8")) << out;
  EXPECT_FALSE(contains(out, "\xc2\x9b")) << out;
}

// Twenty processes at once, a limit of five: the store holds the
// reservations, so at most five passwords reach the helper.
TEST(LockoutAcrossProcesses, AtMostNPasswordsAreCheckedWhateverTheProcesses) {
  TempDir dir;
  const std::string counter = (dir.path() / "checks").string();
  {
    auto host = make_host(dir);
    const Secret pw("right");
    ASSERT_TRUE(host->create_account(postmaster(), "ext@example.com", nullptr).ok());
    ASSERT_TRUE(set(*host, {"example.com", "ext"}, "UseExtPassword", "true").ok());
    ASSERT_TRUE(set(*host, {}, "FailedLoginLimit", "5").ok());
    ASSERT_TRUE(set(*host, {}, "ExternalAuthenticator", host_helper + " count " + counter).ok());
  }
  const std::string command = "printf 'wrong\\n' | " + std::string(AUTHHOST_BINARY) + " --data " +
                              (dir.path() / "data").string() + " login ext@example.com >/dev/null 2>&1";
  std::vector<pid_t> children;
  for (int i = 0; i < 20; ++i) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::execl("/bin/sh", "sh", "-c", command.c_str(), nullptr);
      ::_exit(127);
    }
    children.push_back(pid);
  }
  int rejected = 0;
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    rejected += WIFEXITED(status) && WEXITSTATUS(status) == 1;
  }
  EXPECT_EQ(rejected, 20);
  std::ifstream in(counter);
  std::size_t checked = 0;
  for (std::string line; std::getline(in, line);) ++checked;
  EXPECT_GE(checked, 1u);
  EXPECT_LE(checked, 5u);
}

TEST(LockoutAcrossProcesses, TwoStoresShareTheReservations) {
  TempDir dir;
  const auto file = dir.path() / "db";
  Store first(file, true), second(file, false);
  Lockout a(first), b(second);
  const LockoutPolicy p{2, 10s, 1000};
  auto one = a.reserve("x@y.z", p);
  auto two = b.reserve("x@y.z", p);
  ASSERT_TRUE(one.admitted());
  ASSERT_TRUE(two.admitted());
  EXPECT_FALSE(a.reserve("x@y.z", p).admitted());
  EXPECT_FALSE(b.reserve("x@y.z", p).admitted());
  one.finish(LoginOutcome::TempFail);
  EXPECT_TRUE(b.reserve("x@y.z", p).admitted());
}

// A process killed mid-login leaves its reservation behind; it expires.
TEST(LockoutAcrossProcesses, AKilledProcessesReservationsExpire) {
  TempDir dir;
  const auto file = dir.path() / "db";
  { Store create(file, true); }
  const LockoutPolicy p{1, 10s, 1000, 300ms};
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    Store store(file, false);
    Lockout lockout(store);
    auto slot = lockout.reserve("x@y.z", p);
    ::_exit(slot.admitted() ? 0 : 1);  // no destructor gives it back
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  Store store(file, false);
  Lockout lockout(store);
  EXPECT_FALSE(lockout.reserve("x@y.z", p).admitted());
  std::this_thread::sleep_for(400ms);
  EXPECT_TRUE(lockout.reserve("x@y.z", p).admitted());
}

TEST(LockoutTable, SuspendedNamesAreNeverEvicted) {
  TempDir dir;
  Store store(dir.path() / "db", true);
  std::vector<std::string> logged;
  Lockout lockout(store, [&](std::string_view line) { logged.emplace_back(line); });
  const LockoutPolicy p{2, 10s, 3};
  for (int i = 0; i < 2; ++i) lockout.reserve("victim@x.y", p).finish(LoginOutcome::Failure);
  ASSERT_TRUE(lockout.locked("victim@x.y"));
  // A flood of names that fail once each.
  for (int i = 0; i < 50; ++i) lockout.reserve("flood" + std::to_string(i) + "@x.y", p).finish(LoginOutcome::Failure);
  EXPECT_TRUE(lockout.locked("victim@x.y"));
  EXPECT_FALSE(lockout.reserve("victim@x.y", p).admitted());
  EXPECT_LE(store.lockout_rows().size(), 3u);
  // Suspensions alone fill the table: a new name's failure is not counted,
  // the table stays bounded, and the log says so.
  for (const char* name : {"b@x.y", "c@x.y"})
    for (int i = 0; i < 2; ++i) lockout.reserve(name, p).finish(LoginOutcome::Failure);
  ASSERT_TRUE(lockout.locked("b@x.y"));
  ASSERT_TRUE(lockout.locked("c@x.y"));
  lockout.reserve("d@x.y", p).finish(LoginOutcome::Failure);
  EXPECT_FALSE(store.lockout("d@x.y"));
  EXPECT_EQ(store.lockout_rows().size(), 3u);
  EXPECT_TRUE(lockout.locked("victim@x.y"));
  ASSERT_FALSE(logged.empty());
  EXPECT_TRUE(contains(logged.back(), "lockout table full")) << logged.back();
}

TEST(LockoutClock, ASuspensionStampedAheadLastsTheWindowAtMost) {
  TempDir dir;
  Store store(dir.path() / "db", true);
  Lockout lockout(store);
  const auto now = Lockout::now_ms();
  const std::int64_t year = 365LL * 24 * 3600 * 1000;
  store.write([&](StoreWriter& w) {
    w.put_lockout({"ahead@x.y", 0, now + year, now + year, now + year});
    w.put_lockout({"counted@x.y", 1, now + year, 0, now + year});
  });
  const LockoutPolicy p{2, 500ms, 1000};
  EXPECT_FALSE(lockout.reserve("ahead@x.y", p).admitted());
  const auto row = store.lockout("ahead@x.y");
  ASSERT_TRUE(row);
  EXPECT_LE(row->locked_until_ms, Lockout::now_ms() + 500);
  std::this_thread::sleep_for(700ms);
  EXPECT_TRUE(lockout.reserve("ahead@x.y", p).admitted());
  // A window that starts in the future is brought back to now, so it ends.
  EXPECT_TRUE(lockout.reserve("counted@x.y", p).admitted());
  EXPECT_LE(store.lockout("counted@x.y")->window_start_ms, Lockout::now_ms());
}

TEST(Durations, AreBoundedWhereverTheyComeFrom) {
  TempDir dir;
  auto host = make_host(dir);
  for (const char* name : {"FailureAnswerTime", "ExternalTimeout", "FailedLoginWindow"}) {
    const Status s = set(*host, {}, name, "9999999h");
    EXPECT_EQ(s.code, ErrorCode::InvalidValue) << name;
    EXPECT_TRUE(contains(s.message, "takes a duration from")) << s.message;
  }
  EXPECT_EQ(set(*host, {}, "ExternalTimeout", "0ms").code, ErrorCode::InvalidValue);
  EXPECT_EQ(set(*host, {}, "FailedLoginWindow", "0s").code, ErrorCode::InvalidValue);
  EXPECT_TRUE(set(*host, {}, "FailureAnswerTime", "1m").ok());
  EXPECT_TRUE(set(*host, {}, "ExternalTimeout", "10m").ok());
  // A value stored before the bounds existed is read within them.
  host->store().write([](StoreWriter& w) {
    w.set_setting({}, "FailureAnswerTime", "9999999h");
    w.set_setting({}, "ExternalTimeout", "9999999h");
  });
  EXPECT_EQ(host->effective({}, {}).duration("FailureAnswerTime"), 1min);
  EXPECT_EQ(host->effective({}, {}).duration("ExternalTimeout"), 10min);
}

TEST(NewExplained, TheLogSaysWhatTheHelperAnswered) {
  TempDir dir;
  std::vector<std::string> logged;
  {
    auto setup = make_host(dir);
    ASSERT_TRUE(setup->create_domain(postmaster(), "d.org").ok());
    ASSERT_TRUE(set(*setup, {"d.org", ""}, "ConsultExternalAuthenticator", "true").ok());
    ASSERT_TRUE(set(*setup, {}, "ExternalAuthenticator", host_helper + " new-ok").ok());
  }
  auto host = Host::open(dir.path() / "data", [&](std::string_view line) { logged.emplace_back(line); });
  const auto r = testing::login(*host, "ghost@d.org", "x");
  EXPECT_EQ(r.why, RejectWhy::UnknownName);
  EXPECT_TRUE(contains(r.detail, "NEW sent to the external authenticator, which answered OK, but the account did "
                                 "not appear"))
      << r.detail;
  ASSERT_FALSE(logged.empty());
  EXPECT_TRUE(contains(logged.back(), "answered OK, but the account did not appear")) << logged.back();
  ASSERT_TRUE(set(*host, {}, "ExternalAuthenticator", host_helper + " count " + (dir.path() / "c").string()).ok());
  const auto refused = testing::login(*host, "ghost@d.org", "x");
  EXPECT_TRUE(contains(refused.detail, "answered ERROR")) << refused.detail;
}

TEST(AccessFile, ADuplicateLineIsNamedAndBlocksItsDomainOnly) {
  TempDir dir;
  auto host = make_host(dir);
  const Secret pw("x");
  ASSERT_TRUE(host->create_domain(postmaster(), "other.org").ok());
  ASSERT_TRUE(host->create_account(postmaster(), "admin@example.com", &pw).ok());
  ASSERT_TRUE(host->create_account(postmaster(), "master@other.org", &pw).ok());
  ASSERT_TRUE(host->set_rights(postmaster(), "admin@example.com", RightSet(Right::ModifyUserAccounts)).ok());
  ASSERT_TRUE(host->set_rights(postmaster(), "master@other.org", RightSet(Right::ModifyThisDomain)).ok());
  const auto file = host->access_file("example.com");
  std::ofstream(file, std::ios::app) << "admin = CanMonitorServer\n";
  const Status s = host->create_domain({"admin", "example.com"}, "third.org");
  EXPECT_EQ(s.code, ErrorCode::CorruptRights);
  EXPECT_TRUE(contains(s.message, file.string() + ":")) << s.message;
  EXPECT_TRUE(contains(s.message, "appears twice")) << s.message;
  EXPECT_FALSE(contains(s.message, "before changing this domain's rights")) << s.message;
  // Other domains work; so does the postmaster, who can repair the file by
  // removing it and setting the rights again.
  EXPECT_TRUE(host->create_account({"master", "other.org"}, "new@other.org", &pw).ok());
  EXPECT_TRUE(host->create_domain(postmaster(), "fourth.org").ok());
  std::filesystem::remove(file);
  EXPECT_TRUE(host->set_rights(postmaster(), "admin@example.com", RightSet(Right::ModifyUserAccounts)).ok());
  EXPECT_TRUE(host->create_domain({"admin", "example.com"}, "third.org").ok());
  EXPECT_TRUE(contains(read(file), "postmaster = CanModifyAccessRights"));
}

}  // namespace
}  // namespace authd::host

namespace authd::host {
namespace {

// A guess that was compared counts, even when a later check fails for now:
// a helper kept failing must not give unlimited guesses at the internal
// password before it.
TEST(LockoutWhileABackendFails, ComparedGuessesCount) {
  TempDir dir;
  auto host = make_host(dir);
  const Secret pw("right");
  ASSERT_TRUE(host->create_account(postmaster(), "mixed@example.com", &pw).ok());
  ASSERT_TRUE(set(*host, {"example.com", "mixed"}, "UseExtPassword", "true").ok());
  ASSERT_TRUE(set(*host, {}, "FailedLoginLimit", "2").ok());
  ASSERT_TRUE(set(*host, {}, "ExternalAuthenticator", host_helper + " failure").ok());
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(testing::login(*host, "mixed@example.com", "guess").why, RejectWhy::Unavailable);
  const auto r = testing::login(*host, "mixed@example.com", "right");
  EXPECT_EQ(r.why, RejectWhy::Suspended) << r.detail;
}

// Settings an earlier account of the same name left behind (a password
// written while it was being removed) never apply to a new account.
TEST(AccountNames, ANewAccountStartsClean) {
  TempDir dir;
  auto host = make_host(dir);
  host->store().write([](StoreWriter& w) { w.set_setting({"example.com", "ops"}, "Password", "{PLAIN}planted"); });
  ASSERT_TRUE(host->create_account(postmaster(), "ops@example.com", nullptr).ok());
  EXPECT_EQ(testing::login(*host, "ops@example.com", "planted").status, LoginStatus::Rejected);
  ASSERT_TRUE(host->delete_account(postmaster(), "ops@example.com").ok());
  EXPECT_EQ(host->set_password(postmaster(), "ops@example.com", Secret("x")).code, ErrorCode::NotFound);
}

}  // namespace
}  // namespace authd::host

namespace authd::host {
namespace {

TEST(ReviewedEdges, AnExternalAuthenticatorOfOnlySpacesIsRefused) {
  TempDir dir;
  auto host = make_host(dir);
  const Status s = set(*host, {}, "ExternalAuthenticator", "   ");
  EXPECT_EQ(s.code, ErrorCode::InvalidValue);
  EXPECT_TRUE(contains(s.message, "names no program")) << s.message;
}

TEST(ReviewedEdges, ALeftOverRightsLineIsNotHandedToWhoeverCreatesTheName) {
  TempDir dir;
  auto host = make_host(dir);
  const Secret pw("x");
  ASSERT_TRUE(host->create_account(postmaster(), "admin@example.com", &pw).ok());
  ASSERT_TRUE(host->set_rights(postmaster(), "admin@example.com", RightSet(Right::ModifyUserAccounts)).ok());
  std::ofstream(host->access_file("example.com"), std::ios::app) << "boss = CanModifyAccessRights\n";
  const Status s = host->create_account({"admin", "example.com"}, "boss@example.com", &pw);
  EXPECT_EQ(s.code, ErrorCode::PermissionDenied);
  EXPECT_TRUE(contains(s.message, "grants boss@example.com CanModifyAccessRights")) << s.message;
  EXPECT_FALSE(host->store().account_exists("example.com", "boss"));
  EXPECT_TRUE(host->create_account(postmaster(), "boss@example.com", &pw).ok());
}

TEST(ReviewedEdges, AReservationStampedAheadOfTheClockDoesNotOutliveItsTtl) {
  TempDir dir;
  Store store(dir.path() / "db", true);
  Lockout lockout(store);
  const LockoutPolicy p{1, 10s, 1000, 1s};
  store.write([](StoreWriter& w) { w.add_reservation("x@y.z", Lockout::now_ms() + 365LL * 24 * 3600 * 1000); });
  EXPECT_TRUE(lockout.reserve("x@y.z", p).admitted());
}

TEST(ReviewedEdges, ADataDirectoryOfAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "giving a file to another user needs root (CI runs as root)";
  TempDir dir;
  { make_host(dir); }
  const auto data = dir.path() / "data";
  ASSERT_EQ(::chown((data / "authhost.sqlite").c_str(), 65534, 65534), 0);
  try {
    Host::open(data);
    ADD_FAILURE() << "a store owned by another user was opened";
  } catch (const HostError& e) {
    EXPECT_TRUE(contains(e.what(), "belongs to another user")) << e.what();
  }
  ASSERT_EQ(::chown((data / "authhost.sqlite").c_str(), ::geteuid(), ::getegid()), 0);
  EXPECT_NO_THROW(Host::open(data));
}

}  // namespace
}  // namespace authd::host
