#include "host/replay.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <cerrno>

#include "host/spawn_limits.hpp"
#include "protocol/limits.hpp"
#include "protocol/response.hpp"
#include "protocol/transcript.hpp"

namespace authd::host {

namespace bp = boost::process;
using Clock = std::chrono::steady_clock;

namespace {

struct Expected {
  const protocol::TranscriptLine* line;
  bool matched = false;
};

// The sequence number at the start of a line ("00011 ERROR ..." -> "00011").
std::string_view seq_of(std::string_view line) { return line.substr(0, line.find(' ')); }

class Matcher {
 public:
  Matcher(const protocol::Transcript& session, ReplayResult& result) : ordered_(session.ordered), result_(result) {
    for (const auto& line : session.lines)
      if (line.direction == protocol::TranscriptLine::Direction::Output) expected_.push_back({&line});
  }
  bool done() const { return matched_ == expected_.size(); }

  void take(std::string_view line) {
    result_.received.emplace_back(line);
    if (line.starts_with("*")) return;  // information lines are not part of the exchange
    if (std::holds_alternative<protocol::ResponseError>(protocol::parse_response(line))) {
      result_.mismatches.push_back("not a valid response: \"" + std::string(line) + "\"");
      return;
    }
    for (std::size_t i = 0; i < expected_.size(); ++i) {
      auto& e = expected_[i];
      if (e.matched || seq_of(e.line->text) != seq_of(line)) continue;
      if (!protocol::transcript_line_matches(e.line->text, line))
        result_.mismatches.push_back("line " + std::to_string(e.line->line_number) + ": expected \"" + e.line->text +
                                     "\", got \"" + std::string(line) + "\"");
      else if (ordered_ && i != next_in_order_)
        result_.mismatches.push_back("line " + std::to_string(e.line->line_number) + ": \"" + std::string(line) +
                                     "\" arrived out of order");
      e.matched = true;
      ++matched_;
      while (next_in_order_ < expected_.size() && expected_[next_in_order_].matched) ++next_in_order_;
      return;
    }
    result_.mismatches.push_back("unexpected answer: \"" + std::string(line) + "\"");
  }

  void report_missing() {
    for (const auto& e : expected_)
      if (!e.matched)
        result_.mismatches.push_back("line " + std::to_string(e.line->line_number) + ": \"" + e.line->text +
                                     "\" never arrived");
  }

 private:
  bool ordered_;
  ReplayResult& result_;
  std::vector<Expected> expected_;
  std::size_t matched_ = 0;
  std::size_t next_in_order_ = 0;
};

}  // namespace

ReplayResult replay_session(const std::string& session_text, const std::vector<std::string>& command,
                            std::chrono::milliseconds limit) {
  ReplayResult result;
  auto parsed = protocol::parse_transcript(session_text);
  if (auto* error = std::get_if<protocol::TranscriptError>(&parsed)) {
    result.mismatches.push_back("session line " + std::to_string(error->line_number) + ": " + error->message);
    return result;
  }
  const auto& session = std::get<protocol::Transcript>(parsed);
  std::string to_send;
  for (const auto& line : session.lines)
    if (line.direction == protocol::TranscriptLine::Direction::Input) to_send += line.text + "\n";
  Matcher matcher(session, result);

  // A helper that exits early must not kill the caller with SIGPIPE.
  sigset_t pipe_signal, previous;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous);

  bp::pipe to_helper, from_helper;
  std::error_code ec;
  std::vector<std::string> args(command.begin() + 1, command.end());
  bp::child child(bp::exe = command[0], bp::args = args, bp::std_in < to_helper, bp::std_out > from_helper,
                  bp::std_err > bp::null, only_standard_streams(), ec);
  if (ec) {
    result.mismatches.push_back("cannot start " + command[0] + ": " + ec.message());
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return result;
  }
  int in_fd = ::fcntl(to_helper.native_sink(), F_DUPFD_CLOEXEC, 0);
  const int out_fd = ::fcntl(from_helper.native_source(), F_DUPFD_CLOEXEC, 0);
  // The originals must go, or the helper would never see the end of its input.
  to_helper.close();
  from_helper.close();
  ::fcntl(in_fd, F_SETFL, ::fcntl(in_fd, F_GETFL) | O_NONBLOCK);

  std::size_t written = 0;
  std::string buffer;
  bool output_open = true;
  const auto until = Clock::now() + limit;
  while (!matcher.done() && output_open) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0) break;
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {in_fd, POLLOUT, 0}};
    const nfds_t count = (in_fd >= 0 && written < to_send.size()) ? 2 : 1;
    if (::poll(fds, count, static_cast<int>(left)) < 0 && errno != EINTR) break;
    if (count == 2 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t n = ::write(in_fd, to_send.data() + written, to_send.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      else if (n < 0 && errno != EAGAIN && errno != EINTR) written = to_send.size();
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char chunk[65536];
      const ssize_t n = ::read(out_fd, chunk, sizeof chunk);
      if (n <= 0) {
        output_open = n < 0 && (errno == EINTR || errno == EAGAIN);
        continue;
      }
      buffer.append(chunk, static_cast<std::size_t>(n));
      std::size_t start = 0;
      for (auto nl = buffer.find('\n'); nl != std::string::npos; nl = buffer.find('\n', start)) {
        std::string_view line(buffer.data() + start, nl - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        matcher.take(line);
        start = nl + 1;
      }
      buffer.erase(0, start);
      if (buffer.size() >= protocol::max_response_line) {
        result.mismatches.push_back("the helper wrote a line longer than " +
                                    std::to_string(protocol::max_response_line) + " bytes");
        break;
      }
    }
  }
  matcher.report_missing();
  ::close(in_fd);
  ::close(out_fd);
  child.wait_for(std::chrono::seconds(5), ec);
  if (child.running(ec)) {
    result.mismatches.push_back("the helper did not exit within 5 s of the end of its input");
    child.terminate(ec);
  }
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return result;
}

}  // namespace authd::host
