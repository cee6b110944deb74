#include "host/helper/helper_client.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <future>

#include "base/fd.hpp"
#include "host/helper/helper_answers.hpp"
#include "host/helper/helper_process.hpp"
#include "host/helper/pending_requests.hpp"
#include "host/helper/restart_backoff.hpp"
#include "protocol/line_reader.hpp"
#include "protocol/limits.hpp"
#include "protocol/quoting.hpp"

namespace authd::host {

using Clock = std::chrono::steady_clock;

namespace {

const std::string too_long_text =
    "request too long for the protocol (over " + std::to_string(protocol::max_request_line) + " bytes)";

void wipe_string(std::string& text) noexcept {
  wipe_memory(text.data(), text.size());
  text.clear();
}

}  // namespace

// ---- HelperRequest ----

HelperRequest::HelperRequest(std::string command, std::string mode)
    : command_(std::move(command)), mode_(std::move(mode)) {}

HelperRequest HelperRequest::from_text(std::string_view text) {
  const std::size_t space = text.find(' ');
  HelperRequest request{std::string(text.substr(0, space))};
  if (space != std::string_view::npos) request.arguments_.assign(text.substr(space));
  return request;
}

HelperRequest& HelperRequest::argument(std::string_view value) {
  arguments_.push_back(' ');
  std::string quoted = protocol::quote_argument(value);
  arguments_.append(quoted);
  wipe_string(quoted);
  return *this;
}

HelperRequest& HelperRequest::secret_argument(std::string_view value) {
  argument(value);
  if (value.empty()) return *this;
  secrets_.emplace_back(value);
  std::string quoted = protocol::quote_argument(value);
  if (quoted != value) secrets_.emplace_back(quoted);
  wipe_string(quoted);
  // Longest first, so that a quoted form goes whole before the bare value
  // inside it.
  std::sort(secrets_.begin(), secrets_.end(), [](const Secret& a, const Secret& b) { return a.size() > b.size(); });
  return *this;
}

std::size_t HelperRequest::line_size(std::size_t seq_digits, bool with_mode) const noexcept {
  const std::size_t mode = with_mode && !mode_.empty() ? mode_.size() + 3 : 0;  // " (" mode ")"
  return seq_digits + 1 + command_.size() + mode + arguments_.size();
}

void HelperRequest::hide_secrets(std::string& text) const {
  static constexpr std::string_view mask = "***";
  for (const auto& secret : secrets_) {
    for (std::size_t at = text.find(secret.view()); at != std::string::npos;
         at = text.find(secret.view(), at + mask.size())) {
      wipe_memory(text.data() + at, secret.size());
      text.replace(at, secret.size(), mask);
    }
  }
}

// ---- the client ----

// The client: what callers hand over (under the mutex), and what only the
// client's thread touches: the process, the requests it holds and the bytes
// going to and coming from it.
struct HelperClient::Impl {
  using Request = PendingRequest;

  explicit Impl(HelperOptions o, Logger l)
      : options(std::move(o)),
        log(std::move(l)),
        process(options.command.empty() ? std::vector<std::string>{""} : options.command, options.stderr_path),
        backoff(options.restart_backoff, options.max_restart_backoff) {
    wake_fd.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!wake_fd) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
    if (options.command.empty()) throw std::invalid_argument("the helper command is empty");
    thread = std::thread([this] { run(); });
  }

  ~Impl() { stop(); }

  void say(HelperLogLevel level, const std::string& text) {
    if (log) log(level, text);
  }

  std::string helper_name() const { return process.name(); }
  std::string helper_with_pid() const { return helper_name() + " (pid " + std::to_string(process.pid()) + ")"; }

