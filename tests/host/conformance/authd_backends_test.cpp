// authd passes every case of the conformance kit with each backend fixture
// of the backend conformance suite linked into this binary
// (tests/plugins/*_conformance.cpp add themselves to the registry defined
// here): a password file, SQLite and LDAP in its three ways through a slapd
// the fixture starts; PAM under pam_wrapper in a binary of its own.
#include <cstdlib>

#include "engine_harness.hpp"
#include "kit_test_support.hpp"

namespace authd::testing {

// The registry the backend fixtures add themselves to (conformance.hpp).
std::vector<FixtureEntry>& conformance_fixtures() {
  static std::vector<FixtureEntry> fixtures;
  return fixtures;
}

void PrintTo(const FixtureEntry& entry, std::ostream* out) { *out << entry.name; }

namespace {

class ConformanceKitAuthd : public ::testing::TestWithParam<FixtureEntry> {};

TEST_P(ConformanceKitAuthd, PassesEveryCaseWithThisBackend) {
  auto fixture = GetParam().make();
  std::vector<TestAccount> accounts;
  for (const auto& account : kit_accounts())
    if (fixture->can_hold(account)) accounts.push_back(account);
  TempDir dir;
  const std::string backend = fixture->setup(accounts);
  // authd answers every credential failure when its hold runs out, so an
  // unknown name and a wrong password take the same time only while the
  // slowest check (bcrypt, or the dummy check of an unknown name) ends
  // within the hold, also with 16 requests in flight on 4 workers; the
  // sanitizers make hashing several times slower.
#if defined(__SANITIZE_ADDRESS__)
  const std::string hold_ms = "1000";
#else
  const std::string hold_ms = "400";
#endif
  const std::string config =
      dir.file("authd.toml", "[authd]\nlog = \"syslog\"\nworkers = 4\nfailure_answer_time_ms = " + hold_ms + "\n" +
                                 fixture->engine_toml() + "\n" + backend +
                                 "\n[[route]]\ndomains = [\"*\"]\nbackends = [\"b\"]\n");
  std::vector<std::string> command = {AUTHD_BINARY, "--config", config};
#ifdef AUTHD_DEEPBIND_SHIM
  // Sanitizer builds: the authd under pam_wrapper needs the shim first.
  const char* preloaded = std::getenv("LD_PRELOAD");
  command.insert(command.begin(), {"/usr/bin/env", std::string("LD_PRELOAD=") + AUTHD_DEEPBIND_SHIM +
                                                       (preloaded != nullptr ? std::string(":") + preloaded : "")});
#endif
  auto options = kit_options(command, accounts);
  options.timing_samples = 100;  // of each kind: 13 rounds of 16 requests, one hold each
  const auto report = cf::run_conformance(options);
  ASSERT_TRUE(report.could_not_run.empty()) << report.could_not_run;
  expect_every_case_ran(report);
  EXPECT_EQ(names_with(report, cf::Result::Pass).size(), cf::battery().size()) << describe(report);
  EXPECT_EQ(report.exit_code(), 0);
  expect_no_password(report, accounts);
}

INSTANTIATE_TEST_SUITE_P(Backends, ConformanceKitAuthd, ::testing::ValuesIn(conformance_fixtures()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace authd::testing
