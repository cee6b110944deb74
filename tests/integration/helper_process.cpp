#include "helper_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "protocol/response.hpp"
#include "protocol/transcript.hpp"
#include "../support/line_from_fd.hpp"

extern char** environ;

namespace authd::testing {

HelperProcess::HelperProcess(const std::vector<std::string>& argv, const std::string& stderr_path) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  to_child_ = in[1];
  from_child_ = out[0];
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  ::signal(SIGPIPE, SIG_IGN);
}

HelperProcess::~HelperProcess() {
  close_input();
  if (!status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
  }
  ::close(from_child_);
}

void HelperProcess::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(to_child_, bytes.data(), bytes.size());
    if (n <= 0) throw std::runtime_error("write to helper failed");
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void HelperProcess::close_input() {
  if (to_child_ >= 0) ::close(to_child_);
  to_child_ = -1;
}

std::optional<std::string> HelperProcess::read_line(std::chrono::milliseconds limit) {
  return read_line_from(from_child_, buffer_, limit);
}

std::optional<int> HelperProcess::wait(std::chrono::milliseconds limit) {
  const auto until = Clock::now() + limit;
  while (!status_) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (Clock::now() >= until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

SessionResult run_session(const std::vector<std::string>& argv, const std::string& transcript_path,
                          std::chrono::milliseconds limit) {
  SessionResult result;
  std::ifstream in(transcript_path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  auto parsed = protocol::parse_transcript(content.str());
  if (auto* error = std::get_if<protocol::TranscriptError>(&parsed)) {
    result.problems.push_back(transcript_path + ":" + std::to_string(error->line_number) + ": " + error->message);
    return result;
  }
  const auto& transcript = std::get<protocol::Transcript>(parsed);
  std::vector<const protocol::TranscriptLine*> expected;
  std::string input;
  for (const auto& line : transcript.lines) {
    if (line.direction == protocol::TranscriptLine::Direction::Input) input += line.text + "\n";
    else expected.push_back(&line);
  }

  HelperProcess helper(argv);
  helper.send(input);
  const auto until = HelperProcess::Clock::now() + limit;
  std::vector<bool> matched(expected.size(), false);
  std::size_t next_in_order = 0, matched_count = 0;
  while (matched_count < expected.size()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - HelperProcess::Clock::now());
    auto line = helper.read_line(std::max(left, std::chrono::milliseconds(0)));
    if (!line) break;
    result.received.push_back(*line);
    if (line->starts_with("* ")) continue;
    bool found = false;
    for (std::size_t i = 0; i < expected.size() && !found; ++i) {
      if (matched[i] || !protocol::transcript_line_matches(expected[i]->text, *line)) continue;
      if (transcript.ordered && i != next_in_order) {
        result.problems.push_back("line " + std::to_string(expected[i]->line_number) + ": \"" + *line +
                                  "\" arrived out of the expected order");
      }
      matched[i] = found = true;
      ++matched_count;
      if (i == next_in_order)
        while (next_in_order < expected.size() && matched[next_in_order]) ++next_in_order;
    }
    if (!found) result.problems.push_back("unexpected line: \"" + *line + "\"");
  }
  for (std::size_t i = 0; i < expected.size(); ++i)
    if (!matched[i])
      result.problems.push_back("line " + std::to_string(expected[i]->line_number) + ": expected \"" +
                                expected[i]->text + "\" never arrived");
  const auto closed = HelperProcess::Clock::now();
  helper.close_input();
  // Anything written after the expected lines is a problem too.
  while (auto extra = helper.read_line(std::chrono::milliseconds(6000))) {
    result.received.push_back(*extra);
    if (!extra->starts_with("* ")) result.problems.push_back("unexpected line: \"" + *extra + "\"");
  }
  result.exit_status = helper.wait(std::chrono::milliseconds(6000));
  result.exit_after = std::chrono::duration_cast<std::chrono::milliseconds>(HelperProcess::Clock::now() - closed);
  return result;
}

}  // namespace authd::testing
