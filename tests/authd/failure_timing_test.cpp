// With hide_unknown on, a credential failure must not tell by its time or by
// its place among the answers whether the name exists, which scheme its
// password uses, or whether the entry is disabled or refused as weak.
//
// The statistical test drives the real engine and a password file holding
// {SSHA}, $6$, a disabled entry and a {PLAIN} entry refused by
// allow_weak_schemes = false, and compares the answer time of each kind of
// failure with that of an unknown name (Welch's t).
#include <algorithm>
#include <cmath>
#include <iostream>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

#include "engine_harness.hpp"

namespace authd::testing {
namespace {

using namespace std::chrono_literals;

// mkpasswd -m sha-512 -R 1000 -S abcdefghijklmnop right
const std::string sha512_right =
    "$6$rounds=1000$abcdefghijklmnop$GddLRqT1eGjF8bG3mcZ64gXJSfU0mS0Z4pu/wkYc0qJUP8gigeBif3FAwVwBHpsjGw3LrttklqOD7Bgmobwd71";
// {SSHA} of "right" with the salt "saltsalt"
const std::string ssha_right = "{SSHA}VRnVVuh+V5b2fbnvIY1G2RD/l45zYWx0c2FsdA==";

std::string password_file() {
  return "ssha@example.com:" + ssha_right + "\n" +          //
         "sha512@example.com:" + sha512_right + "\n" +      //
         "disabled@example.com:" + ssha_right + ":disabled\n" +
         "weak@example.com:{PLAIN}right\n" +                //
         "ok@example.com:" + ssha_right + "\n";
}

std::string engine_config(const TempDir& dir, const std::string& engine) {
  const auto path = dir.file("users.passwd", password_file());
  return "[authd]\nlog = \"syslog\"\nworkers = 4\nallow_weak_schemes = false\n" + engine +
         "\n[[backend]]\nname = \"f\"\ntype = \"passwd-file\"\npath = \"" + path +
         "\"\ncheck_interval_ms = 0\n[[route]]\ndomains = [\"*\"]\nbackends = [\"f\"]\n";
}

struct FailureKind {
  const char* name;
  const char* request;  // after the sequence number
  const char* own_text; // the answer with hide_unknown = false: proves the kind is what it says
};

const FailureKind kinds[] = {
    {"unknown name", "VRFY nobody@example.com right", "ERROR unknown account name"},
    {"wrong {SSHA}", "VRFY ssha@example.com wrong", "ERROR incorrect password"},
    {"wrong $6$", "VRFY sha512@example.com wrong", "ERROR incorrect password"},
    {"disabled", "VRFY disabled@example.com right", "ERROR account is disabled"},
    {"weak refused", "VRFY weak@example.com right", "ERROR the stored password cannot be used"},
};
constexpr std::size_t kind_count = std::size(kinds);
const std::string uniform = "ERROR incorrect account name or password";

TEST(FailureTiming, TheKindsOfFailureAreWhatTheySay) {
  TempDir dir;
  EngineHarness h(engine_config(dir, "hide_unknown = false"));
  for (const auto& kind : kinds) EXPECT_EQ(h.ask(std::string("1 ") + kind.request), std::string("1 ") + kind.own_text);
  EXPECT_EQ(h.ask("2 VRFY ok@example.com right"), "2 OK");
  EXPECT_EQ(h.ask("3 VRFY sha512@example.com right"), "3 OK");
}

double welch_t(const std::vector<double>& a, const std::vector<double>& b) {
  auto mean = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); };
  auto variance = [](const std::vector<double>& v, double m) {
    double sum = 0;
    for (double x : v) sum += (x - m) * (x - m);
    return sum / (v.size() - 1);
  };
  const double ma = mean(a), mb = mean(b);
  return (ma - mb) / std::sqrt(variance(a, ma) / a.size() + variance(b, mb) / b.size());
}

