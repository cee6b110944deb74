#include "authd/engine.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cerrno>
#include <cstring>

#include "authd/account_name.hpp"
#include "passwords/registry.hpp"
#include "protocol/limits.hpp"
#include "protocol/response.hpp"

namespace authd {

namespace {

// Reading pauses while this much output waits for the host to read it,
// or while this many credential failures wait for their answer time.
constexpr std::size_t max_buffered_output = std::size_t{4} << 20;
constexpr std::size_t max_held_answers = 100000;
// A failure decided after its answer time is logged at most this often.
constexpr auto late_failure_log_interval = std::chrono::seconds(60);

Operation operation_of(protocol::Command command) {
  switch (command) {
    case protocol::Command::Sasl: return Operation::Credentials;
    case protocol::Command::New: return Operation::Exists;
    default: return Operation::Verify;
  }
}

class FdFlags {
 public:
  FdFlags(int fd) : fd_(fd), flags_(fd >= 0 ? ::fcntl(fd, F_GETFL) : -1) {
    if (flags_ >= 0) ::fcntl(fd_, F_SETFL, flags_ | O_NONBLOCK);
  }
  ~FdFlags() {
    if (flags_ >= 0) ::fcntl(fd_, F_SETFL, flags_);
  }
  FdFlags(const FdFlags&) = delete;
  FdFlags& operator=(const FdFlags&) = delete;

 private:
  int fd_;
  int flags_;
};

}  // namespace

// One request in flight. Only the dispatcher touches it, except while a
// worker runs one step: the worker then reads the request fields and writes
// `verdict` and `stored`, and hands the job back through Completions, whose
// mutex orders those writes before the dispatcher's reads.
struct Engine::Job {
  std::uint64_t id = 0;
  std::uint64_t arrival = 0;     // arrival number: ties of equal arrival times keep this order
  Clock::time_point arrived;     // when its line was read
  protocol::Request request;
  CanonicalAccount account;
  const Route* route = nullptr;
  std::size_t step = 0;          // index in route->backends
  bool timing_dummy = false;     // checking the unknown name's dummy, not a backend
  std::string dummy;             // the stored value checked for timing
  Clock::time_point deadline;
  Verdict verdict;               // result of the last step
  std::optional<passwords::SaslMethod> sasl_method;  // SASL: the method asked for
  Secret stored;                 // SASL: what the backend holds
  std::string answered_by;       // backend name, for the log

  Operation operation() const { return operation_of(request.command); }
};

class Engine::Completions {
 public:
  Completions() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  }
  ~Completions() { ::close(fd_); }
  int fd() const noexcept { return fd_; }

  void push(std::uint64_t id) {
    bool wake;
    {
      std::lock_guard lock(mutex_);
      wake = ids_.empty();
      ids_.push_back(id);
    }
    if (wake) {
      const std::uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(fd_, &one, sizeof one);
    }
  }
  void take(std::vector<std::uint64_t>& out) {
    std::uint64_t count;
    [[maybe_unused]] auto n = ::read(fd_, &count, sizeof count);
    std::lock_guard lock(mutex_);
    out.swap(ids_);
  }

 private:
  int fd_;
  std::mutex mutex_;
  std::vector<std::uint64_t> ids_;
};

Engine::Engine(const Config& config, const Routes& routes, EngineServices& services)
    : config_(config),
      routes_(routes),
      services_(services),
      policy_{config.hide_unknown, config.reject_text, config.failure_answer_time},
      pool_(config.workers, config.max_queued),
      completions_(std::make_unique<Completions>()),
      reader_(protocol::max_request_line) {}

Engine::~Engine() = default;

void Engine::answer(std::string_view seq, protocol::Status status, std::string_view text) {
  protocol::append_response(out_, seq, status, text);
  if (status == protocol::Status::Failure) ++stats_.failed;
  else if (status == protocol::Status::Error) ++stats_.rejected;
  else ++stats_.accepted;
}

