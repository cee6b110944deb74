// The host's helper client against real authd and against helpers that
// misbehave in every way a helper can.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "host/helper_client.hpp"
#include "host/replay.hpp"

namespace authd::host {
namespace {

using namespace std::chrono_literals;

const std::string fake = std::string(AUTHD_TEST_HELPERS) + "/fake_helper.pl";

std::string marker() {
  static std::atomic<int> counter{0};
  const auto path = std::filesystem::temp_directory_path() /
                    ("authhost-marker-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  std::filesystem::remove(path);
  return path.string();
}

HelperOptions options(std::vector<std::string> command, std::chrono::milliseconds timeout = 2000ms) {
  HelperOptions o;
  o.command = std::move(command);
  o.request_timeout = timeout;
  o.restart_backoff = 20ms;
  o.max_restart_backoff = 200ms;
  return o;
}

// Sends `count` requests at once and collects every completion.
struct Burst {
  std::mutex mutex;
  std::map<int, std::vector<HelperAnswer>> answers;
  std::atomic<int> done{0};

  void send(HelperClient& client, int count) {
    for (int i = 0; i < count; ++i)
      client.submit("VRFY user" + std::to_string(i) + "@example.com secret", [this, i](const HelperAnswer& a) {
        std::lock_guard lock(mutex);
        answers[i].push_back(a);
        ++done;
      });
  }
  bool wait_for(int count, std::chrono::milliseconds limit = 20000ms) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (done < count && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
    return done >= count;
  }
  // Every request completed exactly once.
  void expect_each_once(int count) {
    std::lock_guard lock(mutex);
    ASSERT_EQ(static_cast<int>(answers.size()), count);
    for (const auto& [i, list] : answers) EXPECT_EQ(list.size(), 1u) << "request " << i;
  }
  int count_of(AnswerKind kind) {
    std::lock_guard lock(mutex);
    int n = 0;
    for (const auto& [i, list] : answers)
      for (const auto& a : list) n += a.kind == kind;
    return n;
  }
};

TEST(HelperClient, TalksToAuthd) {
  HelperClient client(options({AUTHD_BINARY, "--config", std::string(AUTHD_SOURCE_DIR) + "/examples/sessions/seed.toml"}));
  auto ok = client.ask("VRFY user2@domain2.com \"correct horse\"");
  EXPECT_EQ(ok.kind, AnswerKind::Ok);
  auto wrong = client.ask("VRFY (IMAP) user2@domain2.com jskj23#45");
  EXPECT_EQ(wrong.kind, AnswerKind::Error);
  EXPECT_EQ(wrong.text, "incorrect password");
  EXPECT_EQ(client.helper_version(), 2u);
  Burst burst;
  burst.send(client, 200);
  ASSERT_TRUE(burst.wait_for(200));
  burst.expect_each_once(200);
  client.shutdown();
  EXPECT_EQ(client.helper_pid(), -1);
}

TEST(HelperClient, TheHelperInheritsOnlyItsStandardStreams) {
  const int stray = ::open("/dev/null", O_RDONLY);  // deliberately not close-on-exec
  ASSERT_GE(stray, 3);
  HelperClient client(options({fake, "fds"}));
  const auto answer = client.ask("VRFY joe@example.com secret");
  ::close(stray);
  EXPECT_EQ(answer.kind, AnswerKind::Ok);
  EXPECT_EQ(answer.text, "0,1,2");
}

TEST(HelperClient, ManyInFlightAreMatchedByNumber) {
  // The helper answers one request every 200 ms; all are in flight at once.
  HelperClient client(options({fake, "slow-ok"}, 10000ms));
  Burst burst;
  burst.send(client, 10);
  ASSERT_TRUE(burst.wait_for(10));
  burst.expect_each_once(10);
  EXPECT_EQ(burst.count_of(AnswerKind::Ok), 10);
  EXPECT_EQ(client.stats().sent, 11u);  // INTF and ten requests, each written once
}

TEST(HelperClient, AHelperThatCrashesWithRequestsInFlightIsRestartedAndTheyAreSentAgainOnce) {
  HelperClient client(options({fake, "crash-in-flight", marker()}));
  Burst burst;
  burst.send(client, 50);
  ASSERT_TRUE(burst.wait_for(50));
  burst.expect_each_once(50);
  EXPECT_EQ(burst.count_of(AnswerKind::Ok), 50);
  const auto stats = client.stats();
  EXPECT_EQ(stats.restarts, 1u);
  EXPECT_EQ(stats.resent, 50u);
  EXPECT_EQ(stats.answered, 50u);
}

TEST(HelperClient, AFrozenHelperTimesOutIsRestartedAndEachRequestFailsAfterItsSecondTry) {
  HelperClient client(options({fake, "freeze"}, 300ms));
  Burst burst;
  burst.send(client, 5);
  ASSERT_TRUE(burst.wait_for(5, 10000ms));
  burst.expect_each_once(5);
  EXPECT_EQ(burst.count_of(AnswerKind::TempFail), 5);
  EXPECT_GE(client.stats().restarts, 1u);
  EXPECT_EQ(client.stats().resent, 5u);
}

TEST(HelperClient, AnAnswerGivenTwiceCountsOnce) {
  HelperClient client(options({fake, "twice"}));
  Burst burst;
  burst.send(client, 30);
  ASSERT_TRUE(burst.wait_for(30));
  std::this_thread::sleep_for(100ms);  // let the duplicates arrive
  burst.expect_each_once(30);
  EXPECT_GE(client.stats().dropped_lines, 30u);
  EXPECT_EQ(client.stats().restarts, 0u);
}

TEST(HelperClient, AnswersToUnknownNumbersAreDropped) {
  HelperClient client(options({fake, "unknown"}));
  Burst burst;
  burst.send(client, 10);
  ASSERT_TRUE(burst.wait_for(10));
  burst.expect_each_once(10);
  EXPECT_EQ(burst.count_of(AnswerKind::Ok), 10);
  EXPECT_EQ(client.stats().dropped_lines, 10u);
}

TEST(HelperClient, GarbageMeansBrokenAndTheHelperIsReplaced) {
  HelperClient client(options({fake, "garbage", marker()}));
  EXPECT_EQ(client.ask("VRFY joe@example.com secret").kind, AnswerKind::Ok);
  EXPECT_EQ(client.stats().restarts, 1u);
  EXPECT_EQ(client.stats().resent, 1u);
}

TEST(HelperClient, AHugeLineMeansBrokenWithoutHoldingIt) {
  HelperClient client(options({fake, "huge", marker()}));
  EXPECT_EQ(client.ask("VRFY joe@example.com secret").kind, AnswerKind::Ok);
  EXPECT_EQ(client.stats().restarts, 1u);
}

TEST(HelperClient, AHelperThatStopsReadingNeverBlocksTheCaller) {
  HelperClient client(options({fake, "deaf"}, 300ms));
  Burst burst;
  const auto start = std::chrono::steady_clock::now();
  // Far more than a pipe holds: submit() must return at once all the same.
  for (int i = 0; i < 2000; ++i)
    client.submit("VRFY user@example.com " + std::string(200, 'p'), [&burst](const HelperAnswer& a) {
      std::lock_guard lock(burst.mutex);
      burst.answers[static_cast<int>(burst.answers.size())].push_back(a);
      ++burst.done;
    });
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1000ms);
  ASSERT_TRUE(burst.wait_for(2000, 30000ms));
  EXPECT_EQ(burst.count_of(AnswerKind::Ok), 0);
}

TEST(HelperClient, AHelperThatCannotStartFailsFast) {
  HelperClient client(options({fake, "crash-at-start"}, 500ms));
  const auto start = std::chrono::steady_clock::now();
  Burst burst;
  burst.send(client, 10);
  ASSERT_TRUE(burst.wait_for(10, 5000ms));
  EXPECT_EQ(burst.count_of(AnswerKind::TempFail), 10);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3000ms);
}

TEST(HelperClient, AMissingProgramIsATemporaryFailure) {
  HelperClient client(options({"/nonexistent/helper"}, 300ms));
  EXPECT_EQ(client.ask("VRFY joe@example.com secret").kind, AnswerKind::TempFail);
}

TEST(HelperClient, OverloadIsAnsweredAtOnce) {
  auto o = options({fake, "freeze"}, 5000ms);
  o.max_queued = 3;
  HelperClient client(o);
  Burst burst;
  burst.send(client, 5);
  ASSERT_TRUE(burst.wait_for(2, 1000ms));  // two refused at once
  EXPECT_EQ(burst.count_of(AnswerKind::TempFail), 2);
  client.shutdown();
  ASSERT_TRUE(burst.wait_for(5, 1000ms));
  burst.expect_each_once(5);
}

TEST(HelperClient, ShutdownWaitsForTheHelperThenKillsIt) {
  auto o = options({fake, "deaf"}, 10000ms);
  o.shutdown_wait = 300ms;
  HelperClient client(o);
  EXPECT_GT(client.ask("INTF 2").kind == AnswerKind::Ok ? 1 : 1, 0);
  const auto start = std::chrono::steady_clock::now();
  client.shutdown();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2000ms);
  EXPECT_EQ(client.helper_pid(), -1);
}

