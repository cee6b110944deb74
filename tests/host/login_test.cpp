// The login path end to end: every kind of password, the secure-method
// rule, the external authenticator (real authd and scripted helpers), the
// lockout, client addresses and name-harvesting protection.
#include <sys/wait.h>

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
const std::string seed_config = std::string(AUTHD_SOURCE_DIR) + "/examples/sessions/seed.toml";

LoginResult login(Host& host, const std::string& name, const std::string& password) {
  return testing::login(host, name, password);
}

LoginResult secure_login(Host& host, const std::string& name, LoginMethod method, const std::string& response,
                         const std::string& challenge, const std::string& mode = {}) {
  LoginRequest request;
  request.name = name;
  request.method = method;
  request.secret.assign(response);
  request.challenge = challenge;
  request.mode = mode;
  return host.login(request);
}

void add_account(Host& host, const std::string& address, const std::string& password = {}) {
  const Secret secret(password);
  const Status s = host.create_account(postmaster(), address, password.empty() ? nullptr : &secret);
  ASSERT_TRUE(s.ok()) << s.message;
}

void account_setting(Host& host, const std::string& address, const std::string& name, const std::string& value) {
  const auto a = parse_address(address);
  const Status s = set(host, {a->domain, a->name}, name, value);
  ASSERT_TRUE(s.ok()) << s.message;
}

void server_setting(Host& host, const std::string& name, const std::string& value) {
  const Status s = set(host, {}, name, value);
  ASSERT_TRUE(s.ok()) << s.message;
}

