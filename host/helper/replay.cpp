#include "host/helper/replay.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <boost/process.hpp>
#include <cerrno>
#include <charconv>
#include <limits>
#include <map>
#include <optional>

#include "base/fd.hpp"
#include "host/helper/pipe_signal.hpp"
#include "host/helper/spawn_limits.hpp"
#include "protocol/limits.hpp"
#include "protocol/line_reader.hpp"
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

// An answer to "INTF n" in the form the host reads it: "seq OK v" with v the
// version the host would use, whether the helper wrote "OK v" or "INTF v".
// Any other line is returned as it is.
std::string as_host_reads_intf_answer(std::string_view line, std::uint64_t requested) {
  const auto parsed = protocol::parse_response(line);
  const auto* response = std::get_if<protocol::Response>(&parsed);
  if (response == nullptr || !response->version || !(response->intf_form || response->status == protocol::Status::Ok))
    return std::string(line);
  return response->seq + " OK " + std::to_string(std::min(*response->version, requested));
}

class Matcher {
 public:
  Matcher(const protocol::Transcript& session, ReplayResult& result) : ordered_(session.ordered), result_(result) {
    for (const auto& line : session.lines) {
      if (line.direction == protocol::TranscriptLine::Direction::Output) {
        expected_.push_back({&line});
        continue;
      }
      // "seq INTF n": its answer is read as the host reads it.
      const std::string_view text = line.text;
      const std::string_view rest = text.substr(std::min(text.size(), seq_of(text).size() + 1));
      std::uint64_t version = 0;
      if (rest.starts_with("INTF ")) {
        const auto digits = rest.substr(5);
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
        if (ec == std::errc() && end == digits.data() + digits.size()) intf_requests_[std::string(seq_of(text))] = version;
      }
    }
    result_.expected = expected_.size();
  }
  bool done() const { return matched_ == expected_.size(); }

  void take(std::string_view line) {
    result_.received.emplace_back(line);
    if (line.starts_with("*")) return;  // information lines are not part of the exchange
    if (std::holds_alternative<protocol::ResponseError>(protocol::parse_response(line))) {
      add_last("not a valid response: \"" + std::string(line) + "\"");
      return;
    }
    for (std::size_t i = 0; i < expected_.size(); ++i) {
      auto& e = expected_[i];
      if (e.matched || seq_of(e.line->text) != seq_of(line)) continue;
      if (!matches(e.line->text, line)) {
        add(e, "expected \"" + e.line->text + "\", got \"" + std::string(line) + "\"");
      } else if (ordered_ && i != next_in_order_) {
        add(e, "\"" + std::string(line) + "\" arrived out of order");
      } else {
        ++result_.as_expected;
      }
      e.matched = true;
      ++matched_;
      while (next_in_order_ < expected_.size() && expected_[next_in_order_].matched) ++next_in_order_;
      return;
    }
    add_last("unexpected answer: \"" + std::string(line) + "\"");
  }

  // Ends the run: what never came, then every mismatch in session order.
  void finish(std::vector<std::string> trailing) {
    for (const auto& e : expected_)
      if (!e.matched) add(e, "\"" + e.line->text + "\" never arrived");
    std::stable_sort(found_.begin(), found_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [place, text] : found_) result_.mismatches.push_back(std::move(text));
    for (auto& text : trailing) result_.mismatches.push_back(std::move(text));
  }

 private:
  bool matches(const std::string& expected, std::string_view actual) const {
    const auto intf = intf_requests_.find(std::string(seq_of(actual)));
    if (intf == intf_requests_.end() || expected.ends_with('*'))
      return protocol::transcript_line_matches(expected, actual);
    return as_host_reads_intf_answer(expected, intf->second) == as_host_reads_intf_answer(actual, intf->second);
  }
  void add(const Expected& e, std::string text) {
    found_.emplace_back(e.line->line_number, "line " + std::to_string(e.line->line_number) + ": " + std::move(text));
  }
  void add_last(std::string text) { found_.emplace_back(std::numeric_limits<int>::max(), std::move(text)); }

  bool ordered_;
  ReplayResult& result_;
  std::vector<Expected> expected_;
  std::map<std::string, std::uint64_t> intf_requests_;  // seq of each "INTF n" sent -> n
  std::vector<std::pair<int, std::string>> found_;      // (session line, mismatch)
  std::size_t matched_ = 0;
  std::size_t next_in_order_ = 0;
};

}  // namespace

