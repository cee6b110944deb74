// The LDAP backend when its server fails: stopped (connection refused),
// frozen with SIGSTOP (connections accepted, never answered), killed with
// requests in flight, restarted, and a second server to fail over to and
// back from. In every case each request is answered exactly once, nothing
// is accepted that should not be, the backend recovers on its own, and no
// file descriptor is left behind. SIGPIPE keeps its default action in these
// tests: the backend blocks it around its own socket writes, so a host that
// does not ignore it is not killed when a server goes away.
#include <gtest/gtest.h>

#include "ldap_test_support.hpp"
#include "passwords/registry.hpp"

namespace authd::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string uniform = "ERROR incorrect account name or password";
const std::string failure = "FAILURE temporarily unavailable";

// Short limits, so a hung server costs each request one second.
const std::string fast_limits = "connect_timeout_ms = 500\noperation_timeout_ms = 1000\n";

std::vector<LdapUser> few_users() {
  const auto& all = bulk_users();
  return {all.begin(), all.begin() + 40};
}

std::string bind_backend(const std::vector<std::string>& uris, const std::string& extra = "",
                         int failback_ms = 500) {
  return ldap_backend_toml("l", uris, search_bind_toml + service_account_toml() + fast_limits + extra +
                                          "failback_ms = " + std::to_string(failback_ms) + "\n");
}

// A right password of a user slapd can check, and a wrong one.
std::string right_line(int seq, int user) {
  return vrfy_line(seq, bulk_name(user) + "@example.com", bulk_password(user));
}
std::string wrong_line(int seq, int user) {
  return vrfy_line(seq, bulk_name(user) + "@example.com", bulk_password(user) + "?");
}
// The bulk users whose password slapd can check (not {CRAM-MD5}).
int checkable(int n) { return bulk_kind(n) == BulkKind::CramMd5 ? n + 1 : n; }

class LdapFaults : public ::testing::Test {
 protected:
  void SetUp() override { fds_before_ = open_fd_count(); }
  // Every harness and backend is gone by now: their descriptors must be too.
  void TearDown() override { EXPECT_EQ(open_fd_count(), fds_before_) << "file descriptors leaked"; }

  std::size_t fds_before_ = 0;
};

TEST_F(LdapFaults, StoppedServerFailsAtOnce) {
  Slapd slapd(few_users());
  {
    EngineHarness h(engine_config("workers = 4", bind_backend({slapd.uri()}) + one_route("l")));
    EXPECT_EQ(h.ask(right_line(1, 0)), "1 OK");
    slapd.stop();
    for (int seq = 2; seq < 6; ++seq) {
      const auto start = Clock::now();
      EXPECT_EQ(h.ask(right_line(seq, 0)), std::to_string(seq) + " " + failure);
      EXPECT_LT(Clock::now() - start, 300ms);
    }
    EXPECT_EQ(h.ask("9 NEW user0000@example.com"), "9 " + failure);
  }
}

TEST_F(LdapFaults, RestartedServerIsFoundAgainWithoutRestartingAuthd) {
  Slapd slapd(few_users());
  {
    EngineHarness h(engine_config("workers = 4", bind_backend({slapd.uri()}) + one_route("l")));
    EXPECT_EQ(h.ask(right_line(1, 0)), "1 OK");
    slapd.stop();
    EXPECT_EQ(h.ask(right_line(2, 0)), "2 " + failure);
    slapd.start();
    // The pooled connections are dead; the first request after the restart
    // notices, reconnects and succeeds.
    EXPECT_EQ(h.ask(right_line(3, 0)), "3 OK");
    EXPECT_EQ(h.ask(wrong_line(4, 0)), "4 " + uniform);
    slapd.kill();
    slapd.start();
    EXPECT_EQ(h.ask(right_line(5, 5)), "5 OK");
  }
}