std::size_t lines_in(const std::string& path) {
  std::ifstream in(path);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

std::string contents(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Login, InternalPasswordsInEveryStoredForm) {
  TempDir dir;
  auto host = make_host(dir);
  ASSERT_TRUE(set(*host, {"example.com", ""}, "PasswordEncryption", "clear").ok());
  add_account(*host, "clear@example.com", "secret");
  EXPECT_EQ(host->effective("example.com", "clear").text("Password"), "{PLAIN}secret");
  ASSERT_TRUE(set(*host, {"example.com", ""}, "PasswordEncryption", "SHA512-CRYPT").ok());
  add_account(*host, "crypt@example.com", "secret");
  EXPECT_EQ(host->effective("example.com", "crypt").text("Password").rfind("$6$", 0), 0u);
  ASSERT_TRUE(set(*host, {"example.com", ""}, "PasswordEncryption", "SSHA512").ok());
  add_account(*host, "salted@example.com", "secret");
  // Values imported from elsewhere: digests recognised by their prefixes,
  // an MD5-crypt string, and a bare legacy clear text.
  const std::map<std::string, std::string> imported = {
      {"sha", "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ="},
      {"md5", "{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ=="},
      {"md5crypt", "$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1"},
      {"legacy", "secret"},
  };
  for (const auto& [name, stored] : imported) {
    add_account(*host, name + "@example.com");
    account_setting(*host, name + "@example.com", "Password", stored);
  }
  for (const char* name : {"clear", "crypt", "salted", "sha", "md5", "md5crypt", "legacy"}) {
    const std::string address = std::string(name) + "@example.com";
    const auto ok = login(*host, address, "secret");
    EXPECT_EQ(ok.status, LoginStatus::Accepted) << address << ": " << ok.detail;
    EXPECT_EQ(ok.matched, PasswordKind::Internal) << address;
    EXPECT_EQ(login(*host, address, "Secret").status, LoginStatus::Rejected) << address;
    EXPECT_EQ(login(*host, address, "").status, LoginStatus::Rejected) << address;
  }
  // Turned off, the internal password is not tried.
  account_setting(*host, "clear@example.com", "UseAppPassword", "false");
  EXPECT_EQ(login(*host, "clear@example.com", "secret").status, LoginStatus::Rejected);
}

TEST(Login, AnEmptyInternalPasswordNeverMatches) {
  TempDir dir;
  auto host = make_host(dir);
  add_account(*host, "none@example.com");
  EXPECT_EQ(login(*host, "none@example.com", "").status, LoginStatus::Rejected);
  EXPECT_EQ(login(*host, "none@example.com", "anything").status, LoginStatus::Rejected);
  account_setting(*host, "none@example.com", "Password", "{PLAIN}");
  EXPECT_EQ(login(*host, "none@example.com", "").status, LoginStatus::Rejected);
}

TEST(Login, SecureMethodsUseAClearTextInternalPassword) {
  TempDir dir;
  auto host = make_host(dir);
  add_account(*host, "tim@example.com");
  account_setting(*host, "tim@example.com", "Password", "{PLAIN}tanstaaftanstaaf");
  // RFC 2195's example.
  const std::string cram_challenge = "<1896.697170952@postoffice.reston.mci.net>";
  EXPECT_EQ(secure_login(*host, "tim@example.com", LoginMethod::CramMd5, "b913a602c7eda7a495b4e6e7334d3890",
                         cram_challenge).status,
            LoginStatus::Accepted);
  EXPECT_EQ(secure_login(*host, "tim@example.com", LoginMethod::CramMd5, "b913a602c7eda7a495b4e6e7334d3891",
                         cram_challenge).status,
            LoginStatus::Rejected);
  // RFC 1939's example.
  account_setting(*host, "tim@example.com", "Password", "{PLAIN}tanstaaf");
  const std::string apop_challenge = "<1896.697170952@dbc.mtview.ca.us>";
  EXPECT_EQ(secure_login(*host, "tim@example.com", LoginMethod::Apop, "c4c9334bac560ecc979e58001b3e22fb",
                         apop_challenge).status,
            LoginStatus::Accepted);
  // A one-way password cannot serve them.
  ASSERT_TRUE(host->set_password(postmaster(), "tim@example.com", Secret("tanstaaf")).ok());
  const auto hashed = secure_login(*host, "tim@example.com", LoginMethod::Apop, "c4c9334bac560ecc979e58001b3e22fb",
                                   apop_challenge);
  EXPECT_EQ(hashed.status, LoginStatus::Rejected);
  EXPECT_NE(hashed.detail.find("one-way"), std::string::npos) << hashed.detail;
}

// curl and Thunderbird try CRAM-MD5 first when it is offered: against a
// hashed password nothing is compared, so nothing is counted.
TEST(Login, ASecureMethodNoPasswordCanServeIsNotCountedTowardTheLockout) {
  TempDir dir;
  auto host = make_host(dir);
  server_setting(*host, "FailedLoginLimit", "2");
  add_account(*host, "ann@example.com");
  ASSERT_TRUE(host->set_password(postmaster(), "ann@example.com", Secret("tanstaaf")).ok());
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(secure_login(*host, "ann@example.com", LoginMethod::CramMd5, "b913a602c7eda7a495b4e6e7334d3890",
                           "<1896.697170952@postoffice.reston.mci.net>").status,
              LoginStatus::Rejected);
  EXPECT_EQ(login(*host, "ann@example.com", "tanstaaf").status, LoginStatus::Accepted);
  // Wrong passwords still are.
  for (int i = 0; i < 2; ++i) EXPECT_EQ(login(*host, "ann@example.com", "guess").status, LoginStatus::Rejected);
  EXPECT_EQ(login(*host, "ann@example.com", "tanstaaf").why, RejectWhy::Suspended);
}

TEST(Login, SecureMethodRequiredRefusesClearTextOnPlainConnections) {
  TempDir dir;
  auto host = make_host(dir);
  server_setting(*host, "FailedLoginLimit", "2");
  add_account(*host, "sue@example.com");
  account_setting(*host, "sue@example.com", "Password", "{PLAIN}tanstaaf");
  account_setting(*host, "sue@example.com", "RequireSecureMethod", "true");
  for (int i = 0; i < 4; ++i) {
    const auto r = testing::login(*host, "sue@example.com", "tanstaaf");
    EXPECT_EQ(r.status, LoginStatus::Rejected);
    EXPECT_EQ(r.why, RejectWhy::SecureMethodRequired);
    EXPECT_EQ(r.text, login_text::hidden);
  }
  // Not counted: no password was checked.
  EXPECT_EQ(testing::login(*host, "sue@example.com", "tanstaaf", "127.0.0.1", true).status, LoginStatus::Accepted);
  EXPECT_EQ(secure_login(*host, "sue@example.com", LoginMethod::Apop, "c4c9334bac560ecc979e58001b3e22fb",
                         "<1896.697170952@dbc.mtview.ca.us>").status,
            LoginStatus::Accepted);
  server_setting(*host, "HideUnknownAccounts", "false");
  EXPECT_EQ(testing::login(*host, "sue@example.com", "tanstaaf").text, login_text::secure_required);
}

class External : public ::testing::Test {
 protected:
  void SetUp() override {
    host = make_host(dir);
    ASSERT_TRUE(host->create_domain(postmaster(), "domain2.com").ok());
    add_account(*host, "user2@domain2.com");
    ASSERT_TRUE(set(*host, {"domain2.com", ""}, "UseExtPassword", "true").ok());
  }
  void use_helper(const std::string& command) { server_setting(*host, "ExternalAuthenticator", command); }

  TempDir dir;
  std::unique_ptr<Host> host;
};

TEST_F(External, RealAuthdChecksThePassword) {
  use_helper(std::string(AUTHD_BINARY) + " --config " + seed_config);
  const auto ok = login(*host, "User2@Domain2.com", "correct horse");
  EXPECT_EQ(ok.status, LoginStatus::Accepted) << ok.detail;
  EXPECT_EQ(ok.matched, PasswordKind::External);
  const auto wrong = login(*host, "user2@domain2.com", "battery staple");
  EXPECT_EQ(wrong.status, LoginStatus::Rejected);
  EXPECT_NE(wrong.detail.find("helper"), std::string::npos) << wrong.detail;
  // Migration: after the external login the user sets an internal password,
  // which is then tried first.
  ASSERT_TRUE(host->set_own_password(ok, Secret("my own")).ok());
  const auto own = login(*host, "user2@domain2.com", "my own");
  EXPECT_EQ(own.status, LoginStatus::Accepted);
  EXPECT_EQ(own.matched, PasswordKind::Internal);
  EXPECT_EQ(login(*host, "user2@domain2.com", "correct horse").matched, PasswordKind::External);
  EXPECT_EQ(host->set_own_password(wrong, Secret("sneaky")).code, ErrorCode::PermissionDenied);
}

TEST_F(External, InternalIsTriedFirstAndTheFirstMatchWins) {
  const std::string log = (dir.path() / "requests").string();
  ::setenv("HOST_HELPER_LOG", log.c_str(), 1);
  use_helper(host_helper + " accept outside");
  ASSERT_TRUE(host->set_password(postmaster(), "user2@domain2.com", Secret("inside")).ok());
  EXPECT_EQ(login(*host, "user2@domain2.com", "inside").matched, PasswordKind::Internal);
  EXPECT_EQ(lines_in(log), 0u);  // the helper was never asked
  const auto outside = login(*host, "user2@domain2.com", "outside");
  EXPECT_EQ(outside.matched, PasswordKind::External);
  EXPECT_EQ(login(*host, "user2@domain2.com", "neither").status, LoginStatus::Rejected);
  EXPECT_EQ(lines_in(log), 2u);
  ::unsetenv("HOST_HELPER_LOG");
}

TEST_F(External, SecureMethodsGoToTheHelperAsSasl) {
  const std::string log = (dir.path() / "requests").string();
  ::setenv("HOST_HELPER_LOG", log.c_str(), 1);
  use_helper(host_helper + " accept x");
  const auto r = secure_login(*host, "user2@domain2.com", LoginMethod::Apop, "c4c9334bac560ecc979e58001b3e22fb",
                              "<1896.697170952@dbc.mtview.ca.us>", "POP");
  EXPECT_EQ(r.status, LoginStatus::Rejected);
  const auto cram = secure_login(*host, "user2@domain2.com", LoginMethod::CramMd5, "00ff", "<a b@c>");
  EXPECT_EQ(cram.status, LoginStatus::Rejected);
  const std::string sent = contents(log);
  EXPECT_NE(sent.find(" SASL(APOP) (POP) user2@domain2.com c4c9334bac560ecc979e58001b3e22fb "
                      "<1896.697170952@dbc.mtview.ca.us>\n"),
            std::string::npos)
      << sent;
  EXPECT_NE(sent.find(" SASL(CRAM-MD5) user2@domain2.com 00ff \"<a b@c>\"\n"), std::string::npos) << sent;
  ::unsetenv("HOST_HELPER_LOG");
}

TEST_F(External, PasswordsAreQuotedForTheHelper) {
  const std::string log = (dir.path() / "requests").string();
  ::setenv("HOST_HELPER_LOG", log.c_str(), 1);
  use_helper(host_helper + " accept x");
  login(*host, "user2@domain2.com", "a \"quoted\" pass\\word");
  EXPECT_NE(contents(log).find(" VRFY user2@domain2.com \"a \\\"quoted\\\" pass\\\\word\"\n"), std::string::npos)
      << contents(log);
  ::unsetenv("HOST_HELPER_LOG");
}

TEST_F(External, HelperFailuresAreTemporaryAndNotCounted) {
  server_setting(*host, "FailedLoginLimit", "2");
  server_setting(*host, "HideUnknownAccounts", "false");
  use_helper(host_helper + " failure");
  for (int i = 0; i < 5; ++i) {
    const auto r = login(*host, "user2@domain2.com", "whatever");
    EXPECT_EQ(r.status, LoginStatus::TempFail);
    EXPECT_EQ(r.text, login_text::temporary);
  }
  EXPECT_FALSE(host->store().lockout("user2@domain2.com"));
  // No helper configured at all: also temporary.
  server_setting(*host, "ExternalAuthenticator", "");
  ASSERT_TRUE(
      host->update_settings(postmaster(), {}, {{"ExternalAuthenticator", std::nullopt}}, ChangeOrigin::CommandLine).ok());
  EXPECT_EQ(login(*host, "user2@domain2.com", "whatever").status, LoginStatus::TempFail);
}

TEST_F(External, ParallelWrongAttemptsCheckAtMostNPasswords) {
  server_setting(*host, "FailedLoginLimit", "3");
  const std::string counter = (dir.path() / "checks").string();
  use_helper(host_helper + " count " + counter);
  std::vector<std::thread> threads;
  std::vector<LoginResult> results(10);
  for (int i = 0; i < 10; ++i)
    threads.emplace_back([&, i] { results[static_cast<std::size_t>(i)] = login(*host, "user2@domain2.com", "wrong"); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(lines_in(counter), 3u);
  int suspended = 0;
  for (const auto& r : results) {
    EXPECT_EQ(r.status, LoginStatus::Rejected);
    EXPECT_EQ(r.text, login_text::hidden);
    suspended += r.why == RejectWhy::Suspended;
  }
  EXPECT_EQ(suspended, 7);
  EXPECT_TRUE(Lockout(host->store()).locked("user2@domain2.com"));
}

TEST_F(External, UnknownNamesGoToTheHelperAsNew) {
  ASSERT_TRUE(set(*host, {"domain2.com", ""}, "ConsultExternalAuthenticator", "true").ok());
  use_helper(host_helper + " create-on-new " + AUTHHOST_BINARY + " " + (dir.path() / "data").string() +
             " \"fresh pass\"");
  EXPECT_FALSE(host->store().account_exists("domain2.com", "newbie"));
  const auto r = login(*host, "NewBie@domain2.com", "fresh pass");
  EXPECT_EQ(r.status, LoginStatus::Accepted) << r.detail;
  EXPECT_EQ(r.matched, PasswordKind::Internal);
  EXPECT_TRUE(host->store().account_exists("domain2.com", "newbie"));
  // A name the helper cannot create (it breaks the naming rules for the
  // domain) stays unknown.
  const auto unknown = login(*host, "ghost@nosuch.domain2.com", "x");
  EXPECT_EQ(unknown.why, RejectWhy::UnknownName);
  // Without the setting the helper is not asked.
  ASSERT_TRUE(set(*host, {"domain2.com", ""}, "ConsultExternalAuthenticator", "false").ok());
  EXPECT_EQ(login(*host, "other@domain2.com", "fresh pass").why, RejectWhy::UnknownName);
  EXPECT_FALSE(host->store().account_exists("domain2.com", "other"));
}

TEST(Login, HideUnknownGivesOneAnswerInOneTime) {
  TempDir dir;
  auto host = make_host(dir);
  server_setting(*host, "FailedLoginLimit", "2");
  server_setting(*host, "FailureAnswerTime", "300ms");
  add_account(*host, "alice@example.com", "right");
  add_account(*host, "locked@example.com", "right");
  login(*host, "locked@example.com", "wrong");
  login(*host, "locked@example.com", "wrong");
  const auto timed = [&](const std::string& name, const std::string& password) {
    const auto start = std::chrono::steady_clock::now();
    const auto r = login(*host, name, password);
    return std::make_pair(r, std::chrono::steady_clock::now() - start);
  };
  const auto [unknown, t1] = timed("nobody@example.com", "x");
  const auto [wrong, t2] = timed("alice@example.com", "x");
  const auto [locked, t3] = timed("locked@example.com", "right");
  const auto [malformed, t4] = timed("not a name", "x");
  EXPECT_EQ(unknown.why, RejectWhy::UnknownName);
  EXPECT_EQ(wrong.why, RejectWhy::WrongPassword);
  EXPECT_EQ(locked.why, RejectWhy::Suspended);
  EXPECT_EQ(malformed.why, RejectWhy::UnknownName);
  for (const auto* r : {&unknown, &wrong, &locked, &malformed}) {
    EXPECT_EQ(r->status, LoginStatus::Rejected);
    EXPECT_EQ(r->text, "incorrect account name or password");
  }
  for (auto t : {t1, t2, t3, t4}) {
    EXPECT_GE(t, 300ms);
    EXPECT_LT(t, 600ms);
  }
  server_setting(*host, "HideUnknownAccounts", "false");
  EXPECT_EQ(login(*host, "nobody@example.com", "x").text, login_text::unknown);
  EXPECT_EQ(login(*host, "alice@example.com", "x").text, login_text::wrong_password);
  EXPECT_EQ(login(*host, "locked@example.com", "right").text, login_text::suspended);
}

TEST(Login, LockoutCountsCanonicalNamesAndLifts) {
  TempDir dir;
  auto host = make_host(dir);
  server_setting(*host, "FailedLoginLimit", "3");
  server_setting(*host, "FailedLoginWindow", "1s");
  add_account(*host, "alice@example.com", "right");
  login(*host, "Alice@Example.COM", "wrong");
  login(*host, "ALICE@example.com", "wrong");
  login(*host, "alice@EXAMPLE.com", "wrong");
  const auto refused = login(*host, "alice@example.com", "right");
  EXPECT_EQ(refused.status, LoginStatus::Rejected);
  EXPECT_EQ(refused.why, RejectWhy::Suspended);
  // Unknown names are counted the same way.
  for (int i = 0; i < 3; ++i) login(*host, "Ghost@example.com", "x");
  EXPECT_EQ(login(*host, "ghost@example.com", "x").why, RejectWhy::Suspended);
  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(login(*host, "alice@example.com", "right").status, LoginStatus::Accepted);
  EXPECT_EQ(login(*host, "ghost@example.com", "x").why, RejectWhy::UnknownName);
}

TEST(Login, LockoutSurvivesARestartAndCanBeLifted) {
  TempDir dir;
  {
    auto host = make_host(dir);
    server_setting(*host, "FailedLoginLimit", "2");
    add_account(*host, "alice@example.com", "right");
    login(*host, "alice@example.com", "wrong");
    login(*host, "alice@example.com", "wrong");
  }
  auto host = Host::open(dir.path() / "data");
  EXPECT_EQ(login(*host, "alice@example.com", "right").why, RejectWhy::Suspended);
  const auto state = host->lockout_state(postmaster());
  ASSERT_TRUE(state.ok());
  ASSERT_EQ(state.value.size(), 1u);
  EXPECT_EQ(state.value[0].name, "alice@example.com");
  ASSERT_TRUE(host->unlock(postmaster(), "Alice@example.com").ok());
  EXPECT_EQ(login(*host, "alice@example.com", "right").status, LoginStatus::Accepted);
}

TEST(Login, OnlyClientAddressesMayLogIn) {
  TempDir dir;
  auto host = make_host(dir);
  server_setting(*host, "FailedLoginLimit", "1");
  add_account(*host, "alice@example.com", "right");
  server_setting(*host, "RejectNonClientAddresses", "true");
  server_setting(*host, "ClientIPAddresses", "192.0.2.0/24, 2001:db8::/32");
  for (const char* from : {"198.51.100.1", "2001:db9::1", "not an address", ""}) {
    const auto r = testing::login(*host, "alice@example.com", "right", from);
    EXPECT_EQ(r.status, LoginStatus::AddressRefused) << from;
    EXPECT_EQ(r.text, login_text::address_refused);
  }
  for (const char* from : {"192.0.2.77", "2001:db8:5::1", "127.0.0.1", "::1", "::ffff:192.0.2.1"})
    EXPECT_EQ(testing::login(*host, "alice@example.com", "right", from).status, LoginStatus::Accepted) << from;
  // Refusals are not failed logins.
  EXPECT_FALSE(host->store().lockout("alice@example.com"));
  server_setting(*host, "RejectNonClientAddresses", "false");
  EXPECT_EQ(testing::login(*host, "alice@example.com", "right", "198.51.100.1").status, LoginStatus::Accepted);
}

// authhost login: the answer on standard output and the exit status.
int run_login(const TempDir& dir, const std::string& arguments, const std::string& input, std::string& output) {
  const std::string command = "printf '" + input + "' | " + AUTHHOST_BINARY + " --data " +
                              (dir.path() / "data").string() + " login " + arguments + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  output.clear();
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(LoginTool, ExitStatusSaysHowItWent) {
  TempDir dir;
  {
    auto host = make_host(dir);
    ASSERT_TRUE(set(*host, {"example.com", ""}, "PasswordEncryption", "clear").ok());
    add_account(*host, "alice@example.com", "right");
    add_account(*host, "ext@example.com");
    account_setting(*host, "ext@example.com", "UseExtPassword", "true");
    server_setting(*host, "ExternalAuthenticator", host_helper + " failure");
    server_setting(*host, "RejectNonClientAddresses", "true");
  }
  std::string out;
  EXPECT_EQ(run_login(dir, "alice@example.com", "right\\n", out), 0) << out;
  EXPECT_EQ(out, "OK welcome\n");
  EXPECT_EQ(run_login(dir, "alice@example.com", "wrong\\n", out), 1) << out;
  EXPECT_EQ(out, "ERROR incorrect account name or password\n");
  const auto hide = [&](const char* value) {
    auto host = Host::open(dir.path() / "data");
    server_setting(*host, "HideUnknownAccounts", value);
  };
  hide("false");
  EXPECT_EQ(run_login(dir, "ext@example.com", "any\\n", out), 2) << out;
  EXPECT_EQ(out.rfind("FAILURE ", 0), 0u) << out;
  // With hiding on it stays temporary (and so, for a while, does every failure).
  hide("true");
  EXPECT_EQ(run_login(dir, "ext@example.com", "any\\n", out), 2) << out;
  EXPECT_EQ(out.rfind("FAILURE ", 0), 0u) << out;
  EXPECT_EQ(run_login(dir, "alice@example.com --method cram-md5", "right\\n", out), 0) << out;
  EXPECT_EQ(run_login(dir, "alice@example.com --method apop", "right\\n", out), 0) << out;
  EXPECT_EQ(run_login(dir, "alice@example.com --method apop", "wrong\\n", out), 1) << out;
  EXPECT_EQ(run_login(dir, "alice@example.com --from 203.0.113.5", "right\\n", out), 1) << out;
  EXPECT_EQ(out, "ERROR logins from this address are not accepted\n");
  // Set an internal password after a login.
  EXPECT_EQ(run_login(dir, "alice@example.com --set-password", "right\\nnewer\\n", out), 0) << out;
  EXPECT_EQ(run_login(dir, "alice@example.com", "newer\\n", out), 0) << out;
  // A data directory that is not there.
  std::string missing;
  const std::string command = std::string(AUTHHOST_BINARY) + " --data " + (dir.path() / "none").string() +
                              " login a@b.c </dev/null 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) missing += buffer;
  EXPECT_EQ(WEXITSTATUS(::pclose(pipe)), 2);
  EXPECT_NE(missing.find("no data directory at"), std::string::npos) << missing;
}

// With hiding on, a helper that fails must not tell an existing account (its
// password could not be checked) from an unknown name: both get the
// temporary answer, held to FailureAnswerTime; the failure is still not
// counted.
TEST_F(External, WhileTheHelperFailsHidingGivesOneAnswerInOneTime) {
  server_setting(*host, "FailedLoginLimit", "2");
  server_setting(*host, "FailureAnswerTime", "300ms");
  use_helper(host_helper + " failure");
  const auto timed = [&](const std::string& name) {
    const auto start = std::chrono::steady_clock::now();
    auto r = login(*host, name, "whatever");
    return std::make_pair(r, std::chrono::steady_clock::now() - start);
  };
  for (int i = 0; i < 3; ++i) {
    const auto [existing, existing_time] = timed("user2@domain2.com");
    const auto [unknown, unknown_time] = timed("nobody@domain2.com");
    EXPECT_EQ(existing.status, LoginStatus::TempFail);
    EXPECT_EQ(existing.text, login_text::temporary);
    EXPECT_EQ(existing.why, RejectWhy::Unavailable);
    EXPECT_EQ(unknown.status, existing.status);
    EXPECT_EQ(unknown.text, existing.text);
    EXPECT_GE(existing_time, std::chrono::milliseconds(300));
    EXPECT_GE(unknown_time, std::chrono::milliseconds(300));
  }
  EXPECT_FALSE(host->store().lockout("user2@domain2.com"));
  // And the reverse: the unknown name goes to the failing helper as NEW, the
  // existing one is rejected by its wrong internal password.
  ASSERT_TRUE(set(*host, {"domain2.com", ""}, "ConsultExternalAuthenticator", "true").ok());
  account_setting(*host, "user2@domain2.com", "UseExtPassword", "false");
  account_setting(*host, "user2@domain2.com", "Password", "{PLAIN}right");
  host->unlock(postmaster(), "nobody@domain2.com");
  host->unlock(postmaster(), "user2@domain2.com");
  const auto [asked, asked_time] = timed("ghost@domain2.com");
  const auto [wrong, wrong_time] = timed("user2@domain2.com");
  EXPECT_EQ(asked.why, RejectWhy::Unavailable) << asked.detail;
  EXPECT_NE(asked.detail.find("NEW sent"), std::string::npos) << asked.detail;
  EXPECT_EQ(wrong.why, RejectWhy::WrongPassword) << wrong.detail;
  EXPECT_EQ(asked.status, LoginStatus::TempFail);
  EXPECT_EQ(asked.status, wrong.status);
  EXPECT_EQ(asked.text, wrong.text);
  EXPECT_GE(asked_time, std::chrono::milliseconds(300));
  EXPECT_GE(wrong_time, std::chrono::milliseconds(300));
}

}  // namespace
}  // namespace authd::host
