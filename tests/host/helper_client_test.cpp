// The host's helper client against real authd and against helpers that
// misbehave in every way a helper can.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "host/helper/helper_client.hpp"
#include "host/login/login.hpp"
#include "host/helper/replay.hpp"
#include "protocol/limits.hpp"
#include "host_test_support.hpp"

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

// The log lines a client wrote, with their levels.
struct Log {
  std::mutex mutex;
  std::vector<std::pair<HelperLogLevel, std::string>> lines;

  HelperClient::Logger logger() {
    return [this](HelperLogLevel level, const std::string& line) {
      std::lock_guard lock(mutex);
      lines.emplace_back(level, line);
    };
  }
  bool has(HelperLogLevel level, std::string_view part) {
    std::lock_guard lock(mutex);
    for (const auto& [l, line] : lines)
      if (l == level && line.find(part) != std::string::npos) return true;
    return false;
  }
  bool anywhere(std::string_view part) {
    return has(HelperLogLevel::Major, part) || has(HelperLogLevel::Detail, part);
  }
  std::string all() {
    std::lock_guard lock(mutex);
    std::string out;
    for (const auto& [l, line] : lines) out += (l == HelperLogLevel::Major ? "major: " : "detail: ") + line + "\n";
    return out;
  }
};

// Children of this process that have exited and were never reaped.
int zombie_children() {
  int zombies = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    if (!in || !std::getline(in, stat)) continue;
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    char state = 0;
    long parent = 0;
    rest >> state >> parent;
    zombies += state == 'Z' && parent == ::getpid();
  }
  return zombies;
}

// Sends `count` requests at once and collects every completion.
struct Burst {
  std::mutex mutex;
  std::map<int, std::vector<HelperAnswer>> answers;
  std::atomic<int> done{0};