TEST_F(LdapFaults, FrozenServerFailsInsideTheDeadlineAndOtherRoutesKeepFlowing) {
  Slapd slapd(few_users());
  TempDir dir;
  // A slow scheme, so the password-file requests need a worker too.
  const std::string passwd = dir.file(
      "users.passwd", "local@local.example:" +
                          passwords::Registry::instance().encode("SHA512-CRYPT", Secret("local pw")) + "\n");
  {
    EngineHarness h(engine_config(
        "workers = 8",
        bind_backend({slapd.uri()}) + "[[backend]]\nname = \"f\"\ntype = \"passwd-file\"\npath = \"" + passwd +
            "\"\n[[route]]\ndomains = [\"local.example\"]\nbackends = [\"f\"]\n" + one_route("l")));
    EXPECT_EQ(h.ask(right_line(1, 0)), "1 OK");
    slapd.freeze();
    const auto start = Clock::now();
    std::string batch;
    for (int seq = 10; seq < 16; ++seq) batch += right_line(seq, checkable(seq)) + "\n";
    h.send(batch);
    std::this_thread::sleep_for(50ms);
    // While the LDAP requests hang, a password-file request is answered at once.
    const auto local_start = Clock::now();
    h.send_line(vrfy_line(20, "local@local.example", "local pw"));
    Answers answers = read_answers(h, 1, 2s);
    const auto local_time = Clock::now() - local_start;
    ASSERT_EQ(answers.by_seq.count(20), 1u);
    EXPECT_EQ(answers.by_seq[20], "OK");
    EXPECT_LT(local_time, 250ms);
    std::cout << "[          ] password-file answer while LDAP is frozen: "
              << std::chrono::duration_cast<std::chrono::microseconds>(local_time).count() << " us\n";
    Answers ldap = read_answers(h, 6, 5s);
    const auto ldap_time = Clock::now() - start;
    ASSERT_EQ(ldap.by_seq.size(), 6u);
    EXPECT_TRUE(ldap.repeated.empty());
    // Answered by the backend at its own limit, inside the engine's 3 s.
    for (const auto& [seq, answer] : ldap.by_seq) EXPECT_EQ(answer, failure) << seq;
    EXPECT_LT(ldap_time, 2500ms);
    // While it stays frozen, requests fail fast or at the limit, never hang.
    const auto later = Clock::now();
    EXPECT_EQ(h.ask(right_line(30, 0)), "30 " + failure);
    EXPECT_LT(Clock::now() - later, 1500ms);
    slapd.thaw();
    EXPECT_EQ(h.ask(right_line(40, 0)), "40 OK");
    EXPECT_EQ(h.ask(wrong_line(41, 0)), "41 " + uniform);
  }
}

TEST_F(LdapFaults, KilledWithRequestsInFlight) {
  Slapd slapd(few_users());
  {
    EngineHarness h(engine_config("workers = 8", bind_backend({slapd.uri()}) + one_route("l")));
    EXPECT_EQ(h.ask(right_line(1, 0)), "1 OK");
    // Twenty requests hang on the frozen server; then it is killed.
    slapd.freeze();
    std::string batch;
    for (int seq = 100; seq < 120; ++seq)
      batch += (seq % 2 == 0 ? right_line(seq, checkable(seq % 40)) : wrong_line(seq, checkable(seq % 40))) + "\n";
    h.send(batch);
    std::this_thread::sleep_for(100ms);
    slapd.kill();
    Answers answers = read_answers(h, 20, 5s);
    EXPECT_EQ(answers.by_seq.size(), 20u);
    EXPECT_TRUE(answers.repeated.empty());
    EXPECT_TRUE(answers.garbage.empty());
    for (const auto& [seq, answer] : answers.by_seq) EXPECT_EQ(answer, failure) << seq;

    // And killed under load: answers are right, or FAILURE, never a wrong OK.
    slapd.start();
    EXPECT_EQ(h.ask(right_line(2, 0)), "2 OK");
    batch.clear();
    for (int seq = 1000; seq < 1400; ++seq)
      batch += (seq % 2 == 0 ? right_line(seq, checkable(seq % 40)) : wrong_line(seq, checkable(seq % 40))) + "\n";
    std::thread killer([&] {
      std::this_thread::sleep_for(30ms);
      slapd.kill();
    });
    h.send(batch);
    answers = read_answers(h, 400, 10s);
    killer.join();
    EXPECT_EQ(answers.by_seq.size(), 400u);
    EXPECT_TRUE(answers.repeated.empty());
    int ok = 0, failed = 0;
    for (const auto& [seq, answer] : answers.by_seq) {
      if (seq % 2 == 0) EXPECT_TRUE(answer == "OK" || answer == failure) << seq << " " << answer;
      else EXPECT_TRUE(answer == uniform || answer == failure) << seq << " " << answer;
      ok += answer == "OK";
      failed += answer == failure;
    }
    std::cout << "[          ] killed under load: " << ok << " OK, " << failed << " FAILURE of 400\n";
    slapd.start();
    EXPECT_EQ(h.ask(right_line(3, 0)), "3 OK");
  }
}

