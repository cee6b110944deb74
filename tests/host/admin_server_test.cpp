// The administration interface: sessions driven in-process (any client
// address), the server over real sockets, `authhost serve` and
// `authhost admin` as processes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "host_test_support.hpp"

#include "host/admin/admin_server.hpp"
#include "socket_client.hpp"
#include "protocol/quoting.hpp"

namespace authd::host::admin {
namespace {

using namespace std::chrono_literals;
using authd::host::testing::make_host;
using authd::host::testing::postmaster;
using authd::host::testing::SocketClient;
using authd::host::testing::TempDir;

const std::string pm_login = "PASS \"pm secret\"";
const std::string hidden(login_text::hidden);

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }
// The data of an answer in its text form, "(none)" without.
std::string data(const Answer& a) { return a.data ? format_value(*a.data) : std::string("(none)"); }

class AdminSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host = make_host(dir);
    ASSERT_TRUE(host->create_domain(postmaster(), "other.org").ok());
    const Secret pw("bob pw");
    ASSERT_TRUE(host->create_account(postmaster(), "bob@other.org", &pw).ok());
    ASSERT_TRUE(host->set_rights(postmaster(), "bob@other.org", RightSet(Right::ModifyThisDomain)).ok());
    const Secret plain("plain pw");
    ASSERT_TRUE(host->create_account(postmaster(), "plain@example.com", &plain).ok());
  }

  // A session logged in as `name`, from `address`.
  std::unique_ptr<Session> session_as(const std::string& name, const std::string& password,
                                      const std::string& address = "127.0.0.1") {
    auto s = std::make_unique<Session>(*host, address);
    EXPECT_EQ(s->handle("USER " + name).code, Code::Password);
    const Answer a = s->handle("PASS " + protocol::quote_argument(password));
    EXPECT_EQ(a.code, Code::Ok) << a.text;
    return s;
  }
  std::unique_ptr<Session> postmaster_session() { return session_as("postmaster@example.com", "pm secret"); }

  TempDir dir;
  std::unique_ptr<Host> host;
};

TEST_F(AdminSessionTest, CommandsBeforeTheLoginAreRefused) {
  Session s(*host, "127.0.0.1");
  EXPECT_EQ(Session::greeting().text, "authhost CLI ready");
  Answer a = s.handle("GETSTATISTICS");
  EXPECT_EQ(a.code, Code::Error);
  EXPECT_TRUE(contains(a.text, "log in first")) << a.text;
  // Even a malformed command of a known verb: the login comes first.
  EXPECT_TRUE(contains(s.handle("CREATEDOMAIN").text, "log in first"));
  EXPECT_TRUE(contains(s.handle("PASS x").text, "send USER"));
  EXPECT_TRUE(contains(s.handle("NOSUCH").text, "unknown command"));
  a = s.handle("QUIT");
  EXPECT_EQ(a.code, Code::Ok);
  EXPECT_EQ(a.text, "bye");
  EXPECT_TRUE(a.close);
  EXPECT_TRUE(s.closed());
}

TEST_F(AdminSessionTest, PostmasterAdministersDomainsAccountsSettingsAndRights) {
  auto s = postmaster_session();
  EXPECT_TRUE(contains(s->handle("USER x@example.com").text, "already logged in as postmaster@example.com"));
  EXPECT_EQ(s->handle("CREATEDOMAIN New.ORG").code, Code::Ok);
  EXPECT_TRUE(contains(s->handle("CREATEDOMAIN new.org").text, "already exists"));
  EXPECT_EQ(s->handle("CREATEACCOUNT ann@new.org \"ann pw\"").code, Code::Ok);
  EXPECT_EQ(s->handle("CREATEACCOUNT nopw@new.org").code, Code::Ok);
  EXPECT_EQ(testing::login(*host, "ann@new.org", "ann pw").status, LoginStatus::Accepted);
  EXPECT_EQ(s->handle("SETACCOUNTPASSWORD ann@new.org \"second pw\"").code, Code::Ok);
  EXPECT_EQ(testing::login(*host, "ann@new.org", "second pw").status, LoginStatus::Accepted);
  EXPECT_EQ(data(s->handle("LISTACCOUNTS new.org")), "{ann=macnt;nopw=macnt;}");
  EXPECT_EQ(data(s->handle("LISTDOMAINS")), "(\"example.com\",\"new.org\",\"other.org\")");

  EXPECT_EQ(s->handle("UPDATEACCOUNTSETTINGS ann@new.org OSUserName=*%comp1 UseExtPassword=yes").code, Code::Ok);
  Answer a = s->handle("GETACCOUNTSETTINGS ann@new.org");
  ASSERT_EQ(a.code, Code::Ok);
  // The account's own settings; never its password.
  EXPECT_EQ(data(a), "{UseExtPassword=true;OSUserName=\"*%comp1\";}");
  EXPECT_TRUE(contains(data(s->handle("GETACCOUNTEFFECTIVESETTINGS ann@new.org")), "UseAppPassword=true;"));
  const std::string effective = data(s->handle("GETACCOUNTEFFECTIVESETTINGS ann@new.org"));
  EXPECT_FALSE(contains(effective, "{Password=") || contains(effective, ";Password=")) << effective;
  EXPECT_FALSE(contains(effective, "second pw")) << effective;
  EXPECT_EQ(s->handle("UPDATEACCOUNTSETTINGS ann@new.org UseExtPassword=").code, Code::Ok);
  EXPECT_EQ(host->effective("new.org", "ann").text("UseExtPassword"), "false");
  a = s->handle("UPDATEACCOUNTSETTINGS ann@new.org UseExtPassword=perhaps");
  EXPECT_EQ(a.code, Code::Error);
  EXPECT_TRUE(contains(a.text, "invalid value")) << a.text;
  EXPECT_TRUE(contains(s->handle("UPDATEACCOUNTSETTINGS ann@new.org NoSuchThing=1").text, "no setting is called"));

  EXPECT_EQ(s->handle("UPDATEDOMAINSETTINGS new.org ConsultExternalAuthenticator=on").code, Code::Ok);
  a = s->handle("GETDOMAINSETTINGS new.org");
  EXPECT_EQ(data(a), "{ConsultExternalAuthenticator=true;}");
  EXPECT_EQ(s->handle("UPDATESERVERSETTINGS FailedLoginLimit=7 \"ClientIPAddresses=192.0.2.0/24, 2001:db8::/32\"").code,
            Code::Ok);
  a = s->handle("GETSERVERSETTINGS");
  EXPECT_TRUE(contains(data(a), "FailedLoginLimit=7;")) << data(a);
  EXPECT_TRUE(contains(data(a), "ClientIPAddresses=\"192.0.2.0/24, 2001:db8::/32\";")) << data(a);
  EXPECT_TRUE(contains(s->handle("UPDATESERVERSETTINGS UseExtPassword=yes FailedLoginLimit=x").text, "invalid value"));
  EXPECT_EQ(host->effective("", "").text("UseExtPassword"), "false");  // all or nothing

  a = s->handle("GETACCOUNTRIGHTS ann@new.org");
  EXPECT_EQ(data(a), "()");
  EXPECT_EQ(s->handle("SETACCOUNTRIGHTS ann@new.org CanModifyThisDomain").code, Code::Ok);
  EXPECT_EQ(data(s->handle("GETACCOUNTRIGHTS ann@new.org")), "(CanModifyThisDomain)");
  a = s->handle("SETACCOUNTRIGHTS ann@new.org CanMonitorServer");
  EXPECT_TRUE(contains(a.text, "only accounts of the main domain")) << a.text;
  EXPECT_EQ(s->handle("SETACCOUNTRIGHTS plain@example.com \"CanMonitorServer, CanModifyUserAccounts\"").code, Code::Ok);
  EXPECT_EQ(data(s->handle("GETACCOUNTRIGHTS plain@example.com")), "(CanModifyUserAccounts,CanMonitorServer)");

  EXPECT_EQ(s->handle("DELETEACCOUNT ann@new.org").code, Code::Ok);
  EXPECT_EQ(s->handle("DELETEDOMAIN new.org").code, Code::Ok);
  EXPECT_TRUE(contains(s->handle("DELETEDOMAIN example.com").text, "cannot be removed"));
}