  void wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd.get(), &one, sizeof one);
  }

  // ---- called from any thread ----

  void submit(HelperRequest request, Completion done);
  bool stopping_flag() {
    std::lock_guard lock(mutex);
    return stopping;
  }
  void stop();

  // ---- the client's thread ----

  void complete(Request& request, HelperAnswer answer);
  PendingRequests::Complete completer() {
    return [this](Request& request, HelperAnswer answer) { complete(request, std::move(answer)); };
  }
  bool start_helper();
  void send_handshake(Clock::time_point now);
  void send(Request request, Clock::time_point now);
  void fail_helper(const std::string& why);
  void stop_child(Clock::duration grace, const std::string& why_killed);
  std::string shutdown_kill_reason() const {
    return "did not exit within " + std::to_string(options.shutdown_wait.count()) + " ms of the end of its input";
  }

  void handle_line(std::string_view line);
  void handle_info_line(protocol::InfoLine& info);
  void handle_response(const protocol::Response& response);
  void take_version(const protocol::Response& response);
  bool read_helper();
  bool read_lines(const std::string& too_long);
  void helper_output_ended();
  void write_helper();

  void run();
  void take_incoming(Clock::time_point now);
  bool continue_shutdown(Clock::time_point now);
  void serve_waiting(Clock::time_point now);
  void fail_overdue(Clock::time_point now);
  Clock::time_point next_wake_time() const;
  bool wait_for_events();
  void finish();

  HelperOptions options;
  Logger log;
  std::thread thread;
  base::Fd wake_fd;

  mutable std::mutex mutex;  // guards incoming, stopping, in_system, stats
  std::deque<Request> incoming;
  bool stopping = false;
  std::size_t in_system = 0;
  HelperStats stats;
  std::atomic<unsigned> helper_version{0};
  std::atomic<int> pid{-1};

  // Owned by the client's thread.
  HelperProcess process;
  RestartBackoff backoff;
  PendingRequests pending;
  std::optional<protocol::LineReader> reader;  // one per helper process; wipes what it read
  std::string write_buffer;
  bool handshake_pending = false;  // INTF sent, not yet answered: nothing else is sent
  bool shutting_down = false;
  Clock::time_point shutdown_deadline{};
};

void HelperClient::Impl::submit(HelperRequest request, Completion done) {
  // Too long even with a one-digit number and no mode: it can never be sent.
  if (request.line_size(1, false) > protocol::max_request_line) {
    done({AnswerKind::TooLong, too_long_text});
    return;
  }
  {
    std::lock_guard lock(mutex);
    if (!stopping && in_system < options.max_queued) {
      ++in_system;
      incoming.push_back({std::move(request), std::move(done), Clock::now(), false, false});
      wake();
      return;
    }
  }
  // Refused without touching the helper: called on the caller's thread.
  done({AnswerKind::TempFail, stopping_flag() ? "the helper client is shutting down" : "overloaded"});
}

void HelperClient::Impl::stop() {
  {
    std::lock_guard lock(mutex);
    if (stopping && !thread.joinable()) return;
    stopping = true;
  }
  wake();
  if (thread.joinable()) thread.join();
}

// The one place a caller's request is answered: secrets are masked in the
// helper's text first, and a completion that throws cannot take the
// client's thread down.
void HelperClient::Impl::complete(Request& request, HelperAnswer answer) {
  if (request.handshake) return;
  request.request.hide_secrets(answer.text);
  {
    std::lock_guard lock(mutex);
    --in_system;
    ++stats.answered;
  }
  try {
    request.done(answer);
  } catch (const std::exception& e) {
    say(HelperLogLevel::Major, std::string("a completion threw: ") + e.what());
  }
}

bool HelperClient::Impl::start_helper() {
  const auto now = Clock::now();
  if (const auto failure = process.start()) {
    say(HelperLogLevel::Major, *failure);
    backoff.crashed(now);
    return false;
  }
  pid = process.pid();
  if (backoff.started(now)) {
    std::lock_guard lock(mutex);
    ++stats.restarts;
  }
  reader.emplace(protocol::max_response_line - 1);  // the limit counts the LF
  wipe_string(write_buffer);
  send_handshake(now);
  say(HelperLogLevel::Major, "started " + helper_with_pid());
  return true;
}

