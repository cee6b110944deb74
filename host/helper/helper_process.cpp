#include "host/helper/helper_process.hpp"

#include <fcntl.h>

#include <boost/process.hpp>
#include <exception>

#include "host/helper/spawn_limits.hpp"

namespace authd::host {

namespace bp = boost::process;

namespace {

// The client's thread polls both pipes: neither may block it.
void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

}  // namespace

HelperProcess::HelperProcess(std::vector<std::string> command, std::string stderr_path)
    : command_(std::move(command)), stderr_path_(std::move(stderr_path)) {}

std::optional<std::string> HelperProcess::start() {
  std::string why;
  const auto program = find_program(command_[0], why);
  if (!program) return "cannot start " + name() + ": " + why;
  try {
    bp::pipe to_helper, from_helper;
    std::vector<std::string> args(command_.begin() + 1, command_.end());
    bp::child child;
    if (stderr_path_.empty()) {
      child = bp::child(bp::exe = *program, bp::args = args, bp::std_in < to_helper, bp::std_out > from_helper,
                        bp::std_err > bp::null, only_standard_streams());
    } else {
      child = bp::child(bp::exe = *program, bp::args = args, bp::std_in < to_helper, bp::std_out > from_helper,
                        bp::std_err > stderr_path_, only_standard_streams());
    }
    // The process is ours to stop and reap (stop()): Boost 1.74's
    // terminate() does not wait after its SIGKILL and leaves a zombie.
    pid_ = child.id();
    child.detach();
    // Keep our ends only; duplicate them so that the pipe objects can go.
    input_.reset(::fcntl(to_helper.native_sink(), F_DUPFD_CLOEXEC, 0));
    output_.reset(::fcntl(from_helper.native_source(), F_DUPFD_CLOEXEC, 0));
  } catch (const std::exception& e) {
    return "cannot start " + name() + " (" + *program + "): " + e.what();
  }
  set_nonblocking(input_.get());
  set_nonblocking(output_.get());
  return std::nullopt;
}

HelperProcess::~HelperProcess() {
  if (pid_ > 0) end(std::chrono::steady_clock::duration::zero());
}

HelperProcess::Ending HelperProcess::end(std::chrono::steady_clock::duration grace) {
  input_.reset();
  Ending ending;
  if (pid_ > 0) {
    switch (stop_and_reap(pid_, grace, ending.status)) {
      case ChildEnd::Exited: ending.ran = true; break;
      case ChildEnd::Killed: ending.ran = ending.killed = true; break;
      case ChildEnd::Gone: break;
    }
  }
  pid_ = -1;
  output_.reset();
  return ending;
}

std::string HelperProcess::stop(std::chrono::steady_clock::duration grace, const std::string& why_killed) {
  const std::string who = pid_ > 0 ? name() + " (pid " + std::to_string(pid_) + ")" : std::string();
  const Ending ending = end(grace);
  if (!ending.ran) return {};
  return who + " " + (ending.killed ? why_killed + ": killed" : describe_exit(ending.status));
}

}  // namespace authd::host