TEST(Replay, TheShippedSessionsPassAgainstAuthd) {
  const std::string examples = std::string(AUTHD_SOURCE_DIR) + "/examples";
  const std::pair<const char*, const char*> sessions[] = {
      {"sessions/seed-basic.txt", "sessions/seed.toml"},
      {"sessions/seed-out-of-order.txt", "sessions/seed.toml"},
      {"sessions/seed-new.txt", "sessions/seed-new.toml"},
      {"sessions/demo.txt", "demo/authd.toml"},
  };
  for (const auto& [session, config] : sessions) {
    std::ifstream in(examples + "/" + session);
    std::stringstream text;
    text << in.rdbuf();
    const auto result = replay_session(text.str(), {AUTHD_BINARY, "--config", examples + "/" + config}, 10000ms);
    std::string problems;
    for (const auto& m : result.mismatches) problems += m + "\n";
    EXPECT_TRUE(result.mismatches.empty()) << session << "\n" << problems;
  }
}

TEST(Replay, ReportsMismatches) {
  const auto result = replay_session("I: 1 INTF 2\nO: 1 OK 2\nI: 2 VRFY a@b c\nO: 2 ERROR nope\nO: 3 OK\n",
                                     {fake, "ok"}, 2000ms);
  ASSERT_EQ(result.mismatches.size(), 2u);
  EXPECT_NE(result.mismatches[0].find("expected \"2 ERROR nope\", got \"2 OK\""), std::string::npos);
  EXPECT_NE(result.mismatches[1].find("never arrived"), std::string::npos);
}

}  // namespace
}  // namespace authd::host