// INTF goes first, alone: until the helper answers, its version (and so
// whether a request may carry a mode) is unknown.
void HelperClient::Impl::send_handshake(Clock::time_point now) {
  helper_version = 0;
  handshake_pending = true;
  HelperRequest intf("INTF");
  intf.argument(std::to_string(options.interface_version));
  send(Request{std::move(intf), {}, now, false, true}, now);
}

void HelperClient::Impl::send(Request request, Clock::time_point now) {
  const std::string number = std::to_string(pending.next_number());
  const HelperRequest& r = request.request;
  const bool with_mode = helper_version >= 1 && !r.mode().empty();
  if (r.line_size(number.size(), with_mode) > protocol::max_request_line) {
    // Never written, not even in part: a helper that reads fixed-size
    // chunks would take the tail for a second request.
    say(HelperLogLevel::Major, "a " + r.command() + " request was not sent: " + too_long_text);
    complete(request, {AnswerKind::TooLong, too_long_text});
    return;
  }
  write_buffer.append(number).append(" ").append(r.command());
  if (with_mode) write_buffer.append(" (").append(r.mode()).append(")");
  write_buffer.append(r.arguments()).push_back('\n');
  {
    std::lock_guard lock(mutex);
    ++stats.sent;
    if (request.resent) ++stats.resent;
  }
  pending.send(std::move(request), now + options.request_timeout);
}

// The helper is broken: stop it, and queue what it held to be sent again once.
void HelperClient::Impl::fail_helper(const std::string& why) {
  say(HelperLogLevel::Major, helper_with_pid() + " is broken: " + why);
  stop_child(std::chrono::milliseconds(0), "stopped");
  const auto now = Clock::now();
  backoff.crashed(now);
  pending.requeue_after_crash(now, completer());
}

void HelperClient::Impl::stop_child(Clock::duration grace, const std::string& why_killed) {
  const std::string ended = process.stop(grace, why_killed);
  if (!ended.empty()) say(HelperLogLevel::Major, ended);
  pid = -1;
}

void HelperClient::Impl::handle_line(std::string_view line) {
  auto parsed = protocol::parse_response(line);
  if (auto* error = std::get_if<protocol::ResponseError>(&parsed)) {
    fail_helper("it wrote a line that is not a response (" + error->message + ")");
    return;
  }
  if (auto* info = std::get_if<protocol::InfoLine>(&parsed)) {
    handle_info_line(*info);
    return;
  }
  handle_response(std::get<protocol::Response>(parsed));
}

// A helper may echo what it was sent in its information lines: every
// secret in flight is masked before the line is logged.
void HelperClient::Impl::handle_info_line(protocol::InfoLine& info) {
  {
    std::lock_guard lock(mutex);
    ++stats.info_lines;
  }
  pending.hide_secrets(info.text);
  say(HelperLogLevel::Detail, "helper: " + info.text);
  wipe_string(info.text);
}

void HelperClient::Impl::handle_response(const protocol::Response& response) {
  const auto seq = exact_sequence_number(response.seq);
  const Request* request = seq ? pending.in_flight(*seq) : nullptr;
  if (request == nullptr) {
    {
      std::lock_guard lock(mutex);
      ++stats.dropped_lines;
    }
    say(HelperLogLevel::Major, "dropped an answer to unknown or already answered request " + response.seq);
    return;
  }
  if (request->handshake) {
    pending.take_in_flight(*seq);
    take_version(response);
    return;
  }
  if (response.intf_form && request->request.command() != "INTF") {
    // It stays in flight, so that it is sent again to the next helper.
    fail_helper("it answered " + request->request.command() + " request " + response.seq + " with INTF");
    return;
  }
  Request answered = pending.take_in_flight(*seq);
  complete(answered, answer_of(response));
}

