// The helper under test, run as a child process the way a mail server runs
// it: pipes on its standard input and output, standard error to a file.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/fd.hpp"

namespace authd::bench {

using UniqueFd = base::Fd;

struct HelperExit {
  int wait_status = 0;  // as from waitpid()
  rusage usage{};       // the helper's own resource use (wait4)

  bool exited_cleanly() const noexcept;
  std::string describe() const;  // "exit status 3", "killed by signal 9"
  // Includes authload's own peak at spawn time: see HelperProcess::peak_rss_kib.
  long wait4_maxrss_kib() const noexcept { return usage.ru_maxrss; }
};

class HelperProcess {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts `argv` (looked up in PATH) with its standard error written to
  // `stderr_path`. Our ends of the pipes are non-blocking. Throws
  // std::runtime_error if it cannot be started.
  HelperProcess(const std::vector<std::string>& argv, const std::string& stderr_path);
  HelperProcess(const HelperProcess&) = delete;
  HelperProcess& operator=(const HelperProcess&) = delete;
  // Kills and reaps a helper still running.
  ~HelperProcess();

  int input_fd() const noexcept { return to_helper_.get(); }    // we write requests here
  int output_fd() const noexcept { return from_helper_.get(); } // we read answers here
  Clock::time_point started_at() const noexcept { return started_at_; }

  // The helper's peak resident set so far (VmHWM), in KiB; nullopt if
  // /proc cannot tell. Unlike wait4()'s ru_maxrss it is the helper's own:
  // Linux carries the high-water mark of the image replaced by exec over
  // to the new one, and posix_spawn's child starts out in authload's memory,
  // credentials and request plan included.
  std::optional<long> peak_rss_kib() const;

  // The helper's resident set now (VmRSS), in KiB, and its open file
  // descriptors; nullopt if /proc cannot tell.
  std::optional<long> resident_kib() const;
  std::optional<long> open_fds() const;

  // End of input: the helper's signal to finish and exit.
  void close_input() noexcept { to_helper_.reset(); }

  // Waits up to `limit` for the helper to exit; nullopt if it is still running.
  std::optional<HelperExit> wait_for_exit(std::chrono::milliseconds limit);

  // SIGKILL and reap (only this child, by its pid).
  void kill_and_reap() noexcept;

 private:
  pid_t pid_ = -1;
  UniqueFd to_helper_;
  UniqueFd from_helper_;
  Clock::time_point started_at_;
};

}  // namespace authd::bench
