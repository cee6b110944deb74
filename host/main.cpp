// authhost: the reference server host. This build provides the tools that
// exercise any external authenticator:
//   authhost replay SESSION.txt -- COMMAND [ARGS...]
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "host/replay.hpp"

namespace {

int replay(const std::string& session_path, const std::vector<std::string>& command, int timeout_ms, bool verbose) {
  std::ifstream in(session_path, std::ios::binary);
  if (!in) {
    std::cerr << "authhost: cannot read session file " << session_path << "\n";
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  const auto result = authd::host::replay_session(text.str(), command, std::chrono::milliseconds(timeout_ms));
  if (verbose)
    for (const auto& line : result.received) std::cout << "O: " << line << "\n";
  for (const auto& mismatch : result.mismatches) std::cout << session_path << ": " << mismatch << "\n";
  if (result.mismatches.empty()) {
    std::cout << session_path << ": all " << result.received.size() << " answers as expected\n";
    return 0;
  }
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"authhost: the reference server host for external authenticators"};
  app.require_subcommand(1);

  auto* replay_cmd = app.add_subcommand("replay", "run a scripted session (I:/O: lines) against any helper; "
                                                  "exit 0 when every expected answer arrived");
  std::string session;
  std::vector<std::string> command;
  int timeout_ms = 10000;
  bool verbose = false;
  replay_cmd->add_option("session", session, "session file")->required()->check(CLI::ExistingFile);
  replay_cmd->add_option("command", command, "the helper and its arguments, after --")->required();
  replay_cmd->add_option("--timeout-ms", timeout_ms, "how long to wait for the answers")->check(CLI::Range(1, 3600000));
  replay_cmd->add_flag("-v,--verbose", verbose, "print every answer received");

  CLI11_PARSE(app, argc, argv);
  if (replay_cmd->parsed()) return replay(session, command, timeout_ms, verbose);
  return 2;
}
