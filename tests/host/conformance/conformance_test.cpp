// The conformance kit (host/conformance) against helpers other than authd
// (authd_backends_test.cpp runs it against authd):
//   * the two deliberately broken helpers beside this file fail, or show as
//     findings, exactly the cases their flaws touch;
//   * a helper that cannot start, exits at once or never answers ends the
//     run with "could not be run", within its time-out, and is reaped.
// No report ever holds a supplied password.
#include <sys/wait.h>

#include <chrono>
#include <set>

#include <gtest/gtest.h>

#include "engine_harness.hpp"
#include "kit_test_support.hpp"

namespace authd::testing {
namespace {

using namespace std::chrono_literals;

// ---- the broken helpers ----

class ConformanceKitBrokenHelpers : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string users;
    for (const auto& a : kit_accounts()) users += a.name + "@" + a.domain + "\t" + a.password + "\n";
    users_ = dir_.file("users.tsv", users);
  }
  std::vector<std::string> helper(const char* script) const {
    return {std::string(AUTHD_CONFORMANCE_HELPERS) + "/" + script, users_};
  }

  TempDir dir_;
  std::string users_;
};

TEST_F(ConformanceKitBrokenHelpers, OneThatSplitsAtSpacesFailsThePasswordCases) {
  const auto report = cf::run_conformance(kit_options(helper("splitting_helper.pl"), kit_accounts()));
  ASSERT_TRUE(report.could_not_run.empty()) << report.could_not_run;
  expect_every_case_ran(report);
  const std::set<std::string> failed = {"password-space", "password-quote", "password-backslash", "password-ddd",
                                        "password-utf8"};
  EXPECT_EQ(names_with(report, cf::Result::Fail), failed) << describe(report);
  EXPECT_EQ(names_with(report, cf::Result::Finding), std::set<std::string>{}) << describe(report);
  // It answers at once and in order: nothing tells whether it could work concurrently.
  EXPECT_EQ(names_with(report, cf::Result::NotApplicable), std::set<std::string>{"slow-fast"}) << describe(report);
  EXPECT_EQ(report.exit_code(), 1);
  expect_no_password(report, kit_accounts());
  // A failure shows what was sent (masked) and what came back.
  for (const auto& c : report.cases) {
    if (c.name != "password-space") continue;
    EXPECT_NE(std::find(c.sent.begin(), c.sent.end(), "2 VRFY joe@example.com \"<password of joe@example.com>\""),
              c.sent.end());
    EXPECT_NE(std::find(c.received.begin(), c.received.end(), "2 ERROR incorrect account name or password"),
              c.received.end());
  }
}

TEST_F(ConformanceKitBrokenHelpers, OneThatIsSerialAndLeaksNamesShowsFindings) {
  auto options = kit_options(helper("serial_helper.pl"), kit_accounts());
  options.timing_samples = 60;  // each wrong password costs it 60 ms
  const auto report = cf::run_conformance(options);
  ASSERT_TRUE(report.could_not_run.empty()) << report.could_not_run;
  expect_every_case_ran(report);
  EXPECT_EQ(names_with(report, cf::Result::Fail), std::set<std::string>{}) << describe(report);
  EXPECT_EQ(names_with(report, cf::Result::Finding), (std::set<std::string>{"unknown-name", "slow-fast", "timing"}))
      << describe(report);
  EXPECT_EQ(names_with(report, cf::Result::NotApplicable), std::set<std::string>{}) << describe(report);
  // Findings are reported, not failed.
  EXPECT_EQ(report.exit_code(), 0);
  expect_no_password(report, kit_accounts());
}

// One line of Perl that accepts whatever carries a number: every case
// whose probes must be refused fails, and only those.
TEST_F(ConformanceKitBrokenHelpers, OneThatAcceptsEverythingFailsEveryRefusal) {
  const auto report = cf::run_conformance(
      kit_options({"perl", "-ne", "BEGIN { $| = 1 } print \"$1 OK\\n\" if /^(\\d{1,20}) /"}, kit_accounts()));
  ASSERT_TRUE(report.could_not_run.empty()) << report.could_not_run;
  expect_every_case_ran(report);
  const std::set<std::string> failed = {
      "wrong-atom",     "wrong-quoted",     "password-space", "password-quote", "password-backslash",
      "password-ddd",   "password-utf8",    "unknown-name",   "empty-password", "missing-password",
      "in-flight",      "over-long-line",   "nul-in-line",    "cr-in-line",     "unknown-command",
      "response-length", "timing"};
  EXPECT_EQ(names_with(report, cf::Result::Fail), failed) << describe(report);
  EXPECT_EQ(names_with(report, cf::Result::NotApplicable), std::set<std::string>{"slow-fast"}) << describe(report);
  EXPECT_EQ(report.exit_code(), 1);
}