TEST(FailureTiming, EveryFailureTakesTheTimeOfAnUnknownName) {
  // 2,000 requests of each kind, shuffled, sent a few at a time: each
  // sample is the time from writing a request to reading its answer.
  constexpr std::size_t per_kind = 2000;
  constexpr std::size_t total = per_kind * kind_count;
  constexpr std::size_t burst = 10;
  TempDir dir;
  EngineHarness h(engine_config(dir, "failure_answer_time_ms = 200"));

  std::vector<std::size_t> kind_of(total);
  for (std::size_t i = 0; i < total; ++i) kind_of[i] = i % kind_count;
  std::shuffle(kind_of.begin(), kind_of.end(), std::mt19937(20240611));

  using Clock = std::chrono::steady_clock;
  std::vector<Clock::time_point> written(total), answered(total);
  std::thread writer([&] {
    for (std::size_t i = 0; i < total; ++i) {
      const std::string line = std::to_string(i) + " " + kinds[kind_of[i]].request + "\n";
      written[i] = Clock::now();
      h.send(line);
      if (i % burst == burst - 1) std::this_thread::sleep_for(3ms);
    }
  });
  std::size_t received = 0, wrong_text = 0;
  while (received < total) {
    auto line = h.read_line(20s);
    if (!line) break;
    const auto now = Clock::now();
    const auto space = line->find(' ');
    const std::size_t seq = std::stoul(line->substr(0, space));
    if (seq < total && answered[seq] == Clock::time_point{}) {
      answered[seq] = now;
      ++received;
    }
    if (line->substr(space + 1) != uniform) ++wrong_text;
  }
  writer.join();
  ASSERT_EQ(received, total);
  EXPECT_EQ(wrong_text, 0u);

  std::vector<std::vector<double>> samples(kind_count);
  for (std::size_t i = 0; i < total; ++i)
    samples[kind_of[i]].push_back(std::chrono::duration<double, std::micro>(answered[i] - written[i]).count());
  for (std::size_t k = 0; k < kind_count; ++k) {
    const auto& v = samples[k];
    const double mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
    std::cout << "  " << kinds[k].name << ": " << v.size() << " samples, mean " << mean << " us";
    if (k != 0) std::cout << ", Welch t against an unknown name " << welch_t(v, samples[0]);
    std::cout << "\n";
    EXPECT_GE(*std::min_element(v.begin(), v.end()), 200000.0) << kinds[k].name << " answered before its time";
  }
  std::cout << "  failures decided after their answer time: " << h.engine().stats().late_failures << "\n";
  for (std::size_t k = 1; k < kind_count; ++k)
    EXPECT_LT(std::abs(welch_t(samples[k], samples[0])), 4.5) << kinds[k].name << " against an unknown name";
}

TEST(FailureTiming, FailuresComeOutInTheOrderTheirRequestsCameIn) {
  // One pipelined batch: slow checks ($6$ and the unknown name's dummy) and
  // instant ones (digests, refusals) mixed. The failures must come out in
  // the order sent; accepted passwords are not held.
  TempDir dir;
  EngineHarness h(engine_config(dir, "failure_answer_time_ms = 300"));
  constexpr std::size_t total = 400;
  std::vector<std::size_t> kind_of(total);
  for (std::size_t i = 0; i < total; ++i) kind_of[i] = i % (kind_count + 1);  // kind_count: an accepted password
  std::shuffle(kind_of.begin(), kind_of.end(), std::mt19937(7));
  std::string batch;
  for (std::size_t i = 0; i < total; ++i)
    batch += std::to_string(i) + " " +
             (kind_of[i] == kind_count ? std::string("VRFY ok@example.com right") : kinds[kind_of[i]].request) + "\n";
  h.send(batch);
  std::vector<std::size_t> failures, accepted;
  for (std::size_t i = 0; i < total; ++i) {
    auto line = h.read_line(20s);
    ASSERT_TRUE(line);
    const auto space = line->find(' ');
    const std::size_t seq = std::stoul(line->substr(0, space));
    ASSERT_LT(seq, total);
    if (line->substr(space + 1) == "OK") {
      EXPECT_EQ(kind_of[seq], kind_count) << *line;
      accepted.push_back(seq);
    } else {
      EXPECT_EQ(line->substr(space + 1), uniform);
      EXPECT_NE(kind_of[seq], kind_count) << *line;
      failures.push_back(seq);
    }
  }
  EXPECT_TRUE(std::is_sorted(failures.begin(), failures.end()));
  EXPECT_EQ(failures.size() + accepted.size(), total);
  EXPECT_EQ(h.engine().stats().late_failures, 0u);
}

