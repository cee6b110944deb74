#include "host/cli/conformance_command.hpp"

#include <iostream>

#include "host/conformance/conformance.hpp"
#include "host/conformance/report.hpp"

namespace authd::host::cli {

namespace {

// An address the kit can put in a request line as it is: name@domain with
// no space, quote or control byte (the kit never quotes names).
bool usable_address(const std::string& address) {
  const auto at = address.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == address.size()) return false;
  for (const char ch : address) {
    const auto b = static_cast<unsigned char>(ch);
    if (b <= 0x20 || b == 0x7f || ch == '"') return false;
  }
  return true;
}

}  // namespace

void add_conformance_command(CLI::App& app, ConformanceCommandLine& c) {
  c.app = app.add_subcommand("conformance",
                             "check any external authenticator against the protocol and print a report card; exit 0 "
                             "when every case passed, 1 when one failed, 2 when the helper could not be run "
                             "(docs/conformance.md)");
  c.app->add_option("--account", c.accounts,
                    "NAME@DOMAIN of an account the helper knows, repeatable; each needs its --password-file")
      ->required()
      ->allow_extra_args(false);  // one value per --account, so that "--" still ends the options
  c.app->add_option("--password-file", c.password_files,
                    "a file holding the password of the --account in the same position (a trailing LF or CRLF is "
                    "not part of it)")
      ->required()
      ->allow_extra_args(false)
      ->check(CLI::ExistingFile);
  c.app->add_option("--unknown", c.unknown,
                    "NAME@DOMAIN the helper does not know (default: a made-up name in the first account's domain)");
  c.app->add_option("--timeout-ms", c.timeout_ms, "how long to wait for each answer (default 5000)")
      ->check(CLI::Range(1, 3600000));
  c.app->add_option("--timing-samples", c.timing_samples,
                    "requests of each kind for the timing case (default 200)")
      ->check(CLI::Range(20, 100000));
  c.app->add_flag("--json", c.json, "print the report as one JSON object");
  c.app->add_option("command", c.command, "the helper and its arguments, after --")->required();
}

int run_conformance_command(const ConformanceCommandLine& c) {
  if (c.accounts.size() != c.password_files.size()) {
    std::cerr << "authhost conformance: " << c.accounts.size() << " --account but " << c.password_files.size()
              << " --password-file: give them in pairs, one password file after each account\n";
    return 2;
  }
  conformance::Options options;
  options.command = c.command;
  options.unknown = c.unknown;
  options.timeout = std::chrono::milliseconds(c.timeout_ms);
  options.timing_samples = static_cast<std::size_t>(c.timing_samples);
  for (std::size_t i = 0; i < c.accounts.size(); ++i) {
    if (!usable_address(c.accounts[i])) {
      std::cerr << "authhost conformance: --account " << c.accounts[i]
                << " is not NAME@DOMAIN without spaces, quotes or control characters\n";
      return 2;
    }
    conformance::Account account;
    account.address = c.accounts[i];
    std::string why;
    if (!conformance::read_password_file(c.password_files[i], account.password, why)) {
      std::cerr << "authhost conformance: --account " << c.accounts[i] << ": " << why << "\n";
      return 2;
    }
    options.accounts.push_back(std::move(account));
  }
  if (!c.unknown.empty() && !usable_address(c.unknown)) {
    std::cerr << "authhost conformance: --unknown " << c.unknown
              << " is not NAME@DOMAIN without spaces, quotes or control characters\n";
    return 2;
  }
  const auto report = conformance::run_conformance(options);
  std::cout << (c.json ? conformance::format_json(report) : conformance::format_text(report));
  std::cout.flush();
  if (!report.could_not_run.empty() && c.json)
    std::cerr << "authhost conformance: the helper could not be run: " << report.could_not_run << "\n";
  return report.exit_code();
}

}  // namespace authd::host::cli