TEST_F(AdminSessionTest, UnknownNamesAndDomainsAreClearErrors) {
  auto s = postmaster_session();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"DELETEACCOUNT nobody@example.com", "not found: no account nobody@example.com"},
      {"SETACCOUNTPASSWORD nobody@example.com x", "no account nobody@example.com"},
      {"GETACCOUNTSETTINGS nobody@example.com", "no account nobody@example.com"},
      {"UPDATEACCOUNTSETTINGS nobody@example.com UseExtPassword=yes", "no account nobody@example.com"},
      {"GETACCOUNTRIGHTS nobody@example.com", "no account nobody@example.com"},
      {"SETACCOUNTRIGHTS nobody@example.com \"\"", "no account nobody@example.com"},
      {"CREATEACCOUNT x@nowhere.org", "no domain nowhere.org"},
      {"DELETEDOMAIN nowhere.org", "no domain nowhere.org"},
      {"LISTACCOUNTS nowhere.org", "no domain nowhere.org"},
      {"GETDOMAINSETTINGS nowhere.org", "no domain nowhere.org"},
      {"UPDATEDOMAINSETTINGS nowhere.org ConsultExternalAuthenticator=on", "no domain nowhere.org"},
  };
  // Nothing to lift is not an error: the name is free to log in, as asked.
  EXPECT_EQ(s->handle("UNLOCKACCOUNT nobody@example.com").code, Code::Ok);
  for (const auto& [line, text] : cases) {
    const Answer a = s->handle(line);
    EXPECT_EQ(a.code, Code::Error) << line;
    EXPECT_TRUE(contains(a.text, text)) << line << ": " << a.text;
  }
  // Bad input after the login: the parser's errors, and the session goes on.
  EXPECT_TRUE(contains(s->handle("CREATEDOMAIN \"a b.com\"").text, "is not a domain name"));
  EXPECT_TRUE(contains(s->handle("DELETEACCOUNT a/b@example.com").text, "is not an account address"));
  EXPECT_TRUE(contains(s->handle("GETSTATISTICS now").text, "too many arguments"));
  EXPECT_TRUE(contains(s->handle("SETACCOUNTRIGHTS plain@example.com CanFly").text, "CanFly"));
  EXPECT_EQ(s->handle("GETSTATISTICS").code, Code::Ok);
}

TEST_F(AdminSessionTest, ADomainMasterActsOnItsOwnDomainOnly) {
  auto s = session_as("bob@other.org", "bob pw");
  EXPECT_EQ(s->handle("CREATEACCOUNT carl@other.org carl").code, Code::Ok);
  EXPECT_EQ(s->handle("SETACCOUNTPASSWORD carl@other.org carl2").code, Code::Ok);
  EXPECT_EQ(s->handle("UPDATEDOMAINSETTINGS other.org UseExtPassword=yes").code, Code::Ok);
  EXPECT_EQ(s->handle("GETACCOUNTSETTINGS carl@other.org").code, Code::Ok);
  EXPECT_EQ(s->handle("GETACCOUNTRIGHTS carl@other.org").code, Code::Ok);
  EXPECT_EQ(s->handle("DELETEACCOUNT carl@other.org").code, Code::Ok);
  for (const char* line : {"CREATEACCOUNT x@example.com", "DELETEACCOUNT plain@example.com",
                           "GETACCOUNTSETTINGS plain@example.com", "UPDATEDOMAINSETTINGS example.com UseExtPassword=yes",
                           "UNLOCKACCOUNT plain@example.com"}) {
    const Answer a = s->handle(line);
    EXPECT_EQ(a.code, Code::Error) << line;
    EXPECT_TRUE(contains(a.text, "permission denied: bob@other.org may not change domain example.com")) << a.text;
  }
  for (const char* line : {"CREATEDOMAIN x.org", "LISTDOMAINS", "GETSERVERSETTINGS", "UPDATESERVERSETTINGS FailedLoginLimit=1",
                           "GETSTATISTICS", "SETACCOUNTRIGHTS bob@other.org \"\""}) {
    const Answer a = s->handle(line);
    EXPECT_EQ(a.code, Code::Error) << line;
    EXPECT_TRUE(contains(a.text, "permission denied: bob@other.org lacks the right")) << line << ": " << a.text;
  }
}

