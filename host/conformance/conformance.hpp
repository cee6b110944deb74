// The conformance kit: a battery of cases that checks any external
// authenticator against the protocol (docs/protocol.md), derived from
// accounts the administrator names, and the report card it fills.
//
// Each case starts the helper afresh, so that one case's damage (a crash, a
// lost line) never shows up as another's failure; a case's report carries
// the lines it sent (passwords masked) and the lines that came back.
// docs/conformance.md lists the cases and what each protects against.
#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret.hpp"

namespace authd::host::conformance {

// An account the helper knows, with its password.
struct Account {
  std::string address;  // name@domain
  Secret password;
};

struct Options {
  std::vector<std::string> command;  // the helper and its arguments
  std::vector<Account> accounts;     // at least one
  std::string unknown;               // a name the helper does not know; empty: made up in the first account's domain
  std::chrono::milliseconds timeout{5000};  // the wait for each answer
  std::size_t timing_samples = 200;         // per kind, for the timing case
  std::chrono::seconds timing_budget{60};   // the timing case stops sampling after this long
};

enum class Result { Pass, Fail, Finding, NotApplicable };

// "pass", "fail", "finding", "not applicable".
std::string_view result_name(Result result) noexcept;

struct CaseReport {
  std::string name;         // e.g. "password-space"
  Result result = Result::NotApplicable;
  std::string explanation;  // what the case checks
  std::string detail;       // what the kit saw
  std::vector<std::string> sent;      // request lines, passwords masked
  std::vector<std::string> received;  // the helper's lines, passwords masked, made safe to print
};

struct Summary {
  std::size_t pass = 0;
  std::size_t fail = 0;
  std::size_t finding = 0;
  std::size_t not_applicable = 0;
};

struct Report {
  std::vector<std::string> command;
  std::vector<std::string> accounts;  // their addresses
  std::string unknown;
  std::chrono::milliseconds timeout{};
  std::vector<CaseReport> cases;  // in battery order
  std::string could_not_run;      // not empty: the helper could not be run, and why

  Summary summary() const;
  // 0: every case passed (findings and cases that do not apply included),
  // 1: a case failed, 2: the helper could not be run.
  int exit_code() const;
};

// A case of the battery: its name and what it checks.
struct CaseInfo {
  std::string_view name;
  std::string_view explanation;
};
std::span<const CaseInfo> battery();

// Run every case against options.command. Never throws for anything the
// helper does; bounded in time by the time-out per answer.
Report run_conformance(const Options& options);

// Read a password file: the whole file is the password, less one trailing
// LF or CRLF. Empty, NUL bytes, over the request limit or unreadable: nullopt
// with the reason in `why`.
bool read_password_file(const std::string& path, Secret& out, std::string& why);

}  // namespace authd::host::conformance
