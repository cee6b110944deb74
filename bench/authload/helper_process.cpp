#include "bench/authload/helper_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace authd::bench {
namespace {

// Larger pipes let one write() carry a whole window of requests and one
// read() a whole batch of answers (Linux caps unprivileged sizes at
// /proc/sys/fs/pipe-max-size, 1 MiB by default; a refusal is harmless).
constexpr int kPipeBytes = 1 << 20;

std::runtime_error system_error(const std::string& what, int error) {
  return std::runtime_error(what + ": " + std::strerror(error));
}

void make_non_blocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw system_error("fcntl(O_NONBLOCK)", errno);
}

struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw system_error("pipe2", errno);
  Pipe pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
  ::fcntl(fds[1], F_SETPIPE_SZ, kPipeBytes);
  return pipe;
}

// posix_spawn's C handles, released on every path.
class SpawnSetup {
 public:
  SpawnSetup() {
    if (int error = ::posix_spawn_file_actions_init(&actions_); error != 0) throw system_error("posix_spawn", error);
    if (int error = ::posix_spawnattr_init(&attributes_); error != 0) {
      ::posix_spawn_file_actions_destroy(&actions_);
      throw system_error("posix_spawn", error);
    }
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  ~SpawnSetup() {
    ::posix_spawnattr_destroy(&attributes_);
    ::posix_spawn_file_actions_destroy(&actions_);
  }
  posix_spawn_file_actions_t* actions() noexcept { return &actions_; }
  posix_spawnattr_t* attributes() noexcept { return &attributes_; }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attributes_;
};

}  // namespace

bool HelperExit::exited_cleanly() const noexcept { return WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0; }

std::string HelperExit::describe() const {
  if (WIFEXITED(wait_status)) return "exit status " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    const int signal = WTERMSIG(wait_status);
    return "killed by signal " + std::to_string(signal) + " (" + ::strsignal(signal) + ")";
  }
  return "wait status " + std::to_string(wait_status);
}

HelperProcess::HelperProcess(const std::vector<std::string>& argv, const std::string& stderr_path) {
  if (argv.empty()) throw std::runtime_error("no helper command given (put it after --)");
  Pipe requests = make_pipe();
  Pipe answers = make_pipe();

  SpawnSetup setup;
  // The pipe ends are close-on-exec; dup2 gives the child its own copies.
  ::posix_spawn_file_actions_adddup2(setup.actions(), requests.read_end.get(), STDIN_FILENO);
  ::posix_spawn_file_actions_adddup2(setup.actions(), answers.write_end.get(), STDOUT_FILENO);
  ::posix_spawn_file_actions_addopen(setup.actions(), STDERR_FILENO, stderr_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
  // authload ignores SIGPIPE and ignored signals survive exec: give the
  // helper the defaults a mail server would.
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigset_t unblocked;
  sigemptyset(&unblocked);
  ::posix_spawnattr_setsigdefault(setup.attributes(), &defaults);
  ::posix_spawnattr_setsigmask(setup.attributes(), &unblocked);
  ::posix_spawnattr_setflags(setup.attributes(), POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  started_at_ = Clock::now();
  if (int error = ::posix_spawnp(&pid_, args[0], setup.actions(), setup.attributes(), args.data(), environ);
      error != 0) {
    pid_ = -1;
    throw system_error("cannot start helper \"" + argv[0] + "\"", error);
  }
  to_helper_ = std::move(requests.write_end);
  from_helper_ = std::move(answers.read_end);
  make_non_blocking(to_helper_.get());
  make_non_blocking(from_helper_.get());
}

HelperProcess::~HelperProcess() { kill_and_reap(); }

namespace {

std::optional<long> status_field_kib(pid_t pid, std::string_view field) {
  if (pid < 0) return std::nullopt;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.size() > field.size() && line.starts_with(field) && line[field.size()] == ':') {
      return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<long> HelperProcess::peak_rss_kib() const { return status_field_kib(pid_, "VmHWM"); }

std::optional<long> HelperProcess::resident_kib() const { return status_field_kib(pid_, "VmRSS"); }

std::optional<long> HelperProcess::open_fds() const {
  if (pid_ < 0) return std::nullopt;
  std::error_code error;
  std::filesystem::directory_iterator entries("/proc/" + std::to_string(pid_) + "/fd", error);
  if (error) return std::nullopt;
  long count = 0;
  for (; entries != std::filesystem::directory_iterator(); entries.increment(error)) {
    if (error) return std::nullopt;
    ++count;
  }
  return count;
}

std::optional<HelperExit> HelperProcess::wait_for_exit(std::chrono::milliseconds limit) {
  if (pid_ < 0) return std::nullopt;
  const auto deadline = Clock::now() + limit;
  HelperExit result;
  for (;;) {
    const pid_t done = ::wait4(pid_, &result.wait_status, WNOHANG, &result.usage);
    if (done == pid_) {
      pid_ = -1;
      return result;
    }
    if (done < 0 && errno != EINTR) throw system_error("wait4", errno);
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void HelperProcess::kill_and_reap() noexcept {
  to_helper_.reset();
  from_helper_.reset();
  if (pid_ < 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

}  // namespace authd::bench
