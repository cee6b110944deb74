// The dispatcher: reads requests, hands them to backends, writes answers.
//
// One thread runs the loop below and never waits on a backend:
//   * standard input is read as soon as it is readable and split into lines;
//   * each request walks its route's backends in order; a step whose cost()
//     is Cheap runs right there, a Blocking one goes to the worker pool and
//     the walk resumes when the worker reports back (through an eventfd);
//   * answers are appended to an output buffer as soon as they are known and
//     written whenever standard output can take them (several in one write);
//   * every request has a deadline; one still unanswered at its deadline is
//     answered FAILURE, and the late result of its worker is dropped;
//   * with hide_unknown on, a credential failure is not written when known
//     but held in a queue ordered by (arrival + failure_answer_time, arrival
//     number) and released by the loop's own timer: its time and its place
//     among the answers are the same whatever the failure was.
// End of input or QUIT stops the reading; requests in flight may finish
// until the shutdown grace runs out and are then answered FAILURE. Held
// failures keep their time during the grace; those still held when it runs
// out are written at once.
#pragma once

#include <chrono>
#include <ctime>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "authd/answers.hpp"
#include "authd/config.hpp"
#include "authd/engine_services.hpp"
#include "authd/routes.hpp"
#include "authd/worker_pool.hpp"
#include "protocol/line_reader.hpp"
#include "protocol/request.hpp"
#include "protocol/response.hpp"

namespace authd {

struct EngineStats {
  std::uint64_t requests = 0;
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;
  std::uint64_t failed = 0;     // FAILURE answers
  std::uint64_t timed_out = 0;  // of which past their deadline
  std::uint64_t unanswerable = 0;  // lines without a usable sequence number
  std::uint64_t late_failures = 0; // credential failures decided after their failure answer time
};

class Engine {
 public:
  using Clock = std::chrono::steady_clock;

  Engine(const Config& config, const Routes& routes, EngineServices& services);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  ~Engine();

  // Serve until end of input or QUIT and everything in flight is answered.
  // `in_fd` and `out_fd` are switched to non-blocking mode for the run and
  // restored after. `stop_fd`, if not -1, ends the input when readable (a
  // signalfd for SIGTERM). Returns the process exit status.
  int run(int in_fd, int out_fd, int stop_fd = -1);

  // Workers still busy after the run (a backend call that did not return).
  // The caller should end the process without waiting for them.
  bool workers_stuck() const noexcept { return workers_stuck_; }

  const EngineStats& stats() const noexcept { return stats_; }

 private:
  struct Job;
  class Completions;

  void handle_line(std::string_view line, bool overlong);
  void start(protocol::Request request);
  void advance(const std::shared_ptr<Job>& job);
  bool run_step_here_or_queue(const std::shared_ptr<Job>& job);
  void step_done(const std::shared_ptr<Job>& job);
  void start_timing_dummy(const std::shared_ptr<Job>& job);
  void finish(Job& job, const Verdict& verdict);
  void emit_answer(const Job& job, Question question, const Verdict& verdict);
  void note_late_failure(Clock::time_point now, Clock::duration took);
  void release_held(Clock::time_point now, bool everything);
  void finish_sasl(Job& job);
  void answer(std::string_view seq, protocol::Status status, std::string_view text);
  void drain_completions();
  void expire(Clock::time_point now, bool shutting_down);
  bool flush_output(int out_fd);
  void finish_started_line(int out_fd, Clock::time_point limit);
  void log_request(const Job& job, const Verdict& verdict) const;

  // The steps of run(), in the order of one turn of its loop.
  void run_timers(Clock::time_point now);
  bool write_output(int out_fd, Clock::time_point now);
  bool all_done(Clock::time_point now) const;
  void wait_and_read(int in_fd, int out_fd, int stop_fd, Clock::time_point now);
  const timespec* poll_timeout(Clock::time_point now, timespec& wait) const;
  void read_stop_signal(int stop_fd);
  void read_input(int in_fd);
  void shut_down(int out_fd);
  void log_stop_summary() const;

  const Config& config_;
  const Routes& routes_;
  EngineServices& services_;
  AnswerPolicy policy_;
  WorkerPool pool_;
  std::unique_ptr<Completions> completions_;
  protocol::LineReader reader_;

  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, std::shared_ptr<Job>> pending_;
  std::deque<std::pair<Clock::time_point, std::uint64_t>> deadlines_;  // in arrival order = deadline order
  Clock::time_point arrived_{};   // when the lines being handled were read
  std::uint64_t arrivals_ = 0;    // requests read so far: each one's arrival number
  // Credential failures waiting for their time, by (release time, arrival number).
  std::map<std::pair<Clock::time_point, std::uint64_t>, std::string> held_;
  Clock::time_point late_logged_{};
  std::string out_;               // answer lines not yet written
  bool mid_line_ = false;         // out_ begins with the rest of a line partly written
  std::vector<std::string> info_lines_;
  bool input_open_ = true;
  bool output_open_ = true;                // false once standard output is gone
  Clock::time_point shutdown_deadline_{};  // end of the grace after the input ended; unset before
  bool workers_stuck_ = false;
  EngineStats stats_;
};

}  // namespace authd