namespace {

// The helper under test: its process and our ends of its pipes.
struct RunningHelper {
  pid_t pid = -1;
  base::Fd in_fd;   // its standard input, non-blocking
  base::Fd out_fd;  // its standard output
};

// Started with only its standard streams; nullopt with the reason in `why`.
std::optional<RunningHelper> start_helper(const std::vector<std::string>& command, std::string& why) {
  why = "no command given";
  const auto program = command.empty() ? std::nullopt : find_program(command[0], why);
  if (!program) return std::nullopt;
  bp::pipe to_helper, from_helper;
  std::error_code ec;
  const std::vector<std::string> args(command.begin() + 1, command.end());
  bp::child child(bp::exe = *program, bp::args = args, bp::std_in < to_helper, bp::std_out > from_helper,
                  bp::std_err > bp::null, only_standard_streams(), ec);
  if (ec) {
    why = ec.message();
    return std::nullopt;
  }
  // Stopped and reaped by stop_and_reap, never by Boost.
  RunningHelper helper;
  helper.pid = child.id();
  child.detach();
  helper.in_fd.reset(::fcntl(to_helper.native_sink(), F_DUPFD_CLOEXEC, 0));
  helper.out_fd.reset(::fcntl(from_helper.native_source(), F_DUPFD_CLOEXEC, 0));
  // The originals must go, or the helper would never see the end of its input.
  to_helper.close();
  from_helper.close();
  ::fcntl(helper.in_fd.get(), F_SETFL, ::fcntl(helper.in_fd.get(), F_GETFL) | O_NONBLOCK);
  return helper;
}

// Writes `to_send` while reading answers into `matcher`, until every expected
// answer came, the helper closed its output, or `until`.
void exchange(RunningHelper& helper, const std::string& to_send, Matcher& matcher, Clock::time_point until,
              std::vector<std::string>& trailing) {
  std::size_t written = 0;
  protocol::LineReader reader(protocol::max_response_line - 1);  // the limit counts the LF
  bool output_open = true;
  while (!matcher.done() && output_open) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0) return;
    pollfd fds[2] = {{helper.out_fd.get(), POLLIN, 0}, {helper.in_fd.get(), POLLOUT, 0}};
    const nfds_t count = (helper.in_fd && written < to_send.size()) ? 2 : 1;
    if (::poll(fds, count, static_cast<int>(left)) < 0 && errno != EINTR) return;
    if (count == 2 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t n = ::write(helper.in_fd.get(), to_send.data() + written, to_send.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      else if (n < 0 && errno != EAGAIN && errno != EINTR) written = to_send.size();
    }
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    const auto space = reader.prepare();
    const ssize_t n = ::read(helper.out_fd.get(), space.data(), space.size());
    if (n <= 0) {
      output_open = n < 0 && (errno == EINTR || errno == EAGAIN);
      continue;
    }
    reader.commit(static_cast<std::size_t>(n));
    bool overlong = reader.in_overlong_line();
    while (const auto line = reader.next()) {
      if (line->overlong) overlong = true;
      else matcher.take(line->text);
    }
    if (overlong || reader.in_overlong_line()) {
      trailing.push_back("the helper wrote a line longer than " + std::to_string(protocol::max_response_line) +
                         " bytes");
      return;
    }
  }
}

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

  const PipeSignalBlocked no_sigpipe;
  std::string why;
  auto helper = start_helper(command, why);
  if (!helper) {
    result.mismatches.push_back("cannot start " + (command.empty() ? std::string() : command[0]) + ": " + why);
    return result;
  }
  std::vector<std::string> trailing;
  exchange(*helper, to_send, matcher, Clock::now() + limit, trailing);
  // End of input first: the helper sees it, finishes and exits.
  helper->in_fd.reset();
  helper->out_fd.reset();
  int status = 0;
  if (stop_and_reap(helper->pid, std::chrono::seconds(5), status) == ChildEnd::Killed)
    trailing.push_back("the helper did not exit within 5 s of the end of its input: killed");
  matcher.finish(std::move(trailing));
  return result;
}

}  // namespace authd::host