TEST_F(LdapFaults, FailsOverToTheNextServerAndBackAfterFailback) {
  // The same entry on both servers, with a different password on each: the
  // password that works tells which server answered.
  const auto& registry = passwords::Registry::instance();
  auto users_with = [&](const std::string& password) {
    auto users = few_users();
    users.push_back({"where", "example.com", {registry.encode("SSHA", Secret(password))}, false, false});
    return users;
  };
  Slapd primary(users_with("on primary"));
  Slapd secondary(users_with("on secondary"));
  {
    EngineHarness h(
        engine_config("workers = 4", bind_backend({primary.uri(), secondary.uri()}, "", 1000) + one_route("l")));
    EXPECT_EQ(h.ask(vrfy_line(1, "where@example.com", "on primary")), "1 OK");
    primary.stop();
    // No request fails: the stale connection is noticed, the primary
    // refuses, the secondary answers, all inside one request.
    EXPECT_EQ(h.ask(vrfy_line(2, "where@example.com", "on secondary")), "2 OK");
    EXPECT_EQ(h.ask(vrfy_line(3, "where@example.com", "on primary")), "3 " + uniform);
    EXPECT_EQ(h.ask(right_line(4, 0)), "4 OK");
    primary.start();
    // Still on the secondary until failback_ms has passed...
    EXPECT_EQ(h.ask(vrfy_line(5, "where@example.com", "on secondary")), "5 OK");
    std::this_thread::sleep_for(1100ms);
    // ...then back on the primary, search and bind connections alike.
    EXPECT_EQ(h.ask(vrfy_line(6, "where@example.com", "on primary")), "6 OK");
    EXPECT_EQ(h.ask(vrfy_line(7, "where@example.com", "on primary")), "7 OK");
    EXPECT_NE(h.log_text().find(primary.uri() + " is back"), std::string::npos);
  }
}

TEST_F(LdapFaults, FrozenPrimaryCostsOneRequestThenFailsOver) {
  const auto& registry = passwords::Registry::instance();
  auto users_with = [&](const std::string& password) {
    auto users = few_users();
    users.push_back({"where", "example.com", {registry.encode("SSHA", Secret(password))}, false, false});
    return users;
  };
  Slapd primary(users_with("on primary"));
  Slapd secondary(users_with("on secondary"));
  {
    EngineHarness h(engine_config("workers = 4", bind_backend({primary.uri(), secondary.uri()}, "connections = 1\n") +
                                                     one_route("l")));
    EXPECT_EQ(h.ask(vrfy_line(1, "where@example.com", "on primary")), "1 OK");
    primary.freeze();
    const auto start = Clock::now();
    // The pooled connection hangs until the limit: this one request fails.
    EXPECT_EQ(h.ask(vrfy_line(2, "where@example.com", "on secondary")), "2 " + failure);
    EXPECT_LT(Clock::now() - start, 1500ms);
    EXPECT_EQ(h.ask(vrfy_line(3, "where@example.com", "on secondary")), "3 OK");
    EXPECT_EQ(h.ask(vrfy_line(4, "where@example.com", "on secondary")), "4 OK");
    primary.thaw();
    std::this_thread::sleep_for(600ms);
    EXPECT_EQ(h.ask(vrfy_line(5, "where@example.com", "on primary")), "5 OK");
  }
}

}  // namespace
}  // namespace authd::testing
