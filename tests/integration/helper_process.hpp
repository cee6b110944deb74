// A helper program run as a child process with pipes on its standard input
// and output, the way a mail server runs it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace authd::testing {

class HelperProcess {
 public:
  using Clock = std::chrono::steady_clock;

  // Start `argv[0]` with `argv`; its standard error goes to `stderr_path`.
  HelperProcess(const std::vector<std::string>& argv, const std::string& stderr_path = "/dev/null");
  HelperProcess(const HelperProcess&) = delete;
  HelperProcess& operator=(const HelperProcess&) = delete;
  ~HelperProcess();  // kills it if still running

  void send(std::string_view bytes);
  void close_input();
  // The next line (without LF), or nullopt after `limit` or at end of output.
  std::optional<std::string> read_line(std::chrono::milliseconds limit);
  // Wait for exit up to `limit`; the exit status, or nullopt if still running.
  std::optional<int> wait(std::chrono::milliseconds limit);
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  std::string buffer_;
  std::optional<int> status_;
};

// The result of running a scripted session (protocol/transcript.hpp).
struct SessionResult {
  std::vector<std::string> problems;  // empty: every expected line came, as expected
  std::vector<std::string> received;  // every line the helper wrote
  std::optional<int> exit_status;
  std::chrono::milliseconds exit_after{0};  // from closing its input to its exit
};

SessionResult run_session(const std::vector<std::string>& argv, const std::string& transcript_path,
                          std::chrono::milliseconds limit = std::chrono::milliseconds(10000));

}  // namespace authd::testing
