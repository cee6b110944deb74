// One helper process at a time: started with only its standard streams,
// our ends of its pipes held non-blocking, and stopped so that it is always
// reaped (none is left a zombie). It knows nothing of the protocol.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/fd.hpp"

namespace authd::host {

class HelperProcess {
 public:
  // `command`: program and arguments; `stderr_path`: empty discards the
  // helper's standard error.
  HelperProcess(std::vector<std::string> command, std::string stderr_path);
  HelperProcess(const HelperProcess&) = delete;
  HelperProcess& operator=(const HelperProcess&) = delete;
  // A helper still running is killed and reaped: none outlives its object.
  ~HelperProcess();

  // "helper 'program'", for log lines.
  std::string name() const { return "helper '" + command_[0] + "'"; }

  // Starts the program (looked up on PATH when it has no slash). nullopt on
  // success, else the log line that says why it could not start.
  std::optional<std::string> start();

  // The helper's standard input and output, or -1 when not open.
  int input() const noexcept { return input_.get(); }
  int output() const noexcept { return output_.get(); }
  pid_t pid() const noexcept { return pid_; }

  // End of input: a well-behaved helper finishes what it has and exits.
  void close_input() noexcept { input_.reset(); }

  // Close the pipes, give the helper `grace` to exit, then SIGKILL it, and
  // reap it in every case. Returns the log line for how it ended (with
  // `why_killed` when it had to be killed), or an empty string when there
  // was no process.
  std::string stop(std::chrono::steady_clock::duration grace, const std::string& why_killed);

  // How a helper ended under end().
  struct Ending {
    bool ran = false;     // there was a process to end
    bool killed = false;  // still running after the grace: SIGKILLed
    int status = 0;       // the wait status (WIFEXITED...) when it ended by itself
  };
  // stop() for callers that judge the ending themselves: the same steps,
  // the outcome as a value.
  Ending end(std::chrono::steady_clock::duration grace);

 private:
  std::vector<std::string> command_;
  std::string stderr_path_;
  pid_t pid_ = -1;
  base::Fd input_;
  base::Fd output_;
};

}  // namespace authd::host
