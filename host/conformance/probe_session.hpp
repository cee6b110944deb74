// One run of a helper under the conformance kit: started with only its
// standard streams, fed request lines, its answers read back with their
// arrival times, and ended (end of input, a bounded wait for its exit, then
// SIGKILL) so that it is always reaped.
//
// Everything is bounded: each wait has a deadline, an answer line is read
// up to the protocol's limit (a longer one is kept as its first bytes and
// flagged), and a session keeps at most max_lines lines. The session checks
// what holds for every exchange: each answer names a number that was sent,
// and no number is answered twice.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/secret.hpp"
#include "host/helper/helper_process.hpp"
#include "protocol/line_reader.hpp"
#include "protocol/response.hpp"

namespace authd::host::conformance {

using Clock = std::chrono::steady_clock;

// A request line as written (it may hold a password) and as the report
// shows it (passwords masked).
struct RequestLine {
  std::string seq;  // empty: a line whose answer, if any, is not expected under a number
  Secret wire;      // the bytes sent, the line end included
  std::string shown;
};

// One line the helper wrote.
struct AnswerLine {
  std::string text;      // without its LF (and a CR before it); an over-long line's first bytes only
  bool overlong = false; // longer than the protocol allows (4096 bytes with its LF)
  Clock::time_point at;
  std::optional<protocol::Response> response;  // set when the line is a valid response
  bool info = false;                           // a "* text" information line
};

struct SessionEnd {
  bool closed_early = false; // it closed its output (exited, most likely) before its input ended
  bool exited = false;       // ended by itself within the grace
  int status = 0;            // its wait status then
  Clock::duration took{};    // from the end of its input to its exit (or to the kill)
};

class ProbeSession {
 public:
  static constexpr std::size_t max_lines = 20000;

  // `stderr_path`: where the helper's standard error goes; empty discards it.
  ProbeSession(std::vector<std::string> command, std::chrono::milliseconds timeout, std::string stderr_path = {});
  ProbeSession(const ProbeSession&) = delete;
  ProbeSession& operator=(const ProbeSession&) = delete;

  // nullopt when running, else why it could not start.
  std::optional<std::string> start();

  // "1 INTF 2" and a wait for its answer (or the time-out): the host's own
  // first step, done before the lines a case is about.
  void handshake(const std::string& seq = "1", unsigned version = 2);

  // Write the lines (in one go, as a host with many requests in flight
  // would), reading answers meanwhile, for at most the time-out. Returns
  // the time the last byte was written (or the write gave up).
  Clock::time_point send(std::vector<RequestLine> lines);
  Clock::time_point send(RequestLine line);

  // Read answers until every number in `seqs` has one, the helper closes
  // its output, or `deadline`. True when all came.
  bool wait_for(const std::vector<std::string>& seqs, Clock::time_point deadline);
  bool wait_for(const std::vector<std::string>& seqs) { return wait_for(seqs, Clock::now() + timeout_); }
  // Read answers until one of `seqs` has one (or the output closes, or
  // `deadline`). True when one came.
  bool wait_for_any(const std::vector<std::string>& seqs, Clock::time_point deadline);

  // Close its input, keep reading until it closes its output or `grace`
  // runs out, then let it exit within what is left of `grace` (SIGKILL
  // after). Safe to call once; later calls return the first result.
  SessionEnd end(std::chrono::milliseconds grace);

  // The first answer to `seq`, or nullptr.
  const AnswerLine* answer(std::string_view seq) const;
  const std::vector<AnswerLine>& answers() const { return answers_; }
  const std::vector<std::string>& sent_shown() const { return sent_shown_; }
  // The time `seq` was written (the end of the write that held it).
  std::optional<Clock::time_point> sent_at(std::string_view seq) const;
  // Broken rules seen in any exchange so far: answers to numbers never
  // sent, numbers answered twice, lines that are no response, over-long lines.
  const std::vector<std::string>& problems() const { return problems_; }
  bool output_closed() const { return output_closed_; }

 private:
  // One round of poll: write what is pending, read what is there.
  void pump(Clock::time_point deadline, bool want_write);
  void take_line(std::string_view text, bool overlong, Clock::time_point at);

  HelperProcess process_;
  std::chrono::milliseconds timeout_;
  protocol::LineReader reader_;
  Secret pending_write_;  // the lines being written (they hold passwords)
  std::size_t written_ = 0;
  struct Sent {
    std::string seq;
    Clock::time_point at;
    bool answered = false;
  };
  std::vector<Sent> sent_;
  std::unordered_map<std::string, std::size_t> sent_index_;      // seq -> place in sent_
  std::unordered_map<std::string, std::size_t> answer_index_;    // seq -> place in answers_ of its first answer
  std::vector<std::string> sent_shown_;
  std::vector<AnswerLine> answers_;
  std::vector<std::string> problems_;
  bool output_closed_ = false;
  bool too_many_lines_ = false;
  std::optional<SessionEnd> end_;
};

}  // namespace authd::host::conformance