void Engine::handle_line(std::string_view line, bool overlong) {
  if (!input_open_) return;  // after QUIT, the rest is not read
  if (overlong) {
    if (auto seq = protocol::leading_sequence(line)) {
      ++stats_.requests;
      answer(*seq, protocol::Status::Error, answer_text::too_long);
    } else {
      ++stats_.unanswerable;
    }
    services_.log(LogLevel::Warning, "discarded a request line longer than " +
                                         std::to_string(protocol::max_request_line) + " bytes");
    return;
  }
  auto parsed = protocol::parse_request(line);
  if (auto* error = std::get_if<protocol::RequestError>(&parsed)) {
    if (error->seq.empty()) {
      ++stats_.unanswerable;
      services_.log(LogLevel::Warning, "ignored a line without a sequence number: " + error->message);
      return;
    }
    ++stats_.requests;
    answer(error->seq, protocol::Status::Error, error->message);
    return;
  }
  ++stats_.requests;
  start(std::move(std::get<protocol::Request>(parsed)));
}

void Engine::start(protocol::Request request) {
  using protocol::Command;
  std::optional<passwords::SaslMethod> sasl_method;
  switch (request.command) {
    case Command::Intf: {
      const auto version = std::min<std::uint64_t>(request.version, protocol::protocol_version);
      protocol::append_intf_response(out_, request.seq, version, config_.intf_reply_intf);
      ++stats_.accepted;
      return;
    }
    case Command::Quit:
      answer(request.seq, protocol::Status::Ok, {});
      input_open_ = false;
      return;
    case Command::Sasl: {
      sasl_method = passwords::SaslMethod::parse(request.method);
      if (!sasl_method) {
        answer(request.seq, protocol::Status::Error, answer_text::unsupported_method);
        return;
      }
      request.method = sasl_method->name();
      break;
    }
    case Command::Vrfy:
    case Command::New:
      break;
  }

  auto job = std::make_shared<Job>();
  job->request = std::move(request);
  job->sasl_method = sasl_method;
  job->arrived = arrived_;
  job->arrival = ++arrivals_;
  const Question question = job->request.command == Command::New ? Question::Existence : Question::Password;
  auto account = split_account_name(job->request.account);
  if (!account) {
    const Verdict malformed = Verdict::reject(RejectReason::MalformedName);
    emit_answer(*job, question, malformed);
    ++stats_.rejected;
    log_request(*job, malformed);
    return;
  }
  job->account = std::move(*account);
  if (question == Question::Password && job->request.secret.empty()) {
    finish(*job, Verdict::reject(RejectReason::EmptyPassword));
    return;
  }
  job->route = routes_.find(job->account.domain());
  if (job->route == nullptr) {
    finish(*job, Verdict::unknown_name());
    return;
  }
  if (job->request.command == Command::Sasl && !job->route->any_credentials) {
    // No backend of this route can ever serve it: the same for every name.
    answer(job->request.seq, protocol::Status::Error, answer_text::unsupported_method);
    return;
  }
  job->id = next_id_++;
  job->deadline = Clock::now() + config_.request_timeout;
  advance(job);
}

// Walk the route: run cheap steps here, hand blocking ones to a worker and
// return; step_done() picks the walk up again.
void Engine::advance(const std::shared_ptr<Job>& job) {
  for (;;) {
    const auto& backends = job->route->backends;
    if (job->request.command == protocol::Command::Sasl)
      while (job->step < backends.size() && !backends[job->step]->backend->supports_credentials()) ++job->step;
    if (job->step >= backends.size()) {
      if (job->request.command == protocol::Command::Vrfy) start_timing_dummy(job);
      else finish(*job, Verdict::unknown_name());
      return;
    }
    if (!run_step_here_or_queue(job)) return;
    if (job->verdict.kind != VerdictKind::UnknownName) {
      if (job->request.command == protocol::Command::Sasl) finish_sasl(*job);
      else finish(*job, job->verdict);
      return;
    }
    ++job->step;
  }
}