TEST_F(AdminSessionTest, APlainAccountCanDoNothing) {
  auto s = session_as("plain@example.com", "plain pw");
  for (const char* line :
       {"CREATEDOMAIN x.org", "DELETEDOMAIN other.org", "LISTDOMAINS", "CREATEACCOUNT x@example.com",
        "DELETEACCOUNT bob@other.org", "LISTACCOUNTS example.com", "SETACCOUNTPASSWORD postmaster@example.com x",
        "GETACCOUNTSETTINGS plain@example.com", "UPDATEACCOUNTSETTINGS plain@example.com UseExtPassword=yes",
        "GETACCOUNTRIGHTS plain@example.com", "SETACCOUNTRIGHTS plain@example.com CanModifyAccessRights",
        "GETSERVERSETTINGS", "UPDATESERVERSETTINGS FailedLoginLimit=0", "GETDOMAINSETTINGS example.com",
        "UPDATEDOMAINSETTINGS example.com UseExtPassword=yes", "UNLOCKACCOUNT postmaster@example.com",
        "GETSTATISTICS"}) {
    const Answer a = s->handle(line);
    EXPECT_EQ(a.code, Code::Error) << line;
    EXPECT_TRUE(contains(a.text, "permission denied: plain@example.com")) << line << ": " << a.text;
  }
  EXPECT_EQ(host->get_rights(postmaster(), "plain@example.com").value, RightSet());
}

TEST_F(AdminSessionTest, OnlyCanModifyAccessRightsMaySetRights) {
  RightSet strong;
  strong.add(Right::ModifyUserAccounts).add(Right::ModifyServerSettings).add(Right::MonitorServer);
  ASSERT_TRUE(host->set_rights(postmaster(), "plain@example.com", strong).ok());
  auto s = session_as("plain@example.com", "plain pw");
  EXPECT_EQ(s->handle("CREATEDOMAIN x.org").code, Code::Ok);
  EXPECT_EQ(s->handle("UPDATESERVERSETTINGS FailedLoginLimit=9").code, Code::Ok);
  EXPECT_EQ(s->handle("GETSTATISTICS").code, Code::Ok);
  const Answer a = s->handle("SETACCOUNTRIGHTS plain@example.com CanModifyAccessRights");
  EXPECT_TRUE(contains(a.text, "lacks the right CanModifyAccessRights")) << a.text;
  EXPECT_TRUE(contains(s->handle("SETACCOUNTRIGHTS bob@other.org \"\"").text, "CanModifyAccessRights"));
  EXPECT_EQ(host->get_rights(postmaster(), "plain@example.com").value, strong);
}

TEST_F(AdminSessionTest, RejectedLoginsReadTheSameAndCloseAfterThree) {
  Session s(*host, "127.0.0.1");
  for (const char* user : {"postmaster@example.com", "nobody@example.com", "bad/name"}) {
    s.handle(std::string("USER ") + user);
    const Answer a = s.handle("PASS wrong");
    EXPECT_EQ(a.code, Code::Error);
    EXPECT_EQ(a.text, hidden) << user;
  }
  EXPECT_TRUE(s.closed());
  EXPECT_TRUE(contains(s.handle("QUIT").text, "closed"));
}

TEST_F(AdminSessionTest, ATemporaryFailureOfTheLoginIs400) {
  // An unknown name in a domain that consults a helper, with none configured.
  // (With HideUnknownAccounts on it would be the uniform rejection.)
  ASSERT_TRUE(testing::set(*host, {"other.org", ""}, "ConsultExternalAuthenticator", "on").ok());
  ASSERT_TRUE(testing::set(*host, {}, "HideUnknownAccounts", "off").ok());
  Session s(*host, "127.0.0.1");
  s.handle("USER ghost@other.org");
  const Answer a = s.handle("PASS x");
  EXPECT_EQ(a.code, Code::Temporary);
  EXPECT_EQ(a.text, login_text::temporary);
  EXPECT_FALSE(s.closed());
}

TEST_F(AdminSessionTest, TheLockoutAppliesToAdministrationLogins) {
  ASSERT_TRUE(testing::set(*host, {}, "FailedLoginLimit", "2").ok());
  for (int i = 0; i < 2; ++i) {
    Session s(*host, "127.0.0.1");
    s.handle("USER bob@other.org");
    EXPECT_EQ(s.handle("PASS wrong").text, hidden);
  }
  Session locked(*host, "127.0.0.1");
  locked.handle("USER bob@other.org");
  Answer a = locked.handle("PASS \"bob pw\"");
  EXPECT_EQ(a.code, Code::Error);
  EXPECT_EQ(a.text, hidden);  // suspended, and it reads like any rejection
  auto pm = postmaster_session();
  a = pm->handle("GETSTATISTICS");
  EXPECT_TRUE(contains(data(a), "NamesSuspended=1;")) << data(a);
  EXPECT_EQ(pm->handle("UNLOCKACCOUNT bob@other.org").code, Code::Ok);
  session_as("bob@other.org", "bob pw");
}

