// How the host launches helper programs (with Boost.Process).
//
// find_program: the file a command names, found as execvp() and a shell
// find it, so that "authd --config ..." runs the authd on PATH.
//
// stop_and_reap: the end of every child the host started: a wait with a
// bound, SIGKILL after it, and a wait that reaps, so that no zombie stays.
//
// only_standard_streams: the child keeps only its standard input, output
// and error. Every other descriptor the host has open (listening sockets,
// database files, other helpers' pipes) is marked close-on-exec in the child
// after its standard streams are in place, so that the helper program never
// sees it. (Boost 1.74's own limit_handles closes the pipes it was given to
// set up, so it cannot be used.) Pass it after the std_in/std_out/std_err
// properties: Boost runs the setup steps in the order given.
#pragma once

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/resource.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <boost/process/extend.hpp>

namespace authd::host {

// A name with a slash is used as it is; any other is looked up in each
// directory of PATH in turn (an empty entry is the current directory; with
// no PATH, /bin:/usr/bin, as execvp does). Returns the file to run, or
// nullopt with the reason in `why` (never found, not executable, ...).
inline std::optional<std::string> find_program(const std::string& name, std::string& why) {
  const auto check = [](const std::string& path, std::string& problem) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
      problem = std::strerror(errno);
      return false;
    }
    if (!S_ISREG(info.st_mode)) {
      problem = S_ISDIR(info.st_mode) ? "it is a directory" : "it is not a regular file";
      return false;
    }
    if (::access(path.c_str(), X_OK) != 0) {
      problem = "not executable (" + std::string(std::strerror(errno)) + ")";
      return false;
    }
    return true;
  };
  if (name.empty()) {
    why = "the command is empty";
    return std::nullopt;
  }
  if (name.find('/') != std::string::npos) {
    if (check(name, why)) return name;
    return std::nullopt;
  }
  const char* env = std::getenv("PATH");
  const std::string_view path = env != nullptr ? env : "/bin:/usr/bin";
  std::string refused;  // a match that cannot be run, reported if nothing better turns up
  for (std::size_t start = 0;;) {
    const std::size_t colon = std::min(path.find(':', start), path.size());
    const std::string_view dir = path.substr(start, colon - start);
    const std::string candidate = (dir.empty() ? std::string(".") : std::string(dir)) + "/" + name;
    std::string problem;
    if (check(candidate, problem)) return candidate;
    if (refused.empty() && ::access(candidate.c_str(), F_OK) == 0) refused = candidate + ": " + problem;
    if (colon == path.size()) break;
    start = colon + 1;
  }
  why = refused.empty() ? "not found on PATH (" + std::string(path) + ")" : "found " + refused;
  return std::nullopt;
}

enum class ChildEnd {
  Exited,  // it exited (or died) by itself within the grace; `status` says how
  Killed,  // still running after the grace: SIGKILLed and reaped
  Gone,    // not our child (any more): nothing to reap
};

// Give child `pid` up to `grace` to end, SIGKILL it if it has not, and reap
// it in either case. Boost 1.74's terminate() waits with WNOHANG right after
// its SIGKILL and so leaves a zombie; SIGKILL cannot be caught or ignored, so
// the blocking wait here ends.
inline ChildEnd stop_and_reap(pid_t pid, std::chrono::steady_clock::duration grace, int& status) {
  const auto wait = [&](int flags) {
    for (;;) {
      const pid_t done = ::waitpid(pid, &status, flags);
      if (done >= 0 || errno != EINTR) return done;
    }
  };
  const auto until = std::chrono::steady_clock::now() + grace;
  pid_t done = wait(WNOHANG);
  while (done == 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    done = wait(WNOHANG);
  }
  if (done == pid) return ChildEnd::Exited;
  if (done < 0) return ChildEnd::Gone;
  ::kill(pid, SIGKILL);
  return wait(0) == pid ? ChildEnd::Killed : ChildEnd::Gone;
}

// "exited with status 3", "ended by signal 9".
inline std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "ended by signal " + std::to_string(WTERMSIG(status));
  return "ended";
}

struct only_standard_streams : boost::process::extend::handler {
  template <typename Executor>
  void on_exec_setup(Executor&) const {
    // Only async-signal-safe calls here: the parent may be multi-threaded.
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
    rlimit limit{};
    const rlim_t last = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 65536 ? limit.rlim_cur : 65536;
    for (rlim_t fd = 3; fd < last; ++fd) ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
  }
};

}  // namespace authd::host