void HelperClient::Impl::take_version(const protocol::Response& response) {
  handshake_pending = false;
  const auto negotiated = negotiated_version(response, options.interface_version);
  helper_version = negotiated.version;
  say(HelperLogLevel::Major, helper_name() + " speaks interface version " + std::to_string(negotiated.version) +
                                 (negotiated.announced ? "" : " (it answered INTF without a version)"));
}

// Read what the helper wrote; false when it is gone or broken.
bool HelperClient::Impl::read_helper() {
  const std::string too_long =
      "it wrote a line longer than " + std::to_string(protocol::max_response_line) + " bytes";
  for (;;) {
    const auto space = reader->prepare();
    const ssize_t n = ::read(process.output(), space.data(), space.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n <= 0) {
      helper_output_ended();
      return false;
    }
    reader->commit(static_cast<std::size_t>(n));
    if (!read_lines(too_long)) return false;
  }
}

// Every complete line read so far; false when one of them broke the helper.
bool HelperClient::Impl::read_lines(const std::string& too_long) {
  while (const auto line = reader->next()) {
    if (line->overlong) {
      fail_helper(too_long);
      return false;
    }
    handle_line(line->text);
    if (process.output() < 0) return false;  // handle_line found it broken
  }
  // Waiting for the end of a line that is too long already would let a
  // helper that never writes an LF hold its requests until they time out.
  if (reader->in_overlong_line()) {
    fail_helper(too_long);
    return false;
  }
  return true;
}

// While shutting down, an end of output is the exit the helper was asked
// for; at any other time it is a crash.
void HelperClient::Impl::helper_output_ended() {
  if (shutting_down)
    stop_child(std::max(Clock::duration::zero(), shutdown_deadline - Clock::now()), shutdown_kill_reason());
  else
    fail_helper("it exited or closed its output");
}