TEST_F(AdminSessionTest, NonClientAddressesAreRefusedAndTheConnectionClosed) {
  ASSERT_TRUE(testing::set(*host, {}, "RejectNonClientAddresses", "on").ok());
  Session s(*host, "192.0.2.9");
  s.handle("USER postmaster@example.com");
  const Answer a = s.handle(pm_login);
  EXPECT_EQ(a.code, Code::Error);
  EXPECT_EQ(a.text, login_text::address_refused);
  EXPECT_TRUE(a.close);
  EXPECT_TRUE(s.closed());
  // Loopback always may; a listed network may.
  session_as("postmaster@example.com", "pm secret", "127.0.0.1");
  session_as("postmaster@example.com", "pm secret", "::1");
  ASSERT_TRUE(testing::set(*host, {}, "ClientIPAddresses", "192.0.2.0/24").ok());
  session_as("postmaster@example.com", "pm secret", "192.0.2.9");
}

TEST_F(AdminSessionTest, TheExternalAuthenticatorCannotBeSetThroughTheInterface) {
  auto s = postmaster_session();
  const Answer a = s->handle("UPDATESERVERSETTINGS \"ExternalAuthenticator=/bin/sh -c id\"");
  EXPECT_EQ(a.code, Code::Error);
  EXPECT_TRUE(contains(a.text, "cannot be changed through the administration interface")) << a.text;
  EXPECT_EQ(host->effective("", "").text("ExternalAuthenticator"), "");
  // Locally it can; over the network it can be read.
  ASSERT_TRUE(testing::set(*host, {}, "ExternalAuthenticator", "authd --config x.toml").ok());
  const Answer got = s->handle("GETSERVERSETTINGS");
  EXPECT_TRUE(contains(data(got), "ExternalAuthenticator=\"authd --config x.toml\";")) << data(got);
}

TEST_F(AdminSessionTest, StatisticsCountLogins) {
  { Session s(*host, "127.0.0.1"); s.handle("USER plain@example.com"); s.handle("PASS wrong"); }
  auto monitor = postmaster_session();
  ASSERT_TRUE(host->set_rights(postmaster(), "plain@example.com", RightSet(Right::MonitorServer)).ok());
  auto s = session_as("plain@example.com", "plain pw");
  const Answer a = s->handle("GETSTATISTICS");
  ASSERT_EQ(a.code, Code::Ok) << a.text;
  for (const char* item : {"LoginsAccepted=2;", "LoginsRejected=1;", "LoginsTempFailed=0;", "LoginsAddressRefused=0;",
                           "Domains=2;", "NamesWithFailedLogins=0;", "NamesSuspended=0;", "HelperRunning=0;"})
    EXPECT_TRUE(contains(data(a), item)) << item << " in " << data(a);
}

// ---------------------------------------------------------------------------
// Over sockets.

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override { host = make_host(dir); }
  std::unique_ptr<Server> start(ServerOptions options = {}) {
    return std::make_unique<Server>(*host, std::move(options));
  }
  TempDir dir;
  std::unique_ptr<Host> host;
};

TEST_F(AdminServerTest, AConversationOverTheSocket) {
  auto server = start();
  ASSERT_NE(server->port(), 0);
  EXPECT_EQ(server->endpoints(), std::vector<std::string>{"127.0.0.1:" + std::to_string(server->port())});
  SocketClient c(server->port());
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(c.answer(), std::vector<std::string>{"200 authhost CLI ready"});
  EXPECT_EQ(c.last("GETSTATISTICS"), "500 log in first: USER name@domain, then PASS password");
  EXPECT_EQ(c.last("user postmaster@example.com"), "300 send PASS");
  EXPECT_EQ(c.last(pm_login), "200 welcome");
  EXPECT_EQ(c.last("createdomain other.org"), "200 OK");
  c.send("CREATEACCOUNT ann@other.org \"ann pw\"\nGETACCOUNTRIGHTS ann@other.org\n");  // LF alone, pipelined
  EXPECT_EQ(c.answer(), std::vector<std::string>{"200 OK"});
  EXPECT_EQ(c.answer(), (std::vector<std::string>{"200 data follow", "()"}));
  EXPECT_EQ(testing::login(*host, "ann@other.org", "ann pw").status, LoginStatus::Accepted);
  c.send("GETSTATISTICS\r\n");
  const auto stats = c.answer();
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0], "200 data follow");
  EXPECT_TRUE(contains(stats[1], "AdminConnectionsOpen=1;")) << stats[1];
  EXPECT_EQ(c.last("QUIT"), "200 bye");
  EXPECT_TRUE(c.at_end());
}

TEST_F(AdminServerTest, AnOverlongLineIsRefusedAndTheConnectionClosed) {
  auto server = start();
  {
    SocketClient c(server->port());
    c.answer();
    c.send(std::string(max_line_length + 1, 'x'));  // no line end yet
    EXPECT_EQ(c.answer(), std::vector<std::string>{"500 line too long (the limit is " + std::to_string(max_line_length) + " bytes); closing"});
    EXPECT_TRUE(c.at_end());
  }
  {
    SocketClient c(server->port());
    c.answer();
    c.send("USER " + std::string(max_line_length, 'a') + "\r\n");
    EXPECT_TRUE(contains(c.answer().back(), "500 line too long"));
    EXPECT_TRUE(c.at_end());
  }
  // At the limit, a line is a line (and its command's error is an ordinary one).
  SocketClient c(server->port());
  c.answer();
  EXPECT_TRUE(contains(c.last(std::string(max_line_length, 'A')), "500 unknown command"));
  EXPECT_EQ(c.last("QUIT"), "200 bye");
}