namespace {

Verdict call_backend(Backend& backend, Operation op, const Account& account, const protocol::Request& request,
                     Secret& stored) noexcept {
  try {
    switch (op) {
      case Operation::Verify: return backend.verify(account, request.secret, request.mode);
      case Operation::Credentials: stored.clear(); return backend.credentials(account, stored);
      case Operation::Exists: return backend.exists(account);
    }
    return Verdict::temp_fail("unknown operation");
  } catch (const std::exception& e) {
    return Verdict::temp_fail(std::string("backend error: ") + e.what());
  } catch (...) {
    return Verdict::temp_fail("backend error");
  }
}

}  // namespace

// Runs the current step on this thread if it is cheap (true), or queues it
// for a worker (false). A full queue answers the request as overloaded.
bool Engine::run_step_here_or_queue(const std::shared_ptr<Job>& job) {
  const NamedBackend& named = *job->route->backends[job->step];
  const Account account = job->account.account();
  Cost cost = Cost::Blocking;
  try {
    cost = named.backend->cost(job->operation(), account);
  } catch (...) {
    cost = Cost::Blocking;
  }
  job->answered_by = named.name;
  if (cost == Cost::Cheap) {
    job->verdict = call_backend(*named.backend, job->operation(), account, job->request, job->stored);
    return true;
  }
  if (!pending_.count(job->id)) {
    pending_.emplace(job->id, job);
    deadlines_.emplace_back(job->deadline, job->id);
  }
  auto* completions = completions_.get();
  const bool queued = pool_.try_submit([job, completions, backend = named.backend.get()] {
    if (Clock::now() >= job->deadline) {
      job->verdict = Verdict::temp_fail("deadline passed while queued");
    } else {
      job->verdict = call_backend(*backend, job->operation(), job->account.account(), job->request, job->stored);
    }
    completions->push(job->id);
  });
  if (!queued) {
    pending_.erase(job->id);
    answer(job->request.seq, protocol::Status::Failure, answer_text::overloaded);
    services_.log(LogLevel::Warning, "worker queue full (" + std::to_string(config_.max_queued) +
                                         " requests): answered FAILURE");
  }
  return false;
}

void Engine::step_done(const std::shared_ptr<Job>& job) {
  if (job->timing_dummy) {
    finish(*job, Verdict::unknown_name());
    return;
  }
  if (job->verdict.kind != VerdictKind::UnknownName) {
    if (job->request.command == protocol::Command::Sasl) finish_sasl(*job);
    else finish(*job, job->verdict);
    return;
  }
  ++job->step;
  advance(job);
}

namespace {

// What a backend offers for timing: the dummy its services learnt, then the
// one it makes itself (plugins that override Backend::timing_reference).
std::string learnt_timing_reference(const NamedBackend& named) { return named.services->timing_reference(); }

std::string own_timing_reference(const NamedBackend& named) {
  try {
    return named.backend->timing_reference();
  } catch (...) {
    return {};
  }
}

}  // namespace

// An unknown name is checked against a dummy of the slowest scheme its route
// holds, so that it costs what a wrong password costs; the result is dropped.
void Engine::start_timing_dummy(const std::shared_ptr<Job>& job) {
  int best_rank = -1;
  bool slow = false;
  for (const NamedBackend* named : job->route->backends) {
    for (auto* source : {&learnt_timing_reference, &own_timing_reference}) {
      std::string reference = source(*named);
      if (reference.empty()) continue;
      if (auto traits = services_.scheme_of(reference); traits && traits->cost_rank > best_rank) {
        best_rank = traits->cost_rank;
        slow = traits->slow;
        job->dummy = std::move(reference);
      }
    }
  }
  if (job->dummy.empty()) {
    finish(*job, Verdict::unknown_name());
    return;
  }
  job->timing_dummy = true;
  if (!slow) {
    services_.check_timing_dummy(job->dummy, job->request.secret);
    finish(*job, Verdict::unknown_name());
    return;
  }
  if (!pending_.count(job->id)) {
    pending_.emplace(job->id, job);
    deadlines_.emplace_back(job->deadline, job->id);
  }
  auto* completions = completions_.get();
  auto* services = &services_;
  if (!pool_.try_submit([job, completions, services] {
        if (Clock::now() < job->deadline) services->check_timing_dummy(job->dummy, job->request.secret);
        completions->push(job->id);
      })) {
    pending_.erase(job->id);
    answer(job->request.seq, protocol::Status::Failure, answer_text::overloaded);
  }
}

