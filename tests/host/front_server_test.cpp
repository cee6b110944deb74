// The login fronts' connection layer (host/fronts/front_server.hpp) over
// real sockets, with POP3 as the simplest protocol: its bounds, timers and
// the asynchronous answer hold. The protocols themselves are tested in
// fronts_session_test.cpp, and with real mail clients in
// fronts_e2e_test.py.
#include <fcntl.h>
#include <poll.h>

#include <chrono>
#include <future>
#include <thread>

#include "host_test_support.hpp"
#include "socket_client.hpp"

#include "host/fronts/front_server.hpp"

namespace authd::host::fronts {
namespace {

using namespace std::chrono_literals;
using authd::host::testing::make_host;
using authd::host::testing::postmaster;
using authd::host::testing::postmaster_password;
using authd::host::testing::set;
using authd::host::testing::SocketClient;
using authd::host::testing::TempDir;
using Clock = std::chrono::steady_clock;

TEST(FrontSpecs, AreParsedAndBadOnesExplained) {
  std::string error;
  auto spec = parse_front_spec("imaps=127.0.0.1:993", error);
  ASSERT_TRUE(spec) << error;
  EXPECT_EQ(spec->kind, (FrontKind{Protocol::Imap, true}));
  EXPECT_EQ(spec->address, "127.0.0.1");
  EXPECT_EQ(spec->port, 993);
  spec = parse_front_spec("submission=[::1]:0", error);
  ASSERT_TRUE(spec) << error;
  EXPECT_EQ(spec->kind, (FrontKind{Protocol::Submission, false}));
  EXPECT_EQ(spec->address, "::1");
  for (const char* bad : {"imaps", "imap4=127.0.0.1:1", "pop3=127.0.0.1", "pop3=127.0.0.1:65536", "pop3=127.0.0.1:-1",
                          "pop3=127.0.0.1:99999999999", "pop3=localhost:110", "pop3=:110", "smtps=1.2.3.4:1x"}) {
    error.clear();
    EXPECT_FALSE(parse_front_spec(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

class FrontServerTest : public ::testing::Test {
 protected:
  void SetUp() override { host = make_host(dir); }

  std::unique_ptr<FrontServer> start(FrontOptions options = {}) {
    if (options.fronts.empty()) options.fronts.push_back({FrontKind{Protocol::Pop3, false}, "127.0.0.1", 0});
    auto server = std::make_unique<FrontServer>(*host, std::move(options));
    const auto endpoint = server->endpoints().at(0).second;
    port = static_cast<std::uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
    return server;
  }

  // USER/PASS as postmaster; the last answer.
  std::string log_in(SocketClient& client, const std::string& password = postmaster_password) {
    std::string line;
    if (!client.read_line(line) || line.rfind("+OK", 0) != 0) return "no greeting: " + line;
    client.send("USER postmaster\r\n");
    if (!client.read_line(line)) return "(closed)";
    client.send("PASS " + password + "\r\n");
    if (!client.read_line(line)) return "(closed)";
    return line;
  }

  // Reads until the end of the stream; false if it does not end within `limit`.
  static bool ends_within(SocketClient& client, std::chrono::milliseconds limit) {
    const auto until = Clock::now() + limit;
    char buffer[4096];
    while (Clock::now() < until) {
      pollfd p{client.fd(), POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const auto n = ::recv(client.fd(), buffer, sizeof buffer, 0);
      if (n == 0) return true;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return true;
    }
    return false;
  }

  TempDir dir;
  std::unique_ptr<Host> host;
  std::uint16_t port = 0;
};

TEST_F(FrontServerTest, ListensAndLogsInOverPop3) {
  auto server = start();
  SocketClient client(port);
  ASSERT_TRUE(client.connected());
  EXPECT_EQ(log_in(client).substr(0, 3), "+OK");
  std::string line;
  client.send("STAT\r\n");
  ASSERT_TRUE(client.read_line(line));
  EXPECT_EQ(line, "+OK 0 0");
  client.send("QUIT\r\n");
  ASSERT_TRUE(client.read_line(line));
  EXPECT_EQ(line.substr(0, 3), "+OK");
  EXPECT_TRUE(ends_within(client, 5s));
  EXPECT_EQ(server->stats().logins, 1u);
}

TEST_F(FrontServerTest, AWrongPasswordIsRefusedAndTheNextLoginWorks) {
  auto server = start();
  SocketClient client(port);
  EXPECT_EQ(log_in(client, "wrong").substr(0, 12), "-ERR [AUTH] ");
  SocketClient other(port);
  EXPECT_EQ(log_in(other).substr(0, 3), "+OK");
}

TEST_F(FrontServerTest, AMegabyteWithoutALineEndClosesThatConnectionOnly) {
  auto server = start();
  SocketClient flood(port);
  std::string line;
  ASSERT_TRUE(flood.read_line(line));
  const std::string chunk(64 * 1024, 'A');
  for (int i = 0; i < 16; ++i) flood.send(chunk);
  EXPECT_TRUE(ends_within(flood, 10s));
  SocketClient client(port);
  EXPECT_EQ(log_in(client).substr(0, 3), "+OK");
}

TEST_F(FrontServerTest, ConnectionsOfOneAddressAreBoundedOthersAreServed) {
  FrontOptions options;
  options.max_per_address = 3;
  auto server = start(options);
  std::vector<std::unique_ptr<SocketClient>> held;
  std::string line;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<SocketClient>(port));
    ASSERT_TRUE(held.back()->read_line(line));
  }
  SocketClient fourth(port);
  EXPECT_FALSE(fourth.read_line(line)) << line;
  SocketClient elsewhere(port, "127.0.0.1", "127.0.0.2");
  ASSERT_TRUE(elsewhere.connected());
  EXPECT_EQ(log_in(elsewhere).substr(0, 3), "+OK");
  EXPECT_GE(server->stats().refused, 1u);
  // A slot freed is a slot taken again.
  held.pop_back();
  std::this_thread::sleep_for(200ms);
  SocketClient again(port);
  EXPECT_EQ(log_in(again).substr(0, 3), "+OK");
}

TEST_F(FrontServerTest, ASilentClientIsClosedAfterTheIdleTime) {
  FrontOptions options;
  options.prelogin_idle_timeout = 300ms;
  auto server = start(options);
  SocketClient client(port);
  std::string line;
  ASSERT_TRUE(client.read_line(line));
  ASSERT_TRUE(client.read_line(line));  // the farewell
  EXPECT_EQ(line.substr(0, 4), "-ERR");
  EXPECT_TRUE(ends_within(client, 5s));
  EXPECT_GE(server->stats().timeouts, 1u);
}

TEST_F(FrontServerTest, ALoginMustComeInTimeWhateverIsSent) {
  FrontOptions options;
  options.login_timeout = 600ms;
  auto server = start(options);
  SocketClient client(port);
  std::string line;
  ASSERT_TRUE(client.read_line(line));
  const auto began = Clock::now();
  bool closed = false;
  while (Clock::now() - began < 10s) {
    client.send("CAPA\r\n");
    std::this_thread::sleep_for(100ms);
    if (ends_within(client, 10ms)) {
      closed = true;
      break;
    }
  }
  EXPECT_TRUE(closed);
}

TEST_F(FrontServerTest, AClientThatNeverReadsIsClosedAndOthersAreServed) {
  FrontOptions options;
  options.send_timeout = 500ms;
  auto server = start(options);
  SocketClient hog(port);
  // Logged in: no bound on the number of commands any more.
  ASSERT_EQ(log_in(hog).substr(0, 3), "+OK");
  const int small = 4096;
  ::setsockopt(hog.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  ::fcntl(hog.fd(), F_SETFL, ::fcntl(hog.fd(), F_GETFL) | O_NONBLOCK);
  std::string commands;
  for (int i = 0; i < 2000; ++i) commands += "CAPA\r\n";
  // Send for a while without ever reading: the server's answers fill the
  // socket, its writes wait, and the send timeout ends the connection.
  const auto began = Clock::now();
  bool refused = false;
  while (Clock::now() - began < 15s) {
    const auto n = ::send(hog.fd(), commands.data(), commands.size(), MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      refused = true;
      break;
    }
    if (server->stats().timeouts > 0) break;
    std::this_thread::sleep_for(20ms);
  }
  SocketClient client(port);
  EXPECT_EQ(log_in(client).substr(0, 3), "+OK");
  const auto until = Clock::now() + 10s;
  while (server->stats().timeouts == 0 && Clock::now() < until) std::this_thread::sleep_for(50ms);
  EXPECT_GE(server->stats().timeouts, 1u) << (refused ? "the hog's sends were refused" : "");
}

// With HideUnknownAccounts a failure is answered FailureAnswerTime after
// the login began; the wait is a timer on the event loop, so one login
// thread answers many held failures at once.
TEST_F(FrontServerTest, HeldFailuresDoNotOccupyLoginThreads) {
  ASSERT_TRUE(set(*host, {}, "HideUnknownAccounts", "true").ok());
  ASSERT_TRUE(set(*host, {}, "FailureAnswerTime", "1s").ok());
  FrontOptions options;
  options.login_threads = 1;
  auto server = start(options);
  constexpr int clients = 6;
  std::vector<std::unique_ptr<SocketClient>> all;
  std::string line;
  for (int i = 0; i < clients; ++i) {
    all.push_back(std::make_unique<SocketClient>(port));
    ASSERT_TRUE(all.back()->read_line(line));
    all.back()->send("USER nobody" + std::to_string(i) + "\r\n");
    ASSERT_TRUE(all.back()->read_line(line));
  }
  const auto began = Clock::now();
  for (auto& c : all) c->send("PASS whatever\r\n");
  std::vector<std::string> answers;
  for (auto& c : all) {
    ASSERT_TRUE(c->read_line(line));
    answers.push_back(line);
  }
  const auto took = Clock::now() - began;
  for (const auto& a : answers) EXPECT_EQ(a, answers.front());
  EXPECT_EQ(answers.front().substr(0, 12), "-ERR [AUTH] ");
  EXPECT_GE(took, 900ms);
  // Held on one thread, one after another, they would take 6 s.
  EXPECT_LT(took, 4s) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
}

TEST_F(FrontServerTest, StopSaysGoodbyeClosesAndStopsAccepting) {
  auto server = start();
  SocketClient client(port);
  std::string line;
  ASSERT_TRUE(client.read_line(line));
  server->stop();
  ASSERT_TRUE(client.read_line(line));
  EXPECT_EQ(line.substr(0, 4), "-ERR");
  EXPECT_TRUE(ends_within(client, 5s));
  SocketClient late(port);
  EXPECT_FALSE(late.connected() && late.read_line(line));
  server->stop();  // idempotent
}

TEST_F(FrontServerTest, AnAddressInUseIsAClearError) {
  auto server = start();
  FrontOptions options;
  options.fronts.push_back({FrontKind{Protocol::Imap, true}, "127.0.0.1", port});
  try {
    FrontServer second(*host, options);
    FAIL() << "a port in use was bound twice";
  } catch (const FrontError& e) {
    EXPECT_NE(std::string(e.what()).find("imaps cannot listen on 127.0.0.1:" + std::to_string(port)),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace authd::host::fronts
