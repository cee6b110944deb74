// `authhost conformance`: the conformance kit's command line
// (host/conformance/conformance.hpp runs the battery, report.hpp prints it).
//
//   authhost conformance --account NAME@DOMAIN --password-file FILE [...]
//                        [--unknown NAME@DOMAIN] [--timeout-ms N]
//                        [--timing-samples N] [--json] -- HELPER [ARGS...]
//
// Passwords come from files, never from the command line, where other users
// could read them; --account and --password-file go in pairs, in order.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace authd::host::cli {

struct ConformanceCommandLine {
  std::vector<std::string> accounts;
  std::vector<std::string> password_files;
  std::string unknown;
  int timeout_ms = 5000;
  int timing_samples = 200;
  bool json = false;
  std::vector<std::string> command;
  CLI::App* app = nullptr;
};

void add_conformance_command(CLI::App& app, ConformanceCommandLine& c);

// Runs the battery and prints the report; returns the exit code: 0 every
// case passed, 1 a case failed, 2 the helper could not be run (or the
// command line could not be used).
int run_conformance_command(const ConformanceCommandLine& c);

}  // namespace authd::host::cli