TEST_F(AdminServerTest, ConnectionsPastTheLimitAreToldBusy) {
  ServerOptions options;
  options.max_connections = 2;
  auto server = start(options);
  auto a = std::make_unique<SocketClient>(server->port());
  SocketClient b(server->port());
  EXPECT_EQ(a->answer(), std::vector<std::string>{"200 authhost CLI ready"});
  EXPECT_EQ(b.answer(), std::vector<std::string>{"200 authhost CLI ready"});
  // Busy only when every connection is logged in.
  for (SocketClient* c : {a.get(), &b}) {
    EXPECT_EQ(c->last("USER postmaster@example.com"), "300 send PASS");
    EXPECT_EQ(c->last(pm_login), "200 welcome");
  }
  {
    SocketClient c(server->port());
    const auto lines = c.answer();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_TRUE(contains(lines[0], "400 busy: 2 connections are open and logged in already")) << lines[0];
    EXPECT_TRUE(c.at_end());
  }
  EXPECT_EQ(server->stats().refused_busy, 1u);
  EXPECT_EQ(a->last("QUIT"), "200 bye");
  a.reset();
  // The slot comes back once the connection's thread has ended.
  std::string greeting;
  for (int i = 0; i < 50 && greeting != "200 authhost CLI ready"; ++i) {
    SocketClient again(server->port());
    const auto lines = again.answer();
    greeting = lines.empty() ? "" : lines[0];
    if (greeting != "200 authhost CLI ready") std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(greeting, "200 authhost CLI ready");
}

// Clients that connect and send NOOP (or anything) without ever logging in
// fill every slot: an administrator still gets in.
TEST_F(AdminServerTest, FourNoopingClientsCannotKeepAnAdministratorOut) {
  ServerOptions options;
  options.max_connections = 4;
  options.login_timeout = 10min;  // the deadline is not what lets the administrator in
  options.idle_timeout = 10min;
  auto server = start(options);
  std::vector<std::unique_ptr<SocketClient>> squatters;
  for (int i = 0; i < 4; ++i) {
    squatters.push_back(std::make_unique<SocketClient>(server->port()));
    ASSERT_EQ(squatters.back()->answer(), std::vector<std::string>{"200 authhost CLI ready"});
  }
  std::atomic<bool> done{false};
  std::thread nooper([&] {
    while (!done) {
      for (auto& c : squatters) c->send("NOOP\r\n");
      std::this_thread::sleep_for(50ms);
    }
  });
  for (int attempt = 0; attempt < 3; ++attempt) {
    SocketClient admin(server->port());
    ASSERT_EQ(admin.answer(), std::vector<std::string>{"200 authhost CLI ready"}) << "attempt " << attempt;
    EXPECT_EQ(admin.last("USER postmaster@example.com"), "300 send PASS");
    EXPECT_EQ(admin.last("PASS pm secret"), "200 welcome");
    EXPECT_EQ(admin.last("INLINE"), "200 OK");
    EXPECT_EQ(admin.last("LISTDOMAINS"), "201 (\"example.com\")");
    EXPECT_EQ(admin.last("QUIT"), "200 bye");
  }
  done = true;
  nooper.join();
  EXPECT_GE(server->stats().replaced_prelogin, 1u);
  EXPECT_EQ(server->stats().refused_busy, 0u);
}

// The time to log in runs from the connection's start and NOOPs do not
// extend it; once logged in, only the idle time-out applies.
TEST_F(AdminServerTest, ALoginMustComeInTimeWhateverIsSent) {
  ServerOptions options;
  options.login_timeout = 2s;
  options.idle_timeout = 10min;
  auto server = start(options);
  SocketClient logged_in(server->port());
  logged_in.answer();
  EXPECT_EQ(logged_in.last("USER postmaster@example.com"), "300 send PASS");
  EXPECT_EQ(logged_in.last(pm_login), "200 welcome");
  SocketClient waiting(server->port());
  const auto started = std::chrono::steady_clock::now();
  waiting.answer();
  // NOOPs for the first second, each answered; then silence until the
  // deadline (sending after it would race the close).
  std::string last;
  while (std::chrono::steady_clock::now() - started < 1s) {
    last = waiting.last("NOOP");
    if (last != "200 OK") break;
    std::this_thread::sleep_for(100ms);
  }
  if (last == "200 OK") {
    const auto lines = waiting.answer();
    last = lines.empty() ? "(closed)" : lines.front();
  }
  EXPECT_EQ(last, "400 no login within 2 seconds; closing");
  EXPECT_GE(std::chrono::steady_clock::now() - started, 1900ms);
  EXPECT_TRUE(waiting.at_end());
  EXPECT_EQ(server->stats().login_timeouts, 1u);
  EXPECT_EQ(logged_in.last("NOOP"), "200 OK");
  EXPECT_EQ(logged_in.last("QUIT"), "200 bye");
}

// Connections waiting to log in are counted per client address: the
// newest of one address replace its oldest, never another address's.
TEST_F(AdminServerTest, WaitingConnectionsAreCountedPerAddress) {
  ServerOptions options;
  options.max_prelogin_per_address = 2;
  auto server = start(options);
  SocketClient x1(server->port(), "127.0.0.1", "127.0.0.2");
  SocketClient x2(server->port(), "127.0.0.1", "127.0.0.2");
  ASSERT_EQ(x1.answer(), std::vector<std::string>{"200 authhost CLI ready"});
  ASSERT_EQ(x2.answer(), std::vector<std::string>{"200 authhost CLI ready"});
  SocketClient y1(server->port()), y2(server->port());
  y1.answer();
  y2.answer();
  SocketClient y3(server->port());
  y3.answer();
  EXPECT_EQ(y1.answer(), std::vector<std::string>{"400 too many connections waiting to log in; closing the oldest"});
  EXPECT_TRUE(y1.at_end());
  EXPECT_EQ(x1.last("NOOP"), "200 OK");
  EXPECT_EQ(x2.last("NOOP"), "200 OK");
  EXPECT_EQ(y2.last("NOOP"), "200 OK");
  // A logged-in connection no longer counts.
  EXPECT_EQ(y2.last("USER postmaster@example.com"), "300 send PASS");
  EXPECT_EQ(y2.last(pm_login), "200 welcome");
  SocketClient y4(server->port());
  y4.answer();
  EXPECT_EQ(y3.last("NOOP"), "200 OK");
  EXPECT_EQ(y2.last("NOOP"), "200 OK");
  SocketClient x3(server->port(), "127.0.0.1", "127.0.0.2");
  x3.answer();
  EXPECT_EQ(x1.answer(), std::vector<std::string>{"400 too many connections waiting to log in; closing the oldest"});
  EXPECT_EQ(x2.last("NOOP"), "200 OK");
  EXPECT_EQ(server->stats().replaced_prelogin, 2u);
}

// A dictionary far over the line limit is refused with a specific answer.
TEST_F(AdminServerTest, AHugeDictionaryIsRefused) {
  auto server = start();
  SocketClient c(server->port());
  c.answer();
  c.last("USER postmaster@example.com");
  ASSERT_EQ(c.last(pm_login), "200 welcome");
  std::string line = "UPDATEACCOUNTSETTINGS postmaster@example.com {";
  while (line.size() < 10 * 1024 * 1024) line += "OSUserName=\"" + std::string(1000, 'x') + "\";";
  c.send(line + "}\r\n");
  EXPECT_EQ(c.answer(), std::vector<std::string>{"500 line too long (the limit is " + std::to_string(max_line_length) + " bytes); closing"});
}

// CGP's Perl module CLI.pm, step by step as it speaks: it reads the
// greeting, logs in with USER (expecting 300) and PASS when the greeting
// holds no <challenge>, sends INLINE, then commands ending in LF alone, and
// reads each answer as one line: "201 object" for data.
TEST_F(AdminServerTest, TheExchangesOfCgpsCliModule) {
  auto server = start();
  SocketClient c(server->port());
  const auto greeting = c.answer();
  ASSERT_EQ(greeting.size(), 1u);
  EXPECT_EQ(greeting[0].substr(0, 4), "200 ");
  EXPECT_EQ(greeting[0].find('<'), std::string::npos);  // else CLI.pm would try APOP
  const auto say = [&](const std::string& line) {
    c.send(line + "\n");
    const auto lines = c.answer();
    return lines.empty() ? std::string("(closed)") : lines.front();
  };
  EXPECT_EQ(say("USER postmaster@example.com").substr(0, 4), "300 ");
  EXPECT_EQ(say("PASS pm secret"), "200 welcome");
  EXPECT_EQ(say("INLINE"), "200 OK");
  EXPECT_EQ(say("CreateDomain client1.com"), "200 OK");
  // The dictionary sets settings; its Password key is the password.
  EXPECT_EQ(say("CreateAccount user1@client1.com {Password=\"u1 pw\";UseExtPassword=YES;}"), "200 OK");
  EXPECT_EQ(testing::login(*host, "user1@client1.com", "u1 pw").status, LoginStatus::Accepted);
  EXPECT_EQ(say("GetAccountSettings user1@client1.com"), "201 {UseExtPassword=true;}");
  EXPECT_EQ(say("CreateAccount user2@client1.com MultiMailbox {company=X;title=Y;}").substr(0, 4), "500 ");
  EXPECT_EQ(testing::login(*host, "user2@client1.com", "{company=X;title=Y;}").status, LoginStatus::Rejected);
  EXPECT_EQ(say("ListAccounts client1.com"), "201 {user1=macnt;}");  // the refused one left nothing behind
  EXPECT_EQ(say("SetAccountPassword user1@client1.com TO \"new pw\""), "200 OK");
  EXPECT_EQ(testing::login(*host, "user1@client1.com", "new pw").status, LoginStatus::Accepted);
  EXPECT_EQ(say("UpdateAccountSettings user1@client1.com {UseExtPassword=default;RequireSecureMethod=YES;}"), "200 OK");
  EXPECT_EQ(say("GetAccountSettings user1@client1.com"), "201 {RequireSecureMethod=true;}");
  EXPECT_EQ(say("SetAccountRights user1@client1.com (CanModifyThisDomain)"), "200 OK");
  EXPECT_EQ(say("GetAccountRights user1@client1.com"), "201 (CanModifyThisDomain)");
  EXPECT_EQ(say("UpdateDomainSettings client1.com {ConsultExternalAuthenticator=YES;}"), "200 OK");
  EXPECT_EQ(say("GetDomainSettings client1.com"), "201 {ConsultExternalAuthenticator=true;}");
  EXPECT_EQ(say("UpdateServerSettings {FailedLoginLimit=7;}"), "200 OK");
  EXPECT_TRUE(contains(say("GetServerSettings"), "FailedLoginLimit=7;"));
  EXPECT_EQ(say("ListDomains"), "201 (\"client1.com\",\"example.com\")");
  EXPECT_EQ(say("DeleteAccount user1@client1.com"), "200 OK");
  EXPECT_EQ(say("QUIT"), "200 bye");
}

TEST_F(AdminServerTest, AnIdleConnectionIsClosed) {
  ServerOptions options;
  options.idle_timeout = 200ms;
  auto server = start(options);
  SocketClient c(server->port());
  c.answer();
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(c.answer(), std::vector<std::string>{"400 idle for too long; closing"});
  EXPECT_GE(std::chrono::steady_clock::now() - started, 150ms);
  EXPECT_TRUE(c.at_end());
}

TEST_F(AdminServerTest, StopClosesConnectionsAndStopsAccepting) {
  auto server = start();
  const auto port = server->port();
  SocketClient c(port);
  c.answer();
  EXPECT_EQ(c.last("USER postmaster@example.com"), "300 send PASS");
  server->stop();
  EXPECT_EQ(c.answer(), std::vector<std::string>{"400 server shutting down"});
  EXPECT_TRUE(c.at_end());
  SocketClient late(port);
  EXPECT_FALSE(late.connected());
  server->stop();  // idempotent
}

TEST_F(AdminServerTest, ItListensOnLoopbackOnly) {
  ServerOptions options;
  options.listen = {"192.0.2.1"};
  try {
    start(options);
    FAIL() << "listened on a non-loopback address";
  } catch (const ServerError& e) {
    EXPECT_TRUE(contains(e.what(), "loopback addresses only")) << e.what();
  }
  options.listen = {"localhost"};
  EXPECT_THROW(start(options), ServerError);
  // Two addresses share one port, chosen for the first.
  options.listen = {"127.0.0.1", "::1"};
  try {
    auto server = start(options);
    const std::string port = std::to_string(server->port());
    EXPECT_EQ(server->endpoints(), (std::vector<std::string>{"127.0.0.1:" + port, "[::1]:" + port}));
  } catch (const ServerError& e) {
    GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
  }
}

// A Perl client written to CLI.pm's exchange (its login, its printWords
// for arguments, its parser for answers), run against the server.
const char* const cli_pm_like_client = R"PERL(
use strict; use warnings; use IO::Socket::INET;
my ($port) = @ARGV;
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 30) or die "connect: $!\n";
$s->autoflush(1);
my ($code, $text) = (0, '');
sub response {
  my $line = $s->getline(); defined $line or die "closed\n";
  $line =~ s/\r?\n\z//;
  $line =~ /^(\d+)\s(.*)$/ or die "not an answer line: $line\n";
  ($code, $text) = ($1, $2);
  return $code == 200 || $code == 201;
}
sub command { print $s $_[0], "\012"; return response(); }
sub words {
  my $d = shift;
  return '#NULL#' unless defined $d;
  return '{' . join('', map { words($_) . '=' . words($d->{$_}) . ';' } sort keys %$d) . '}' if ref $d eq 'HASH';
  return '(' . join(',', map { words($_) } @$d) . ')' if ref $d eq 'ARRAY';
  return $d unless $d =~ /[\W_]/ || $d eq '';
  (my $q = $d) =~ s/([\x00-\x1F\x7F])/sprintf('\\%03d', ord $1)/ge;
  return "\"$q\"";
}
sub skip { my ($t, $p) = @_; $$p++ while $$p < length($$t) && substr($$t, $$p, 1) =~ /\s/; }
sub word {
  my ($t, $p) = @_; skip($t, $p); my $r = '';
  if (substr($$t, $$p, 1) eq '"') {
    $$p++;
    while ($$p < length $$t) {
      my $c = substr($$t, $$p++, 1);
      return $r if $c eq '"';
      if ($c eq '\\') {
        if (substr($$t, $$p, 3) =~ /^\d\d\d$/) { $r .= chr(substr($$t, $$p, 3)); $$p += 3; next; }
        $c = substr($$t, $$p++, 1);
      }
      $r .= $c;
    }
    die "unterminated string\n";
  }
  $r .= substr($$t, $$p++, 1) while $$p < length $$t && substr($$t, $$p, 1) =~ /[-a-zA-Z0-9\x80-\xff_.\@!#%:]/;
  return $r;
}
sub value {
  my ($t, $p) = @_; skip($t, $p); my $c = substr($$t, $$p, 1);
  if ($c eq '{') {
    $$p++; my %h;
    for (;;) {
      skip($t, $p);
      if (substr($$t, $$p, 1) eq '}') { $$p++; return \%h; }
      my $k = word($t, $p); skip($t, $p);
      substr($$t, $$p++, 1) eq '=' or die "format error: = expected\n";
      $h{$k} = value($t, $p); skip($t, $p);
      substr($$t, $$p++, 1) eq ';' or die "format error: ; expected\n";
    }
  }
  if ($c eq '(') {
    $$p++; my @a; skip($t, $p);
    if (substr($$t, $$p, 1) eq ')') { $$p++; return \@a; }
    for (;;) {
      push @a, value($t, $p); skip($t, $p);
      my $d = substr($$t, $$p++, 1);
      return \@a if $d eq ')';
      $d eq ',' or die "format error: , expected\n";
    }
  }
  return word($t, $p);
}
sub data { my $t = $text; my $p = 0; return value(\$t, \$p); }

response() or die "greeting: $code $text\n";
die "a challenge in the greeting: $text\n" if $text =~ /(\<.*\@*\>)/;
command('USER postmaster@example.com');
$code == 300 or die "USER: $code $text\n";
command('PASS pm secret') or die "PASS: $code $text\n";
command('INLINE') or die "INLINE: $code $text\n";
command('CreateAccount user1@example.com ' . words({Password => 'u1 pw', UseExtPassword => 'YES'}))
  or die "CreateAccount: $code $text\n";
command('GetAccountSettings user1@example.com') or die "GetAccountSettings: $code $text\n";
my $settings = data();
$settings->{UseExtPassword} eq 'true' or die "UseExtPassword: $text\n";
exists $settings->{Password} and die "the password is shown: $text\n";
command('UpdateAccountSettings user1@example.com ' . words({UseExtPassword => 'default', OSUserName => 'a.*'}))
  or die "UpdateAccountSettings: $code $text\n";
command('GetAccountSettings user1@example.com') or die "GetAccountSettings: $code $text\n";
$settings = data();
$settings->{OSUserName} eq 'a.*' && !exists $settings->{UseExtPassword} or die "after the update: $text\n";
command('SetAccountRights user1@example.com ' . words(['CanMonitorServer'])) or die "SetAccountRights: $code $text\n";
command('GetAccountRights user1@example.com') or die "GetAccountRights: $code $text\n";
join(',', @{data()}) eq 'CanMonitorServer' or die "rights: $text\n";
command('ListAccounts') or die "ListAccounts: $code $text\n";
data()->{user1} eq 'macnt' or die "ListAccounts: $text\n";
command('ListDomains') or die "ListDomains: $code $text\n";
join(',', @{data()}) eq 'example.com' or die "ListDomains: $text\n";
command('SetAccountPassword user1@example.com TO ' . words('new pw')) or die "SetAccountPassword: $code $text\n";
command('CreateAccount user2@example.com ' . words({company => 'X', title => 'Y'}));
$code =~ /^5\d\d$/ or die "CreateAccount with unknown settings: $code $text\n";
command('QUIT');
print "ok\n";
)PERL";