// SASL: the backend gave the stored secret; compute what the client should
// have sent and compare in constant time.
void Engine::finish_sasl(Job& job) {
  if (job.verdict.kind != VerdictKind::Accept) {
    finish(job, job.verdict);
    return;
  }
  const auto traits = services_.scheme_of(job.stored.view());
  if (traits && !traits->allowed) {
    finish(job, Verdict::reject(RejectReason::UnusableSecret,
                                "stored password uses the weak scheme " + std::string(traits->name) +
                                    ", refused by allow_weak_schemes = false"));
    return;
  }
  const passwords::ChallengeCheck check =
      services_.registry().check_challenge(job.stored.view(), *job.sasl_method, job.request.challenge,
                                           job.request.secret);
  job.stored.clear();
  switch (check) {
    case passwords::ChallengeCheck::Match: finish(job, Verdict::accept()); return;
    case passwords::ChallengeCheck::Mismatch: finish(job, Verdict::reject(RejectReason::WrongPassword)); return;
    case passwords::ChallengeCheck::CannotServe:
    case passwords::ChallengeCheck::Malformed: break;
  }
  finish(job, Verdict::reject(RejectReason::UnsupportedMethod, "only a one-way hash is stored"));
}

void Engine::finish(Job& job, const Verdict& verdict) {
  if (job.id != 0) pending_.erase(job.id);
  const Question question =
      job.request.command == protocol::Command::New ? Question::Existence : Question::Password;
  emit_answer(job, question, verdict);
  switch (verdict.kind) {
    case VerdictKind::Accept: ++stats_.accepted; break;
    case VerdictKind::TempFail: ++stats_.failed; break;
    default: ++stats_.rejected; break;
  }
  log_request(job, verdict);
}

// Every answer to a verdict goes out through here: at once, or held for the
// failure answer time when answers.cpp says so.
void Engine::emit_answer(const Job& job, Question question, const Verdict& verdict) {
  if (!held_until_failure_time(question, verdict, policy_)) {
    append_answer(out_, job.request.seq, question, verdict, policy_);
    return;
  }
  std::string line;
  append_answer(line, job.request.seq, question, verdict, policy_);
  const auto release = job.arrived + policy_.failure_answer_time;
  if (const auto now = Clock::now(); now > release) note_late_failure(now, now - job.arrived);
  held_.emplace(std::pair{release, job.arrival}, std::move(line));
}

// A check slower than the failure answer time shows through in the timing;
// the administrator must hear of it.
void Engine::note_late_failure(Clock::time_point now, Clock::duration took) {
  ++stats_.late_failures;
  if (late_logged_ != Clock::time_point{} && now - late_logged_ < late_failure_log_interval) return;
  late_logged_ = now;
  services_.log(LogLevel::Warning,
                "a credential failure took " +
                    std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()) +
                    " ms to decide, longer than failure_answer_time_ms = " +
                    std::to_string(policy_.failure_answer_time.count()) +
                    ": its answer time tells it apart; raise failure_answer_time_ms above the slowest check (" +
                    std::to_string(stats_.late_failures) + " so far)");
}

void Engine::release_held(Clock::time_point now, bool everything) {
  while (!held_.empty() && (everything || held_.begin()->first.first <= now)) {
    out_ += held_.begin()->second;
    held_.erase(held_.begin());
  }
}

