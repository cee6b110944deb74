// The conformance suite: the same accounts, questions and expected answers
// for every backend (see conformance.hpp).
#include "conformance.hpp"

#include <gtest/gtest.h>

#include "engine_harness.hpp"
#include "protocol/quoting.hpp"

namespace authd::testing {

std::vector<FixtureEntry>& conformance_fixtures() {
  static std::vector<FixtureEntry> fixtures;
  return fixtures;
}

const std::vector<TestAccount>& conformance_accounts() {
  static const std::vector<TestAccount> accounts = {
      {"joe", "example.com", "correct horse", false},
      {"ann", "example.com", "*()\\", false},
      {"sqli", "example.com", "' OR 1=1 --", false},
      {"pct", "example.com", "100%_sure", false},
      {"utf", "example.com", "p\xc3\xa4ssw\xc3\xb6rd \xe2\x9c\x93", false},
      {"quote", "example.com", "say \"hi\" \\ bye", false},
      {"long", "example.com", std::string(600, 'x') + "!", false},
      {"off", "example.com", "disabled but right", true},
      {"o'brien", "example.com", "irish", false},
      {"star*", "example.com", "wild", false},
      {"paren(x)", "example.com", "round", false},
      {"back\\slash", "example.com", "escaped", false},
      {"under_score", "example.com", "low line", false},
      {"joe", "example.org", "another joe", false},
  };
  return accounts;
}

namespace {

const std::string uniform = "ERROR incorrect account name or password";

class Conformance : public ::testing::TestWithParam<FixtureEntry> {
 protected:
  void SetUp() override {
    fixture_ = GetParam().make();
    for (const auto& account : conformance_accounts())
      if (fixture_->can_hold(account)) accounts_.push_back(account);
    const std::string backend = fixture_->setup(accounts_);
    harness_ = std::make_unique<EngineHarness>("[authd]\nlog = \"syslog\"\nworkers = 4\n" + fixture_->engine_toml() +
                                               "\n" + backend + "\n[[route]]\ndomains = [\"*\"]\nbackends = [\"b\"]\n");
  }
  void TearDown() override {
    harness_.reset();
    fixture_.reset();
  }

  std::string vrfy(const std::string& account, const std::string& password) {
    std::string line = std::to_string(++seq_) + " VRFY (IMAP) " + account + " ";
    protocol::append_quoted_argument(line, password);
    const std::string answer = harness_->ask(line);
    const auto space = answer.find(' ');
    return space == std::string::npos ? answer : answer.substr(space + 1);
  }
  std::string is_new(const std::string& account) {
    const std::string answer = harness_->ask(std::to_string(++seq_) + " NEW " + account);
    const auto space = answer.find(' ');
    return space == std::string::npos ? answer : answer.substr(space + 1);
  }
  const TestAccount* held(const std::string& name, const std::string& domain = "example.com") const {
    for (const auto& account : accounts_)
      if (account.name == name && account.domain == domain) return &account;
    return nullptr;
  }

  std::unique_ptr<BackendFixture> fixture_;
  std::vector<TestAccount> accounts_;
  std::unique_ptr<EngineHarness> harness_;
  int seq_ = 0;
};

TEST_P(Conformance, RightPasswordsAreAccepted) {
  for (const auto& account : accounts_) {
    if (account.disabled) continue;
    EXPECT_EQ(vrfy(account.name + "@" + account.domain, account.password), "OK") << account.name;
  }
}

TEST_P(Conformance, WrongPasswordsAreRejectedUniformly) {
  for (const auto& account : accounts_) {
    const std::string who = account.name + "@" + account.domain;
    EXPECT_EQ(vrfy(who, account.password + "x"), uniform) << account.name;
    EXPECT_EQ(vrfy(who, account.password.substr(0, account.password.size() - 1)), uniform) << account.name;
    EXPECT_EQ(vrfy(who, ""), uniform) << account.name;
  }
}

TEST_P(Conformance, InjectionShapedPasswordsMatchOnlyThemselves) {
  for (const std::string password : {"*", "' OR 1=1 --", "%", "_", "*)(uid=*", "\\", "\" OR \"\"=\"", "\\2a"}) {
    EXPECT_EQ(vrfy("joe@example.com", password), uniform) << password;
    if (password != "' OR 1=1 --") {
      EXPECT_EQ(vrfy("sqli@example.com", password), uniform) << password;
    }
  }
}

TEST_P(Conformance, UnknownNamesAreRejectedUniformly) {
  EXPECT_EQ(vrfy("nobody@example.com", "correct horse"), uniform);
  EXPECT_EQ(vrfy("joe@example.net", "correct horse"), uniform);
  // Metacharacters that would widen a lookup (SQL LIKE, LDAP filters) match nothing else.
  for (const std::string name : {"%", "_oe", "j_e", "jo%", "*", "j*", "joe)(uid=*", "joe*", "' OR '1'='1"})
    EXPECT_EQ(vrfy(name + "@example.com", "correct horse"), uniform) << name;
}

TEST_P(Conformance, NamesAndDomainsIgnoreCase) {
  EXPECT_EQ(vrfy("JOE@example.com", "correct horse"), "OK");
  EXPECT_EQ(vrfy("joe@EXAMPLE.COM", "correct horse"), "OK");
  EXPECT_EQ(vrfy("Joe@Example.Com", "correct horse"), "OK");
  // Passwords do not.
  EXPECT_EQ(vrfy("joe@example.com", "Correct Horse"), uniform);
}

TEST_P(Conformance, SameNameInAnotherDomainIsAnotherAccount) {
  if (!held("joe", "example.org")) GTEST_SKIP() << "this backend has no domains";
  EXPECT_EQ(vrfy("joe@example.org", "another joe"), "OK");
  EXPECT_EQ(vrfy("joe@example.org", "correct horse"), uniform);
}

TEST_P(Conformance, MetacharactersInNames) {
  for (const std::string name : {"o'brien", "star*", "paren(x)", "back\\slash", "under_score"}) {
    const auto* account = held(name);
    if (account == nullptr) continue;
    EXPECT_EQ(vrfy(name + "@example.com", account->password), "OK") << name;
    EXPECT_EQ(vrfy(name + "@example.com", "wrong"), uniform) << name;
  }
}

TEST_P(Conformance, DisabledAccountsAreRejectedUniformly) {
  if (!fixture_->supports_disabled() || !held("off")) GTEST_SKIP() << "this backend has no disabled accounts";
  EXPECT_EQ(vrfy("off@example.com", "disabled but right"), uniform);
  EXPECT_EQ(vrfy("off@example.com", "wrong"), uniform);
}

TEST_P(Conformance, NewKnowsTheNames) {
  EXPECT_EQ(is_new("joe@example.com"), "OK");
  EXPECT_EQ(is_new("JOE@Example.com"), "OK");
  EXPECT_EQ(is_new("nobody@example.com"), "ERROR this account is not known");
  EXPECT_EQ(is_new("jo%@example.com"), "ERROR this account is not known");
}

std::vector<FixtureEntry> fixtures() { return conformance_fixtures(); }

}  // namespace

void PrintTo(const FixtureEntry& entry, std::ostream* out) { *out << entry.name; }

namespace {

INSTANTIATE_TEST_SUITE_P(Backends, Conformance, ::testing::ValuesIn(fixtures()),
                         [](const ::testing::TestParamInfo<FixtureEntry>& info) { return info.param.name; });

}  // namespace
}  // namespace authd::testing