TEST_F(AdminServerTest, APerlClientSpeakingLikeCliPm) {
  if (std::system("perl -e 1 > /dev/null 2>&1") != 0) GTEST_SKIP() << "no perl";
  auto server = start();
  const auto script = dir.path() / "cli_like.pl", out = dir.path() / "cli_like.out";
  std::ofstream(script) << cli_pm_like_client;
  const std::string command = "perl " + script.string() + " " + std::to_string(server->port()) + " > " +
                              out.string() + " 2>&1";
  const int raw = std::system(command.c_str());
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_TRUE(WIFEXITED(raw) && WEXITSTATUS(raw) == 0) << text.str();
  EXPECT_EQ(text.str(), "ok\n");
  EXPECT_EQ(testing::login(*host, "user1@example.com", "new pw").status, LoginStatus::Accepted);
  EXPECT_EQ(testing::login(*host, "user2@example.com", "{company=X;title=Y;}").status, LoginStatus::Rejected);
}

// ---------------------------------------------------------------------------
// The processes: `authhost admin` against an in-process server, and
// `authhost serve`.

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string slurp(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct ToolRun {
  int status = -1;
  std::string out, err;
};

// `stdin_text | authhost admin ARGS`.
ToolRun admin_tool(const TempDir& dir, const std::string& stdin_text, const std::string& args) {
  const auto in = dir.path() / "admin.in", out = dir.path() / "admin.out", err = dir.path() / "admin.err";
  std::ofstream(in) << stdin_text;
  const std::string command = std::string(AUTHHOST_BINARY) + " admin " + args + " < " + shell_quote(in.string()) +
                              " > " + shell_quote(out.string()) + " 2> " + shell_quote(err.string());
  const int raw = std::system(command.c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(out), slurp(err)};
}

TEST_F(AdminServerTest, TheClientToolsExitStatus) {
  ServerOptions options;
  options.max_connections = 1;
  auto server = start(options);
  const std::string to = "--connect 127.0.0.1:" + std::to_string(server->port()) + " --user postmaster@example.com ";
  ToolRun r = admin_tool(dir, "pm secret\n", to + "CREATEDOMAIN other.org");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "200 OK\n");
  // Arguments with spaces reach the server as one argument each.
  r = admin_tool(dir, "pm secret\n", to + "UPDATESERVERSETTINGS 'ClientIPAddresses=192.0.2.0/24, 198.51.100.7'");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(host->effective("", "").text("ClientIPAddresses"), "192.0.2.0/24, 198.51.100.7");
  r = admin_tool(dir, "pm secret\n", to + "DELETEDOMAIN nowhere.org");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "500 not found: no domain nowhere.org\n");
  r = admin_tool(dir, "wrong\n", to + "GETSTATISTICS");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "500 " + hidden + "\n");
  // Commands on standard input: the worst answer decides.
  r = admin_tool(dir, "pm secret\n# a comment\n\nLISTDOMAINS\nCREATEACCOUNT a@other.org \"a pw\"\nFROB\nLISTACCOUNTS other.org\n",
                 to);
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(r.out, "201 (\"example.com\",\"other.org\")\n200 OK\n500 unknown command 'FROB'\n201 {a=macnt;}\n");
  r = admin_tool(dir, "", to + "LISTDOMAINS");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.err, "no password on standard input")) << r.err;
  {
    // The one connection allowed is taken by a logged-in client: busy is a
    // temporary failure.
    SocketClient holder(server->port());
    holder.answer();
    holder.last("USER postmaster@example.com");
    ASSERT_EQ(holder.last(pm_login), "200 welcome");
    r = admin_tool(dir, "pm secret\n", to + "LISTDOMAINS");
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.err, "400 busy")) << r.err;
  }
  const auto port = server->port();
  server.reset();
  r = admin_tool(dir, "pm secret\n", "--connect 127.0.0.1:" + std::to_string(port) +
                                         " --user postmaster@example.com LISTDOMAINS");
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(contains(r.err, "cannot connect to 127.0.0.1:")) << r.err;
  r = admin_tool(dir, "pm secret\n", "--connect nonsense --user postmaster@example.com LISTDOMAINS");
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(contains(r.err, "expected HOST:PORT")) << r.err;
}