void Engine::log_request(const Job& job, const Verdict& verdict) const {
  const bool problem = verdict.kind == VerdictKind::TempFail ||
                       (verdict.kind == VerdictKind::Reject && verdict.reason == RejectReason::UnusableSecret);
  const LogLevel level = problem ? LogLevel::Warning : LogLevel::Debug;
  if (!services_.logger().enabled(level)) return;
  std::string line;
  switch (job.request.command) {
    case protocol::Command::Vrfy: line = "VRFY "; break;
    case protocol::Command::Sasl: line = "SASL(" + job.request.method + ") "; break;
    case protocol::Command::New: line = "NEW "; break;
    default: break;
  }
  line += job.account.full().empty() ? std::string("(malformed name)") : std::string(job.account.full());
  if (!job.request.mode.empty()) line += " (" + job.request.mode + ")";
  switch (verdict.kind) {
    case VerdictKind::Accept: line += ": accepted"; break;
    case VerdictKind::Reject: line += ": rejected"; break;
    case VerdictKind::UnknownName: line += ": unknown name"; break;
    case VerdictKind::TempFail: line += ": temporary failure"; break;
  }
  if (!job.answered_by.empty() && verdict.kind != VerdictKind::UnknownName) line += " by " + job.answered_by;
  if (!verdict.detail.empty()) line += " (" + verdict.detail + ")";
  services_.log(level, line);
}

void Engine::drain_completions() {
  std::vector<std::uint64_t> ids;
  completions_->take(ids);
  for (auto id : ids) {
    auto it = pending_.find(id);
    if (it == pending_.end()) continue;  // answered at its deadline already
    auto job = it->second;
    step_done(job);
  }
}

void Engine::expire(Clock::time_point now, bool shutting_down) {
  while (!deadlines_.empty() && (shutting_down || deadlines_.front().first <= now)) {
    const auto id = deadlines_.front().second;
    deadlines_.pop_front();
    auto it = pending_.find(id);
    if (it == pending_.end()) continue;
    Job& job = *it->second;
    const auto text = shutting_down ? answer_text::shutting_down : answer_text::timed_out;
    protocol::append_response(out_, job.request.seq, protocol::Status::Failure, text);
    ++stats_.failed;
    ++stats_.timed_out;
    log_request(job, Verdict::temp_fail(std::string(text)));
    pending_.erase(it);
  }
}

namespace {

// How many bytes of `out` from `from` to hand to one write(): whole lines
// only, at most `limit` bytes unless the first line alone is longer.
std::size_t whole_lines(std::string_view out, std::size_t from, std::size_t limit) {
  const std::string_view rest = out.substr(from);
  if (rest.size() <= limit) return rest.size();  // the buffer only ever holds whole lines
  const auto last = rest.rfind('\n', limit - 1);
  if (last != std::string_view::npos) return last + 1;
  const auto first = rest.find('\n');
  return first == std::string_view::npos ? rest.size() : first + 1;
}

}  // namespace

// Write what the host can take now; false when standard output is gone.
//
// A line is never left half written: each write() holds whole lines and at
// most PIPE_BUF bytes, which a pipe takes all or nothing. Should a write
// still stop inside a line (standard output is not a pipe), the rest of
// that line goes first, before anything else and before the process ends.
bool Engine::flush_output(int out_fd) {
  std::size_t done = 0;
  while (done < out_.size()) {
    std::size_t chunk;
    if (mid_line_) {
      const auto end = out_.find('\n', done);
      chunk = (end == std::string::npos ? out_.size() : end + 1) - done;
    } else {
      chunk = whole_lines(out_, done, PIPE_BUF);
    }
    const ssize_t n = ::write(out_fd, out_.data() + done, chunk);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      mid_line_ = out_[done - 1] != '\n';
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    out_.clear();
    mid_line_ = false;
    return false;
  }
  out_.erase(0, done);
  return true;
}