  void send(HelperClient& client, int count) {
    for (int i = 0; i < count; ++i)
      client.submit(HelperRequest::from_text("VRFY user" + std::to_string(i) + "@example.com secret"), [this, i](const HelperAnswer& a) {
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
  auto ok = client.ask(HelperRequest::from_text("VRFY user2@domain2.com \"correct horse\""));
  EXPECT_EQ(ok.kind, AnswerKind::Ok);
  auto wrong = client.ask(HelperRequest::from_text("VRFY (IMAP) user2@domain2.com jskj23#45"));
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
  const auto answer = client.ask(HelperRequest::from_text("VRFY joe@example.com secret"));
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
  EXPECT_EQ(client.ask(HelperRequest::from_text("VRFY joe@example.com secret")).kind, AnswerKind::Ok);
  EXPECT_EQ(client.stats().restarts, 1u);
  EXPECT_EQ(client.stats().resent, 1u);
}

TEST(HelperClient, AHugeLineMeansBrokenWithoutHoldingIt) {
  HelperClient client(options({fake, "huge", marker()}));
  EXPECT_EQ(client.ask(HelperRequest::from_text("VRFY joe@example.com secret")).kind, AnswerKind::Ok);
  EXPECT_EQ(client.stats().restarts, 1u);
}

TEST(HelperClient, AHelperThatStopsReadingNeverBlocksTheCaller) {
  HelperClient client(options({fake, "deaf"}, 300ms));
  Burst burst;
  const auto start = std::chrono::steady_clock::now();
  // Far more than a pipe holds: submit() must return at once all the same.
  for (int i = 0; i < 2000; ++i)
    client.submit(HelperRequest::from_text("VRFY user@example.com " + std::string(200, 'p')), [&burst](const HelperAnswer& a) {
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
  EXPECT_EQ(client.ask(HelperRequest::from_text("VRFY joe@example.com secret")).kind, AnswerKind::TempFail);
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

TEST(HelperClient, ShutdownWaitsForTheHelperThenKillsItAndSaysSo) {
  auto o = options({fake, "linger"}, 10000ms);
  o.shutdown_wait = 300ms;
  Log log;
  HelperClient client(o, log.logger());
  EXPECT_EQ(client.ask(HelperRequest::from_text("INTF 2")).kind, AnswerKind::Ok);
  const auto start = std::chrono::steady_clock::now();
  client.shutdown();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2000ms);
  EXPECT_EQ(client.helper_pid(), -1);
  EXPECT_TRUE(log.has(HelperLogLevel::Major, "did not exit within 300 ms of the end of its input: killed"))
      << log.all();
  EXPECT_EQ(zombie_children(), 0);
}

// ---- interface versions: "(mode)" only from version 1 on ----

struct VersionCase {
  const char* intf_answer;   // the helper's answer to INTF, after its seq
  unsigned version;          // the version the client must use
  bool mode_sent;
};

TEST(HelperClient, TheModeIsSentOnlyToAHelperAtVersionOneOrHigher) {
  const VersionCase cases[] = {
      {"ERROR unknown command", 0, false},  // written to the document before INTF
      {"OK", 0, false},                     // a bare OK: no version
      {"OK 0", 0, false},
      {"FAILURE busy", 0, false},
      {"OK 1", 1, true},
      {"INTF 1", 1, true},
      {"OK 2", 2, true},
      {"INTF 9", 2, true},  // above the host's: the host's
      {"OK 7", 2, true},
  };
  for (const auto& c : cases) {
    Log log;
    HelperClient client(options({fake, "echo", c.intf_answer}), log.logger());
    HelperRequest request("VRFY", "IMAP");
    request.argument("joe@example.com").secret_argument("pass word");
    const auto answer = client.ask(std::move(request));
    EXPECT_EQ(answer.kind, AnswerKind::Ok) << c.intf_answer;
    // The echo of the password comes back hidden (answers are logged by callers).
    EXPECT_EQ(answer.text, c.mode_sent ? "VRFY (IMAP) joe@example.com ***" : "VRFY joe@example.com ***")
        << c.intf_answer;
    EXPECT_EQ(client.helper_version(), c.version) << c.intf_answer;
    // Not a broken helper: never restarted.
    EXPECT_EQ(client.stats().restarts, 0u) << c.intf_answer << "\n" << log.all();
    EXPECT_TRUE(log.has(HelperLogLevel::Major, "speaks interface version " + std::to_string(c.version)))
        << log.all();
  }
}

TEST(HelperClient, NothingButIntfIsSentBeforeTheHelperAnswersIt) {
  // Requests submitted at once still go after the INTF answer: their mode
  // depends on it.
  HelperClient client(options({fake, "echo", "ERROR no INTF here"}));
  std::vector<std::future<HelperAnswer>> answers;
  for (int i = 0; i < 20; ++i) {
    auto promise = std::make_shared<std::promise<HelperAnswer>>();
    answers.push_back(promise->get_future());
    HelperRequest request("VRFY", "POP");
    request.argument("user" + std::to_string(i) + "@example.com").secret_argument("pw");
    client.submit(std::move(request), [promise](const HelperAnswer& a) { promise->set_value(a); });
  }
  for (auto& answer : answers) {
    const auto a = answer.get();
    EXPECT_EQ(a.kind, AnswerKind::Ok);
    EXPECT_EQ(a.text.find("(POP)"), std::string::npos) << a.text;
  }
}

// ---- INTF answers and sequence numbers ----

TEST(HelperClient, AnIntfAnswerToAVrfyIsNeverAnOk) {
  Log log;
  HelperClient client(options({fake, "intf-answer"}), log.logger());
  const auto answer = client.ask(HelperRequest::from_text("VRFY joe@example.com wrong"));
  EXPECT_EQ(answer.kind, AnswerKind::TempFail);
  EXPECT_GE(client.stats().restarts, 1u);  // the helper is broken
  EXPECT_TRUE(log.has(HelperLogLevel::Major, "with INTF")) << log.all();
  // To INTF itself, the INTF form is an answer.
  EXPECT_EQ(client.ask(HelperRequest::from_text("INTF 2")).kind, AnswerKind::Ok);
}

TEST(HelperClient, TheSequenceNumberMustComeBackByteForByte) {
  // A time-out generous enough for the helper to start and answer INTF on a loaded machine:
  // the wrong answer must be what is dropped, not a slow start.
  Log log;
  HelperClient client(options({fake, "leading-zero"}, 1500ms), log.logger());
  const auto answer = client.ask(HelperRequest::from_text("VRFY joe@example.com wrong"));
  EXPECT_NE(answer.kind, AnswerKind::Ok);
  EXPECT_GE(client.stats().dropped_lines, 1u);
  EXPECT_TRUE(log.has(HelperLogLevel::Major, "request 02")) << log.all();
}

// ---- the request line limit ----

// A VRFY whose line, sent as request number 2 without a mode, is `size` bytes.
HelperRequest vrfy_of_line_size(std::size_t size) {
  const std::size_t fixed = std::string_view("2 VRFY joe@example.com ").size();
  HelperRequest request("VRFY", "IMAP");
  request.argument("joe@example.com").secret_argument(std::string(size - fixed, 'p'));
  EXPECT_EQ(request.line_size(1, false), size);
  return request;
}

TEST(HelperClient, ALineAtTheLimitIsSentAndOneByteMoreNeverIs) {
  HelperClient client(options({fake, "echo", "ERROR no INTF"}));  // version 0: no mode
  const auto at_limit = client.ask(vrfy_of_line_size(protocol::max_request_line));
  EXPECT_EQ(at_limit.kind, AnswerKind::Ok);
  EXPECT_EQ(at_limit.text, "length " + std::to_string(protocol::max_request_line));
  const auto sent = client.stats().sent;
  const auto over = client.ask(vrfy_of_line_size(protocol::max_request_line + 1));
  EXPECT_EQ(over.kind, AnswerKind::TooLong);
  EXPECT_NE(over.text.find("too long"), std::string::npos);
  EXPECT_EQ(client.stats().sent, sent);  // not a byte of it written
}

TEST(HelperClient, TheModeAndTheNumberCountTowardsTheLimit) {
  // At version 2 the mode is sent: " (IMAP)" takes the line over the limit.
  Log log;
  HelperClient client(options({fake, "echo", "OK 2"}), log.logger());
  const auto answer = client.ask(vrfy_of_line_size(protocol::max_request_line));
  EXPECT_EQ(answer.kind, AnswerKind::TooLong);
  EXPECT_EQ(client.stats().sent, 1u);  // INTF only
  EXPECT_TRUE(log.has(HelperLogLevel::Major, "was not sent: request too long")) << log.all();
  EXPECT_FALSE(log.anywhere("ppppp")) << "no secret in the log";
}

TEST(HelperClient, QuotingThatTakesAPasswordOverTheLimitIsRefused) {
  HelperClient client(options({fake, "echo", "OK 2"}));
  // 3,000 control bytes are 12,000 bytes once quoted (\001 each); and 25,000
  // bytes are over it whatever the quoting: both are refused, never split.
  for (const auto& password : {std::string(3000, '\x01'), std::string(25000, 'x'), std::string(8191, 'p')}) {
    HelperRequest request("VRFY");
    request.argument("joe@example.com").secret_argument(password);
    EXPECT_EQ(client.ask(std::move(request)).kind, AnswerKind::TooLong) << password.size();
  }
  // The helper is still in step: the next request gets its own answer.
  const auto next = client.ask(HelperRequest::from_text("VRFY joe@example.com right"));
  EXPECT_EQ(next.kind, AnswerKind::Ok);
  EXPECT_EQ(next.text, "VRFY joe@example.com right");
  EXPECT_EQ(client.stats().sent, 2u);  // INTF and that one
}

// ---- zombies ----

TEST(HelperClient, NoZombieAfterAHundredRestarts) {
  // Each start answers INTF with garbage and keeps running: the client kills
  // it and starts another at once.
  auto o = options({fake, "garbage-always"});
  o.restart_backoff = 1ms;
  o.max_restart_backoff = 1ms;
  const auto start = std::chrono::steady_clock::now();
  {
    HelperClient client(o);
    const auto until = start + 100s;
    while (client.stats().restarts < 100 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
    ASSERT_GE(client.stats().restarts, 100u);
    EXPECT_EQ(zombie_children(), 0);
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  std::cout << "[ measure  ] 100 restarts and shutdown in " << took.count() << " ms, " << zombie_children()
            << " zombies\n";
  EXPECT_EQ(zombie_children(), 0);
}

TEST(HelperClient, NoZombieWhenTheHelperExitsOrHangs) {
  {
    HelperClient client(options({fake, "crash-in-flight", marker()}));
    Burst burst;
    burst.send(client, 50);
    ASSERT_TRUE(burst.wait_for(50));
  }
  {
    HelperClient client(options({fake, "freeze"}, 200ms));
    EXPECT_EQ(client.ask(HelperRequest::from_text("VRFY joe@example.com secret")).kind, AnswerKind::TempFail);
  }
  EXPECT_EQ(zombie_children(), 0);
}

// ---- programs named without a path ----

// A copy of the fake helper under a name of its own, in a directory put in
// front of PATH for the test's lifetime.
class OnPath {
 public:
  explicit OnPath(bool executable = true) {
    dir_ = std::filesystem::temp_directory_path() / ("authhost-path-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    name_ = "authhost-test-helper-" + std::to_string(::getpid());
    std::filesystem::copy_file(fake, dir_ / name_, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::permissions(dir_ / name_, executable ? std::filesystem::perms::owner_all
                                                          : std::filesystem::perms::owner_read |
                                                                std::filesystem::perms::owner_write);
    const char* path = std::getenv("PATH");
    old_path_ = path != nullptr ? path : "";
    ::setenv("PATH", (dir_.string() + ":" + old_path_).c_str(), 1);
  }
  ~OnPath() {
    ::setenv("PATH", old_path_.c_str(), 1);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  const std::string& name() const { return name_; }

 private:
  std::filesystem::path dir_;
  std::string name_;
  std::string old_path_;
};

TEST(HelperClient, AProgramNamedWithoutAPathIsFoundOnPath) {
  OnPath on_path;
  HelperClient client(options({on_path.name(), "ok"}));
  EXPECT_EQ(client.ask(HelperRequest::from_text("VRFY joe@example.com secret")).kind, AnswerKind::Ok);
}

TEST(HelperClient, AHelperThatCannotStartIsLoggedWithTheReason) {
  {
    Log log;
    HelperClient client(options({"authhost-no-such-helper-anywhere"}, 300ms), log.logger());
    EXPECT_EQ(client.ask(HelperRequest::from_text("VRFY joe@example.com secret")).kind, AnswerKind::TempFail);
    EXPECT_TRUE(log.has(HelperLogLevel::Major,
                        "cannot start helper 'authhost-no-such-helper-anywhere': not found on PATH"))
        << log.all();
  }
  {
    OnPath not_executable(false);
    Log log;
    HelperClient client(options({not_executable.name()}, 300ms), log.logger());
    EXPECT_EQ(client.ask(HelperRequest::from_text("VRFY joe@example.com secret")).kind, AnswerKind::TempFail);
    EXPECT_TRUE(log.has(HelperLogLevel::Major, "not executable")) << log.all();
  }
  {
    Log log;
    HelperClient client(options({"/nonexistent/helper"}, 300ms), log.logger());
    EXPECT_EQ(client.ask(HelperRequest::from_text("VRFY joe@example.com secret")).kind, AnswerKind::TempFail);
    EXPECT_TRUE(log.has(HelperLogLevel::Major, "cannot start helper '/nonexistent/helper': No such file"))
        << log.all();
  }
}

// ---- information lines ----

TEST(HelperClient, PasswordsInInformationLinesAreHiddenAndTheLinesAreDetail) {
  Log log;
  HelperClient client(options({fake, "info-echo"}), log.logger());
  const std::pair<const char*, const char*> passwords[] = {
      {"S3cret-plain", "***"},
      {"pass word \"q\"", "***"},  // sent quoted; the quoted form is hidden whole
  };
  for (const auto& [password, shown] : passwords) {
    HelperRequest request("VRFY", "IMAP");
    request.argument("joe@example.com").secret_argument(password);
    EXPECT_EQ(client.ask(std::move(request)).kind, AnswerKind::Ok);
    EXPECT_FALSE(log.anywhere(password)) << log.all();
  }
  EXPECT_TRUE(log.has(HelperLogLevel::Detail, "helper: checking: VRFY (IMAP) joe@example.com ***")) << log.all();
  EXPECT_FALSE(log.has(HelperLogLevel::Major, "checking")) << log.all();
  EXPECT_FALSE(log.anywhere("pass word")) << log.all();
  // A SASL response is a secret too; the challenge is not.
  HelperRequest sasl("SASL(CRAM-MD5)");
  sasl.argument("joe@example.com").secret_argument("85a2deaeb5209b0f54d40759dacc24c4").argument("<1.2@host>");
  EXPECT_EQ(client.ask(std::move(sasl)).kind, AnswerKind::Ok);
  EXPECT_TRUE(log.has(HelperLogLevel::Detail, "SASL(CRAM-MD5) joe@example.com *** <1.2@host>")) << log.all();
}

TEST(HelperRequest, HidesEveryFormOfItsSecrets) {
  HelperRequest request("VRFY");
  request.argument("joe@example.com").secret_argument("a\"b c");
  EXPECT_EQ(request.arguments(), " joe@example.com \"a\\\"b c\"");
  std::string text = "got \"a\\\"b c\" then a\"b c and a\"b c";
  request.hide_secrets(text);
  EXPECT_EQ(text, "got *** then *** and ***");
  HelperRequest empty("VRFY");
  empty.argument("joe@example.com").secret_argument("");
  std::string untouched = "nothing to hide";
  empty.hide_secrets(untouched);
  EXPECT_EQ(untouched, "nothing to hide");
}

TEST(HelperLogin, AnOverlongPasswordIsAWrongPasswordAndNeverReachesTheHelper) {
  testing::TempDir dir;
  auto host = testing::make_host(dir);
  ASSERT_TRUE(host->create_domain(testing::postmaster(), "domain2.com").ok());
  ASSERT_TRUE(host->create_account(testing::postmaster(), "user2@domain2.com", nullptr).ok());
  ASSERT_TRUE(testing::set(*host, {"domain2.com", ""}, "UseExtPassword", "true").ok());
  ASSERT_TRUE(testing::set(*host, {}, "FailedLoginLimit", "2").ok());
  const std::string requests = (dir.path() / "requests").string();
  ::setenv("HOST_HELPER_LOG", requests.c_str(), 1);
  const std::string helper = std::string(AUTHD_TEST_HELPERS) + "/host_helper.pl accept x";
  ASSERT_TRUE(testing::set(*host, {}, "ExternalAuthenticator", helper).ok());
  // An 8,191-byte password: the line with the command and the name is over
  // the limit; control bytes take a shorter one over it once quoted.
  for (const auto& password : {std::string(8191, 'x'), std::string(3000, '\x01')}) {
    const auto r = testing::login(*host, "user2@domain2.com", password);
    EXPECT_EQ(r.status, LoginStatus::Rejected) << r.detail;
    EXPECT_EQ(r.why, RejectWhy::WrongPassword);
    EXPECT_EQ(r.text, login_text::hidden);
    EXPECT_NE(r.detail.find("request too long for the protocol"), std::string::npos) << r.detail;
  }
  // Counted like wrong passwords: the limit of two suspends the name.
  EXPECT_EQ(testing::login(*host, "user2@domain2.com", "x").why, RejectWhy::Suspended);
  std::ifstream in(requests);
  const std::string sent((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(sent, "") << "the helper was never asked";
  ::unsetenv("HOST_HELPER_LOG");
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


TEST(Replay, AHelperThatExitsBeforeReadingDoesNotEndTheHost) {
  // Writing to it raises SIGPIPE; the signal, blocked meanwhile, must not
  // be delivered when the replay restores the signal mask.
  std::string session;
  for (int i = 0; i < 5000; ++i) session += "I: " + std::to_string(i) + " VRFY a@b " + std::string(64, 'x') + "\n";
  session += "O: 0 OK\n";
  const auto result = replay_session(session, {"/bin/true"}, 2000ms);
  EXPECT_EQ(result.as_expected, 0u);
  EXPECT_FALSE(result.mismatches.empty());
}

TEST(Replay, CountsExpectedAnswersNotInformationLines) {
  const auto result = replay_session("I: 1 INTF 2\nO: 1 OK 2\nI: 2 VRFY a@b c\nO: 2 OK\n", {fake, "chatty"}, 5000ms);
  EXPECT_TRUE(result.mismatches.empty());
  EXPECT_EQ(result.expected, 2u);
  EXPECT_EQ(result.as_expected, 2u);
  EXPECT_EQ(result.received.size(), 6u);  // four of them information lines
}

TEST(Replay, TheCommandLineToolReportsTheExpectedAnswers) {
  const auto dir = std::filesystem::temp_directory_path() / ("authhost-replay-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto session = dir / "session.txt";
  std::ofstream(session) << "I: 1 INTF 2\nO: 1 OK 2\nI: 2 VRFY a@b c\nO: 2 OK\nI: 3 VRFY a@b d\nO: 3 OK\n";
  const std::string command = std::string(AUTHHOST_BINARY) + " replay " + session.string() + " -- " + fake + " chatty";
  FILE* out = ::popen(command.c_str(), "r");
  ASSERT_NE(out, nullptr);
  std::string text;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, out) != nullptr) text += buffer;
  EXPECT_EQ(::pclose(out), 0) << text;
  EXPECT_NE(text.find("all 3 answers as expected"), std::string::npos) << text;
  std::filesystem::remove_all(dir);
}

TEST(Replay, AcceptsTheIntfFormAndVersionsAboveTheHosts) {
  // "1 INTF 7" to "INTF 2": the host reads it as version 2.
  const auto result =
      replay_session("I: 1 INTF 2\nO: 1 OK 2\nI: 2 VRFY a@b c\nO: 2 OK\n", {fake, "intf-high"}, 5000ms);
  std::string problems;
  for (const auto& m : result.mismatches) problems += m + "\n";
  EXPECT_TRUE(result.mismatches.empty()) << problems;
  // A different version is still a mismatch.
  const auto lower = replay_session("I: 1 INTF 9\nO: 1 OK 9\n", {fake, "intf-high"}, 5000ms);
  EXPECT_EQ(lower.mismatches.size(), 1u);
  // And an INTF form that does not answer an INTF is never taken for OK.
  const auto vrfy = replay_session("I: 1 INTF 2\nO: 1 OK 2\nI: 2 VRFY a@b c\nO: 2 OK\n", {fake, "intf-answer"}, 5000ms);
  EXPECT_EQ(vrfy.mismatches.size(), 1u);
}

TEST(Replay, ListsMismatchesInSessionOrder) {
  // The helper answers last first; the report follows the file.
  const auto result = replay_session(
      "I: 1 INTF 2\nO: 1 OK 2\nI: 2 VRFY a@b c\nO: 2 ERROR two\nI: 3 VRFY a@b c\nO: 3 ERROR three\n"
      "I: 4 VRFY a@b c\nO: 4 ERROR four\n",
      {fake, "reverse"}, 5000ms);
  ASSERT_EQ(result.mismatches.size(), 3u);
  EXPECT_EQ(result.mismatches[0].rfind("line 4:", 0), 0u) << result.mismatches[0];
  EXPECT_EQ(result.mismatches[1].rfind("line 6:", 0), 0u) << result.mismatches[1];
  EXPECT_EQ(result.mismatches[2].rfind("line 8:", 0), 0u) << result.mismatches[2];
  EXPECT_EQ(result.as_expected, 1u);
}

TEST(Replay, FindsAProgramOnPath) {
  OnPath on_path;
  const auto result = replay_session("I: 1 INTF 2\nO: 1 OK 2\nI: 2 VRFY a@b c\nO: 2 OK\n", {on_path.name(), "ok"}, 5000ms);
  std::string problems;
  for (const auto& m : result.mismatches) problems += m + "\n";
  EXPECT_TRUE(result.mismatches.empty()) << problems;
  const auto missing = replay_session("I: 1 INTF 2\nO: 1 OK 2\n", {"authhost-no-such-helper-anywhere"}, 5000ms);
  ASSERT_EQ(missing.mismatches.size(), 1u);
  EXPECT_NE(missing.mismatches[0].find("not found on PATH"), std::string::npos) << missing.mismatches[0];
}

}  // namespace
}  // namespace authd::host