TEST(AdminServe, RunsAsAProcessUntilSigterm) {
  TempDir dir;
  const auto data = dir.path() / "data";
  ASSERT_TRUE(Host::init(data, "example.com", Secret("pm secret")).ok());
  int out_pipe[2];
  ASSERT_EQ(::pipe(out_pipe), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    ::execl(AUTHHOST_BINARY, AUTHHOST_BINARY, "--data", data.c_str(), "serve", "--port", "0", nullptr);
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  std::string first;
  char c;
  while (::read(out_pipe[0], &c, 1) == 1 && c != '\n') first += c;
  ::close(out_pipe[0]);
  ASSERT_EQ(first.rfind("listening on 127.0.0.1:", 0), 0u) << first;
  const std::string endpoint = first.substr(std::string("listening on ").size());
  const ToolRun r = admin_tool(dir, "pm secret\n", "--connect " + endpoint + " --user postmaster@example.com CREATEDOMAIN other.org");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  // An open, idle connection does not hold the shutdown up.
  SocketClient idle(static_cast<std::uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1))));
  idle.answer();
  ::kill(pid, SIGTERM);
  EXPECT_EQ(idle.answer(), std::vector<std::string>{"400 server shutting down"});
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(Host::open(data)->store().domain_exists("other.org"));
}

}  // namespace
}  // namespace authd::host::admin