void HelperClient::Impl::write_helper() {
  while (!write_buffer.empty()) {
    const ssize_t n = ::write(process.input(), write_buffer.data(), write_buffer.size());
    if (n > 0) {
      // Request lines carry passwords: what was written goes, wiped.
      wipe_memory(write_buffer.data(), static_cast<std::size_t>(n));
      write_buffer.erase(0, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    fail_helper(std::string("writing to it failed: ") + std::strerror(errno));
    return;
  }
}

void HelperClient::Impl::run() {
  // A helper that dies makes writes raise SIGPIPE; on this thread it stays
  // blocked, and the write reports EPIPE instead.
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);

  for (;;) {
    const auto now = Clock::now();
    take_incoming(now);
    if (shutting_down) {
      if (!continue_shutdown(now)) break;
    } else {
      serve_waiting(now);
    }
    if (process.input() >= 0 && !write_buffer.empty()) write_helper();
    fail_overdue(now);
    if (!wait_for_events()) break;
  }
  finish();
}

// What submit() queued moves to the thread's own queue; a stop() seen for
// the first time starts the shutdown clock.
void HelperClient::Impl::take_incoming(Clock::time_point now) {
  std::lock_guard lock(mutex);
  for (auto& request : incoming) pending.wait(std::move(request));
  incoming.clear();
  if (stopping && !shutting_down) {
    shutting_down = true;
    shutdown_deadline = now + options.shutdown_wait;
  }
}

// Nothing new is sent while shutting down; requests in flight may still be
// answered. False when the loop is done: the helper is gone or out of time.
bool HelperClient::Impl::continue_shutdown(Clock::time_point now) {
  pending.answer_waiting({AnswerKind::TempFail, "the helper client is shutting down"}, completer());
  if (process.input() >= 0 && write_buffer.empty()) process.close_input();  // end of input: the helper exits
  return process.output() >= 0 && now < shutdown_deadline;
}

void HelperClient::Impl::serve_waiting(Clock::time_point now) {
  if (process.output() < 0 && now >= backoff.restart_at()) start_helper();
  if (process.output() < 0 && backoff.crash_loop(now))
    pending.answer_waiting({AnswerKind::TempFail, "the helper keeps failing"}, completer());
  // Requests that could not even be sent in time.
  pending.expire_waiting(now, options.request_timeout, completer());
  if (process.output() >= 0 && !handshake_pending) {
    while (pending.any_waiting()) send(pending.take_waiting(), now);
  }
}

// A request unanswered past its time-out means the helper is stuck.
void HelperClient::Impl::fail_overdue(Clock::time_point now) {
  if (process.output() < 0) return;
  if (const auto seq = pending.overdue(now))
    fail_helper("request " + std::to_string(*seq) + " unanswered after " +
                std::to_string(options.request_timeout.count()) + " ms");
}

Clock::time_point HelperClient::Impl::next_wake_time() const {
  auto wake_at = std::min(pending.flight_deadline(), pending.waiting_deadline(options.request_timeout));
  if (process.output() < 0 && !shutting_down) wake_at = std::min(wake_at, backoff.restart_at());
  if (shutting_down) wake_at = std::min(wake_at, shutdown_deadline);
  return wake_at;
}

// Sleep until a wake-up from submit()/stop(), output from the helper, room
// to write to it, or the next deadline; then serve what is ready. False when
// poll itself fails.
bool HelperClient::Impl::wait_for_events() {
  pollfd fds[3];
  nfds_t count = 0;
  fds[count++] = {wake_fd.get(), POLLIN, 0};
  int out_index = -1, in_index = -1;
  if (process.output() >= 0) {
    out_index = static_cast<int>(count);
    fds[count++] = {process.output(), POLLIN, 0};
  }
  if (process.input() >= 0 && !write_buffer.empty()) {
    in_index = static_cast<int>(count);
    fds[count++] = {process.input(), POLLOUT, 0};
  }
  int timeout = -1;
  if (const auto wake_at = next_wake_time(); wake_at != Clock::time_point::max()) {
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wake_at - Clock::now()).count();
    timeout = static_cast<int>(std::clamp<long long>(ms, 0, 60000));
  }
  if (::poll(fds, count, timeout) < 0 && errno != EINTR) return false;
  if (fds[0].revents & POLLIN) {
    std::uint64_t value;
    [[maybe_unused]] auto n = ::read(wake_fd.get(), &value, sizeof value);
  }
  if (out_index >= 0 && (fds[out_index].revents & (POLLIN | POLLHUP | POLLERR))) read_helper();
  if (in_index >= 0 && process.input() >= 0 && (fds[in_index].revents & (POLLOUT | POLLERR | POLLHUP)))
    write_helper();
  return true;
}

// Whatever is left gets its answer; the helper goes.
void HelperClient::Impl::finish() {
  stop_child(std::chrono::milliseconds(0), shutdown_kill_reason());
  const HelperAnswer closing{AnswerKind::TempFail, "the helper client is shutting down"};
  pending.answer_in_flight(closing, completer());
  pending.answer_waiting(closing, completer());
  wipe_string(write_buffer);
  reader.reset();
}

HelperClient::HelperClient(HelperOptions options, Logger log)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(log))) {}

HelperClient::~HelperClient() { shutdown(); }

void HelperClient::submit(HelperRequest request, Completion done) {
  impl_->submit(std::move(request), std::move(done));
}

HelperAnswer HelperClient::ask(HelperRequest request) {
  auto promise = std::make_shared<std::promise<HelperAnswer>>();
  auto future = promise->get_future();
  submit(std::move(request), [promise](const HelperAnswer& answer) { promise->set_value(answer); });
  return future.get();
}

void HelperClient::shutdown() { impl_->stop(); }

unsigned HelperClient::helper_version() const { return impl_->helper_version; }

HelperStats HelperClient::stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->stats;
}

int HelperClient::helper_pid() const { return impl_->pid; }

}  // namespace authd::host