TEST(FailureTiming, AFailureWaitsItsTimeAndASuccessDoesNot) {
  TempDir dir;
  EngineHarness h(engine_config(dir, "failure_answer_time_ms = 1500"));
  const auto start = std::chrono::steady_clock::now();
  h.send_line("1 VRFY ssha@example.com wrong");
  h.send_line("2 VRFY ok@example.com right");
  h.send_line("3 VRFY weak@example.com right");
  EXPECT_EQ(h.read_line(), "2 OK");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
  EXPECT_EQ(h.read_line(), "1 " + uniform);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1500ms);
  EXPECT_EQ(h.read_line(), "3 " + uniform);
  // NEW answers whether a name exists by design: never held.
  EXPECT_EQ(h.ask("4 NEW nobody@example.com"), "4 ERROR this account is not known");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3000ms);
}

TEST(FailureTiming, HeldFailuresAreAnsweredWhenTheGraceRunsOut) {
  // The host closed its end: held failures are still answered, at their
  // time within the grace, or all at once when the grace runs out first.
  TempDir dir;
  EngineHarness h(engine_config(dir, "failure_answer_time_ms = 2000\nshutdown_grace_ms = 300"));
  h.send("1 VRFY ssha@example.com wrong\n2 VRFY nobody@example.com x\n3 VRFY ok@example.com right\n");
  EXPECT_EQ(h.read_line(), "3 OK");
  const auto closed = std::chrono::steady_clock::now();
  h.close_input();
  EXPECT_EQ(h.read_line(), "1 " + uniform);
  EXPECT_EQ(h.read_line(), "2 " + uniform);
  EXPECT_EQ(h.finish(), 0);
  EXPECT_LT(h.finished_at() - closed, 1900ms);
}

TEST(FailureTiming, TheAnswerTimeStaysBelowTheDeadline) {
  BackendTypes types;
  register_builtin_backends(types);
  const std::string tail = "[[backend]]\nname = \"f\"\ntype = \"passwd-file\"\npath = \"/dev/null\"\n"
                           "[[route]]\ndomains = [\"*\"]\nbackends = [\"f\"]\n";
  auto issues_of = [&](const std::string& engine) {
    auto result = load_config_text("[authd]\nlog = \"syslog\"\n" + engine + "\n" + tail, "a.toml", "/tmp", types, "");
    auto* issues = std::get_if<std::vector<ConfigIssue>>(&result);
    return issues ? *issues : std::vector<ConfigIssue>{};
  };
  auto issues = issues_of("request_timeout_ms = 1000\nfailure_answer_time_ms = 1000");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].key, "authd.failure_answer_time_ms");
  EXPECT_EQ(issues[0].line, 4);
  issues = issues_of("failure_answer_time_ms = 10001\nrequest_timeout_ms = 60000");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_NE(issues[0].message.find("between 0 and 10000"), std::string::npos);
  EXPECT_TRUE(issues_of("failure_answer_time_ms = 10000\nrequest_timeout_ms = 60000").empty());
  EXPECT_TRUE(issues_of("failure_answer_time_ms = 0").empty());
  // Without hiding, nothing is held and the pair is not checked.
  EXPECT_TRUE(issues_of("hide_unknown = false\nrequest_timeout_ms = 100").empty());
}

}  // namespace
}  // namespace authd::testing
