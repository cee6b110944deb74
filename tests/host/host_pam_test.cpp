// OS passwords in the login path, through PAM under pam_wrapper (the PAM
// world of tests/plugins/pam: pam_matrix checks passwords against a passdb
// file of the test's own, nss_wrapper knows the OS users).
#include <chrono>
#include <thread>

#include "host_test_support.hpp"

#include "pam_test_env.hpp"

namespace authd::host {
namespace {

namespace pam_env = authd::testing::pam_env;
using testing::make_host;
using testing::postmaster;
using testing::set;
using testing::TempDir;

class OsPassword : public ::testing::Test {
 protected:
  void SetUp() override {
    pam_env::write_passdb({{"joe", "os pass", pam_env::service::matrix},
                           {"ann%comp1", "ann's", pam_env::service::matrix}});
    pam_env::write_os_users({"joe", "ann%comp1"});
    host = make_host(dir);
    ASSERT_TRUE(set(*host, {}, "OSPasswordService", pam_env::service::matrix).ok());
    ASSERT_TRUE(set(*host, {"example.com", ""}, "UseSystemPassword", "true").ok());
    for (const char* a : {"joe@example.com", "ann@example.com"})
      ASSERT_TRUE(host->create_account(postmaster(), a, nullptr).ok());
  }
  LoginResult login(const std::string& name, const std::string& password) {
    return testing::login(*host, name, password);
  }

  TempDir dir;
  std::unique_ptr<Host> host;
};

TEST_F(OsPassword, IsCheckedThroughPam) {
  const auto ok = login("Joe@example.com", "os pass");
  EXPECT_EQ(ok.status, LoginStatus::Accepted) << ok.detail;
  EXPECT_EQ(ok.matched, PasswordKind::OS);
  EXPECT_EQ(login("joe@example.com", "wrong").status, LoginStatus::Rejected);
  EXPECT_EQ(login("joe@example.com", "").status, LoginStatus::Rejected);
  ASSERT_TRUE(set(*host, {"example.com", "joe"}, "UseSystemPassword", "false").ok());
  EXPECT_EQ(login("joe@example.com", "os pass").status, LoginStatus::Rejected);
}

TEST_F(OsPassword, TheOsUserNameTemplateMakesTheUser) {
  EXPECT_EQ(login("ann@example.com", "ann's").status, LoginStatus::Rejected);  // no OS user "ann"
  ASSERT_TRUE(set(*host, {"example.com", "ann"}, "OSUserName", "*%comp1").ok());
  EXPECT_EQ(login("ann@example.com", "ann's").status, LoginStatus::Accepted);
}

TEST_F(OsPassword, ComesAfterTheInternalPassword) {
  ASSERT_TRUE(host->set_password(postmaster(), "joe@example.com", Secret("inside")).ok());
  EXPECT_EQ(login("joe@example.com", "inside").matched, PasswordKind::Internal);
  EXPECT_EQ(login("joe@example.com", "os pass").matched, PasswordKind::OS);
}

TEST_F(OsPassword, CannotServeSecureMethods) {
  LoginRequest request;
  request.name = "joe@example.com";
  request.method = LoginMethod::Apop;
  request.challenge = "<1.2@x>";
  request.secret.assign("00000000000000000000000000000000");
  const auto r = host->login(request);
  EXPECT_EQ(r.status, LoginStatus::Rejected);
  EXPECT_NE(r.detail.find("OS passwords cannot serve"), std::string::npos) << r.detail;
}

TEST_F(OsPassword, APamFaultIsTemporaryAndNotCounted) {
  ASSERT_TRUE(set(*host, {}, "FailedLoginLimit", "1").ok());
  ASSERT_TRUE(set(*host, {}, "OSPasswordService", pam_env::service::unavailable).ok());
  ASSERT_TRUE(set(*host, {}, "HideUnknownAccounts", "false").ok());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(login("joe@example.com", "os pass").status, LoginStatus::TempFail);
  EXPECT_FALSE(host->store().lockout("joe@example.com"));
  // With hiding on it is temporary too (for every name while it lasts), still not counted.
  ASSERT_TRUE(set(*host, {}, "HideUnknownAccounts", "true").ok());
  for (int i = 0; i < 3; ++i) {
    const auto r = login("joe@example.com", "os pass");
    EXPECT_EQ(r.why, RejectWhy::Unavailable);
    EXPECT_EQ(r.status, LoginStatus::TempFail);
  }
  EXPECT_FALSE(host->store().lockout("joe@example.com"));
  ASSERT_TRUE(set(*host, {}, "OSPasswordService", pam_env::service::matrix).ok());
  EXPECT_EQ(login("joe@example.com", "os pass").status, LoginStatus::Accepted);
}

// One bound on PAM transactions across every login: a slow stack (pam_faildelay,
// 1 s after a failure) holds one, and a second login at the same time is a
// temporary failure at once instead of another blocked thread.
TEST_F(OsPassword, OneBoundOnPamTransactionsAcrossLogins) {
  ASSERT_TRUE(set(*host, {}, "OSPasswordService", pam_env::service::slow).ok());
  ASSERT_TRUE(set(*host, {}, "OSPasswordMaxConcurrent", "1").ok());
  ASSERT_TRUE(set(*host, {}, "HideUnknownAccounts", "false").ok());
  LoginResult first;
  std::thread slow([&] { first = login("joe@example.com", "wrong"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto second = login("ann@example.com", "wrong");
  slow.join();
  // Whichever reached PAM first holds the place for its 1 s delay.
  const LoginResult& checked = first.status == LoginStatus::Rejected ? first : second;
  const LoginResult& turned_away = first.status == LoginStatus::Rejected ? second : first;
  EXPECT_EQ(checked.status, LoginStatus::Rejected) << checked.detail;
  EXPECT_EQ(turned_away.status, LoginStatus::TempFail) << turned_away.detail;
  EXPECT_NE(turned_away.detail.find("OSPasswordMaxConcurrent = 1"), std::string::npos) << turned_away.detail;
  // Once it is done, the place is free again.
  EXPECT_EQ(login("joe@example.com", "os pass").status, LoginStatus::Accepted);
}

TEST_F(OsPassword, AfterAnOsLoginTheUserMaySetAnInternalPassword) {
  const auto ok = login("joe@example.com", "os pass");
  ASSERT_EQ(ok.matched, PasswordKind::OS);
  ASSERT_TRUE(host->set_own_password(ok, Secret("migrated")).ok());
  pam_env::write_passdb({});  // the legacy system is gone
  const auto after = login("joe@example.com", "migrated");
  EXPECT_EQ(after.status, LoginStatus::Accepted);
  EXPECT_EQ(after.matched, PasswordKind::Internal);
}

}  // namespace
}  // namespace authd::host