// At exit with the host not reading: what is unwritten is left out, but a
// line already begun is finished if the host takes it within `limit`.
void Engine::finish_started_line(int out_fd, Clock::time_point limit) {
  if (!mid_line_) return;
  const auto end = out_.find('\n');
  out_.resize(end == std::string::npos ? out_.size() : end + 1);
  while (mid_line_ && Clock::now() < limit && flush_output(out_fd)) {
    if (!mid_line_) break;
    pollfd fd{out_fd, POLLOUT, 0};
    ::poll(&fd, 1, 50);
  }
  if (mid_line_)
    services_.log(LogLevel::Warning, "the host did not read the rest of a started answer line before exit");
  out_.clear();
}

int Engine::run(int in_fd, int out_fd, int stop_fd) {
  FdFlags in_flags(in_fd);
  FdFlags out_flags(out_fd);
  shutdown_deadline_ = {};
  output_open_ = true;
  for (;;) {
    drain_completions();
    const auto now = Clock::now();
    run_timers(now);
    if (!write_output(out_fd, now)) break;
    if (all_done(now)) break;
    wait_and_read(in_fd, out_fd, stop_fd, now);
  }
  shut_down(out_fd);
  return 0;
}

// Deadlines, the shutdown grace once the input has ended, and held failures
// whose time has come (all of them once the grace is over).
void Engine::run_timers(Clock::time_point now) {
  expire(now, false);
  if (!input_open_ && shutdown_deadline_ == Clock::time_point{}) shutdown_deadline_ = now + config_.shutdown_grace;
  const bool grace_over = !input_open_ && now >= shutdown_deadline_;
  if (grace_over) expire(now, true);
  release_held(now, grace_over);
}

// Queue the log's info lines for the host and write what it can take; false
// when standard output is gone, with everything in flight given up.
bool Engine::write_output(int out_fd, Clock::time_point now) {
  info_lines_.clear();
  services_.logger().take_info_lines(info_lines_);
  for (const auto& line : info_lines_) protocol::append_info(out_, line);
  if (output_open_ && !out_.empty()) output_open_ = flush_output(out_fd);
  if (output_open_) return true;
  services_.log(LogLevel::Warning, "standard output closed: the host is gone, stopping");
  input_open_ = false;
  expire(now, true);
  held_.clear();
  return false;
}

// After the input has ended: everything answered and written, or answered
// and the host slow to take the rest well past the grace.
bool Engine::all_done(Clock::time_point now) const {
  if (input_open_ || !pending_.empty() || !held_.empty()) return false;
  return out_.empty() || now >= shutdown_deadline_ + std::chrono::milliseconds(500);
}

// When the loop must wake with nothing to read or write: the first deadline,
// held failure or end of the grace, and soon while output waits after the
// input ended. Nanoseconds, so that a held failure leaves close to its time.
// nullptr when nothing is timed.
const timespec* Engine::poll_timeout(Clock::time_point now, timespec& wait) const {
  auto wake_at = Clock::time_point::max();
  if (!deadlines_.empty()) wake_at = deadlines_.front().first;
  if (!held_.empty()) wake_at = std::min(wake_at, held_.begin()->first.first);
  if (!input_open_) wake_at = std::min(wake_at, shutdown_deadline_);
  if (!out_.empty() && !input_open_) wake_at = std::min(wake_at, now + std::chrono::milliseconds(100));
  if (wake_at == Clock::time_point::max()) return nullptr;
  const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::clamp<Clock::duration>(wake_at - now, Clock::duration::zero(), std::chrono::seconds(60)))
                        .count();
  wait.tv_sec = static_cast<time_t>(left / 1000000000);
  wait.tv_nsec = static_cast<long>(left % 1000000000);
  return &wait;
}