TEST_F(ConformanceKitBrokenHelpers, OneThatAnswersTwiceIsCaught) {
  const auto report = cf::run_conformance(kit_options(
      {"perl", "-ne",
       "BEGIN { $| = 1 } if (/^(\\d{1,20}) (\\S+)/) { my $a = $2 eq 'INTF' ? 'OK 2' : 'ERROR no'; "
       "print \"$1 $a\\n$1 $a\\n\" }"},
      kit_accounts()));
  ASSERT_TRUE(report.could_not_run.empty()) << report.could_not_run;
  for (const auto& c : report.cases) {
    if (c.name != "intf-2" && c.name != "in-flight") continue;
    EXPECT_EQ(c.result, cf::Result::Fail) << c.name;
    EXPECT_NE(c.detail.find("answered twice"), std::string::npos) << c.detail;
  }
}

TEST_F(ConformanceKitBrokenHelpers, OneThatDiesOnARequestIsReportedWithHowItEnded) {
  const auto report = cf::run_conformance(kit_options(
      {"perl", "-ne", "BEGIN { $| = 1 } if (/^(\\d+) INTF/) { print \"$1 OK 2\\n\" } else { kill 'KILL', $$ }"},
      kit_accounts()));
  ASSERT_TRUE(report.could_not_run.empty()) << report.could_not_run;
  for (const auto& c : report.cases) {
    if (c.name != "right-atom") continue;
    EXPECT_EQ(c.result, cf::Result::Fail);
    EXPECT_NE(c.detail.find("expected OK, got no answer"), std::string::npos) << c.detail;
    EXPECT_NE(c.detail.find("the helper stopped before the end of its input (it ended by signal 9)"),
              std::string::npos)
        << c.detail;
  }
  EXPECT_EQ(report.exit_code(), 1);
}

// ---- helpers that cannot be run ----

TEST(ConformanceKitUnrunnableHelper, IsNotFound) {
  const auto report = cf::run_conformance(kit_options({"/nonexistent/helper"}, kit_accounts()));
  EXPECT_EQ(report.exit_code(), 2);
  EXPECT_NE(report.could_not_run.find("/nonexistent/helper"), std::string::npos) << report.could_not_run;
  EXPECT_TRUE(report.cases.empty());
}

TEST(ConformanceKitUnrunnableHelper, ExitsAtOnceAndSaysWhy) {
  const auto report = cf::run_conformance(
      kit_options({"/bin/sh", "-c", "echo 'cannot open /etc/helper.conf' >&2; exit 3"}, kit_accounts()));
  EXPECT_EQ(report.exit_code(), 2);
  EXPECT_NE(report.could_not_run.find("exited with status 3"), std::string::npos) << report.could_not_run;
  EXPECT_NE(report.could_not_run.find("cannot open /etc/helper.conf"), std::string::npos) << report.could_not_run;
}

TEST(ConformanceKitUnrunnableHelper, NeverAnswersAndIsKilledWithinItsTimeOut) {
  auto options = kit_options({"/bin/sh", "-c", "trap '' TERM; exec sleep 600"}, kit_accounts());
  options.timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  const auto report = cf::run_conformance(options);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(report.exit_code(), 2);
  EXPECT_NE(report.could_not_run.find("answered neither"), std::string::npos) << report.could_not_run;
  // Killed and reaped: no child of ours is left.
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
}

// ---- reading password files ----

TEST(ConformanceKitPasswordFile, LosesOneTrailingLineEndOnly) {
  TempDir dir;
  Secret out;
  std::string why;
  ASSERT_TRUE(cf::read_password_file(dir.file("a", "two words\r\n"), out, why)) << why;
  EXPECT_EQ(out.view(), "two words");
  ASSERT_TRUE(cf::read_password_file(dir.file("b", "ends in a space \n\n"), out, why)) << why;
  EXPECT_EQ(out.view(), "ends in a space \n");
  ASSERT_TRUE(cf::read_password_file(dir.file("c", "no line end"), out, why)) << why;
  EXPECT_EQ(out.view(), "no line end");
}

TEST(ConformanceKitPasswordFile, RefusesWhatCannotBeSent) {
  TempDir dir;
  Secret out;
  std::string why;
  EXPECT_FALSE(cf::read_password_file(dir.file("empty", "\n"), out, why));
  EXPECT_NE(why.find("empty"), std::string::npos) << why;
  EXPECT_FALSE(cf::read_password_file(dir.file("nul", std::string("a\0b", 3)), out, why));
  EXPECT_NE(why.find("NUL"), std::string::npos) << why;
  EXPECT_FALSE(cf::read_password_file(dir.file("long", std::string(9000, 'x')), out, why));
  EXPECT_FALSE(cf::read_password_file((dir.path() / "missing").string(), out, why));
}

}  // namespace
}  // namespace authd::testing
