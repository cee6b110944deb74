// What the conformance kit's tests share: the accounts they name, running
// the kit, and the checks every report must pass.
#pragma once

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "conformance.hpp"
#include "host/conformance/conformance.hpp"
#include "host/conformance/report.hpp"

namespace authd::testing {

namespace cf = authd::host::conformance;

// The first password is an atom (the kit's primary account); the others
// hold a space, a quote and a backslash, UTF-8.
inline const std::vector<TestAccount>& kit_accounts() {
  static const std::vector<TestAccount> accounts = {
      {"pct", "example.com", "100%_sure", false},
      {"joe", "example.com", "correct horse", false},
      {"quote", "example.com", "say \"hi\" \\ bye", false},
      {"utf", "example.com", "p\xc3\xa4ssw\xc3\xb6rd \xe2\x9c\x93", false},
      {"ann", "example.org", "*()\\", false},
  };
  return accounts;
}

inline cf::Options kit_options(std::vector<std::string> command, const std::vector<TestAccount>& accounts) {
  cf::Options options;
  options.command = std::move(command);
  for (const auto& a : accounts) options.accounts.push_back({a.name + "@" + a.domain, Secret(a.password)});
  return options;
}

inline std::set<std::string> names_with(const cf::Report& report, cf::Result result) {
  std::set<std::string> names;
  for (const auto& c : report.cases)
    if (c.result == result) names.insert(c.name);
  return names;
}

inline std::string describe(const cf::Report& report) { return cf::format_text(report); }

// No supplied password, in any form a helper could echo, in either report.
inline void expect_no_password(const cf::Report& report, const std::vector<TestAccount>& accounts) {
  const std::string text = cf::format_text(report), json = cf::format_json(report);
  for (const auto& a : accounts) {
    EXPECT_EQ(text.find(a.password), std::string::npos) << a.name << "'s password in the text report";
    EXPECT_EQ(json.find(a.password), std::string::npos) << a.name << "'s password in the JSON report";
  }
}

inline void expect_every_case_ran(const cf::Report& report) {
  ASSERT_EQ(report.cases.size(), cf::battery().size()) << describe(report);
  for (std::size_t i = 0; i < report.cases.size(); ++i) {
    EXPECT_EQ(report.cases[i].name, cf::battery()[i].name);
    EXPECT_FALSE(report.cases[i].explanation.empty());
    EXPECT_FALSE(report.cases[i].detail.empty()) << report.cases[i].name;
  }
}

}  // namespace authd::testing