// Wait for input (unless paused by a full output buffer or too many held
// answers), room to write, a finished worker step, a stop signal or the
// next timer; then take in what arrived.
void Engine::wait_and_read(int in_fd, int out_fd, int stop_fd, Clock::time_point now) {
  pollfd fds[4];
  nfds_t count = 0;
  const bool want_input = input_open_ && out_.size() < max_buffered_output && held_.size() < max_held_answers;
  int input_index = -1, output_index = -1, stop_index = -1;
  if (want_input) {
    input_index = static_cast<int>(count);
    fds[count++] = {in_fd, POLLIN, 0};
  }
  if (!out_.empty()) {
    output_index = static_cast<int>(count);
    fds[count++] = {out_fd, POLLOUT, 0};
  }
  fds[count++] = {completions_->fd(), POLLIN, 0};
  if (stop_fd >= 0 && input_open_) {
    stop_index = static_cast<int>(count);
    fds[count++] = {stop_fd, POLLIN, 0};
  }

  timespec wait{};
  const int ready = ::ppoll(fds, count, poll_timeout(now, wait), nullptr);
  if (ready < 0) {
    if (errno == EINTR) return;
    services_.log(LogLevel::Error, std::string("poll failed: ") + std::strerror(errno));
    input_open_ = false;
    return;
  }
  if (stop_index >= 0 && (fds[stop_index].revents & POLLIN)) read_stop_signal(stop_fd);
  if (output_index >= 0 && (fds[output_index].revents & (POLLERR | POLLHUP)) && !(fds[output_index].revents & POLLOUT))
    output_open_ = false;
  if (input_index >= 0 && (fds[input_index].revents & (POLLIN | POLLHUP | POLLERR))) read_input(in_fd);
}

void Engine::read_stop_signal(int stop_fd) {
  signalfd_siginfo info{};
  [[maybe_unused]] auto n = ::read(stop_fd, &info, sizeof info);
  services_.log(LogLevel::Info, "signal " + std::to_string(info.ssi_signo) + ": finishing the requests in flight");
  input_open_ = false;
}

// Read once and handle every whole line; at end of input, the last line
// without its newline too.
void Engine::read_input(int in_fd) {
  auto space = reader_.prepare();
  const ssize_t n = ::read(in_fd, space.data(), space.size());
  arrived_ = Clock::now();
  if (n > 0) {
    reader_.commit(static_cast<std::size_t>(n));
    while (input_open_) {
      auto line = reader_.next();
      if (!line) break;
      handle_line(line->text, line->overlong);
    }
  } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    if (auto line = reader_.finish()) handle_line(line->text, line->overlong);
    if (input_open_) services_.log(LogLevel::Info, "end of input: finishing the requests in flight");
    input_open_ = false;
  }
}

// The last answers, the workers, and the closing log line.
void Engine::shut_down(int out_fd) {
  if (!out_.empty() && output_open_) {
    // Last answers: wait briefly for the host to take them.
    const auto limit = Clock::now() + std::chrono::milliseconds(500);
    while (!out_.empty() && Clock::now() < limit && flush_output(out_fd)) {
      pollfd fd{out_fd, POLLOUT, 0};
      ::poll(&fd, 1, 50);
    }
    if (output_open_) finish_started_line(out_fd, limit + std::chrono::milliseconds(500));
  }
  workers_stuck_ = !pool_.join_for(std::chrono::milliseconds(200));
  log_stop_summary();
}

void Engine::log_stop_summary() const {
  services_.log(LogLevel::Info, "stopped: " + std::to_string(stats_.requests) + " requests, " +
                                    std::to_string(stats_.accepted) + " accepted, " + std::to_string(stats_.rejected) +
                                    " rejected, " + std::to_string(stats_.failed) + " failed (" +
                                    std::to_string(stats_.timed_out) + " timed out), " +
                                    std::to_string(stats_.unanswerable) + " lines without a sequence number" +
                                    (stats_.late_failures == 0
                                         ? std::string()
                                         : ", " + std::to_string(stats_.late_failures) +
                                               " failures decided after failure_answer_time_ms"));
}

}  // namespace authd
