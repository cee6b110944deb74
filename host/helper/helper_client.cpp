#include "host/helper/helper_client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/process.hpp>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <future>
#include <map>

#include "base/fd.hpp"
#include "host/helper/spawn_limits.hpp"
#include "protocol/line_reader.hpp"
#include "protocol/limits.hpp"
#include "protocol/quoting.hpp"

namespace authd::host {

namespace bp = boost::process;
using Clock = std::chrono::steady_clock;

namespace {

// A helper that crashes this many times within crash_window is in a crash
// loop: requests fail at once until its back-off ends.
constexpr int crash_loop_count = 3;
constexpr auto crash_window = std::chrono::seconds(60);
// A helper that ran this long before failing starts the back-off afresh.
constexpr auto stable_run = std::chrono::seconds(30);

const std::string too_long_text =
    "request too long for the protocol (over " + std::to_string(protocol::max_request_line) + " bytes)";

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

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

struct HelperClient::Impl {
  struct Request {
    HelperRequest request;
    Completion done;
    Clock::time_point queued_at;
    bool resent = false;
    bool handshake = false;  // the INTF sent after each start
  };
  struct InFlight {
    Request request;
    Clock::time_point deadline;
  };

  explicit Impl(HelperOptions o, Logger l) : options(std::move(o)), log(std::move(l)) {
    wake_fd.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!wake_fd) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
    if (options.command.empty()) throw std::invalid_argument("the helper command is empty");
    thread = std::thread([this] { run(); });
  }

  ~Impl() { stop(); }

  void say(HelperLogLevel level, const std::string& text) {
    if (log) log(level, text);
  }

  std::string helper_name() const { return "helper '" + options.command[0] + "'"; }

  void wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd.get(), &one, sizeof one);
  }

  // ---- called from any thread ----

  void submit(HelperRequest request, Completion done) {
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

  bool stopping_flag() {
    std::lock_guard lock(mutex);
    return stopping;
  }

  void stop() {
    {
      std::lock_guard lock(mutex);
      if (stopping && !thread.joinable()) return;
      stopping = true;
    }
    wake();
    if (thread.joinable()) thread.join();
  }

  // ---- the client's thread ----

  void complete(Request& request, HelperAnswer answer) {
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

  bool start_helper() {
    const auto now = Clock::now();
    std::string why;
    const auto program = find_program(options.command[0], why);
    if (!program) {
      say(HelperLogLevel::Major, "cannot start " + helper_name() + ": " + why);
      record_crash(now);
      return false;
    }
    try {
      bp::pipe to_helper, from_helper;
      std::vector<std::string> args(options.command.begin() + 1, options.command.end());
      bp::child child;
      if (options.stderr_path.empty()) {
        child = bp::child(bp::exe = *program, bp::args = args, bp::std_in < to_helper, bp::std_out > from_helper,
                          bp::std_err > bp::null, only_standard_streams());
      } else {
        child = bp::child(bp::exe = *program, bp::args = args, bp::std_in < to_helper, bp::std_out > from_helper,
                          bp::std_err > options.stderr_path, only_standard_streams());
      }
      // The process is ours to stop and reap (stop_child): Boost 1.74's
      // terminate() does not wait after its SIGKILL and leaves a zombie.
      child_pid = child.id();
      child.detach();
      // Keep our ends only; duplicate them so that the pipe objects can go.
      in_fd = ::fcntl(to_helper.native_sink(), F_DUPFD_CLOEXEC, 0);
      out_fd = ::fcntl(from_helper.native_source(), F_DUPFD_CLOEXEC, 0);
    } catch (const std::exception& e) {
      say(HelperLogLevel::Major, "cannot start " + helper_name() + " (" + *program + "): " + e.what());
      record_crash(now);
      return false;
    }
    set_nonblocking(in_fd);
    set_nonblocking(out_fd);
    started_at = now;
    pid = child_pid;
    if (has_started) {
      std::lock_guard lock(mutex);
      ++stats.restarts;
    }
    has_started = true;
    reader.emplace(protocol::max_response_line - 1);  // the limit counts the LF
    wipe_string(write_buffer);
    // INTF goes first, alone: until the helper answers, its version (and so
    // whether a request may carry a mode) is unknown.
    helper_version = 0;
    handshake_pending = true;
    HelperRequest intf("INTF");
    intf.argument(std::to_string(options.interface_version));
    send(Request{std::move(intf), {}, now, false, true}, now);
    say(HelperLogLevel::Major, "started " + helper_name() + " (pid " + std::to_string(child_pid) + ")");
    return true;
  }

  void send(Request request, Clock::time_point now) {
    const std::string number = std::to_string(next_seq);
    const HelperRequest& r = request.request;
    const bool with_mode = helper_version >= 1 && !r.mode().empty();
    if (r.line_size(number.size(), with_mode) > protocol::max_request_line) {
      // Never written, not even in part: a helper that reads fixed-size
      // chunks would take the tail for a second request.
      say(HelperLogLevel::Major, "a " + r.command() + " request was not sent: " + too_long_text);
      complete(request, {AnswerKind::TooLong, too_long_text});
      return;
    }
    const std::uint64_t seq = next_seq++;
    write_buffer.append(number).append(" ").append(r.command());
    if (with_mode) write_buffer.append(" (").append(r.mode()).append(")");
    write_buffer.append(r.arguments()).push_back('\n');
    {
      std::lock_guard lock(mutex);
      ++stats.sent;
      if (request.resent) ++stats.resent;
    }
    in_flight.emplace(seq, InFlight{std::move(request), now + options.request_timeout});
  }

  // The helper is broken: stop it, and queue what it held to be sent again once.
  void fail_helper(const std::string& why) {
    say(HelperLogLevel::Major, helper_name() + " (pid " + std::to_string(child_pid) + ") is broken: " + why);
    stop_child(std::chrono::milliseconds(0), "stopped");
    const auto now = Clock::now();
    record_crash(now);
    std::deque<Request> again;
    for (auto& [seq, flight] : in_flight) {
      if (flight.request.handshake) continue;
      if (flight.request.resent) {
        complete(flight.request, {AnswerKind::TempFail, "the helper failed twice on this request"});
      } else {
        flight.request.resent = true;
        flight.request.queued_at = now;
        again.push_back(std::move(flight.request));
      }
    }
    in_flight.clear();
    // Re-sent requests go before those that never were sent.
    for (auto it = again.rbegin(); it != again.rend(); ++it) waiting.push_front(std::move(*it));
  }

  void record_crash(Clock::time_point now) {
    if (has_started && now - started_at >= stable_run) backoff = options.restart_backoff;
    else backoff = backoff.count() == 0 ? options.restart_backoff : std::min(backoff * 2, options.max_restart_backoff);
    restart_at = now + backoff;
    crashes.push_back(now);
    while (!crashes.empty() && now - crashes.front() > crash_window) crashes.pop_front();
  }

  bool crash_loop(Clock::time_point now) const {
    return static_cast<int>(crashes.size()) >= crash_loop_count && now < restart_at;
  }

  // Close the pipes, give the helper `grace` to exit, then SIGKILL it (and
  // say so, with `why_killed`), and reap it in every case.
  void stop_child(Clock::duration grace, const std::string& why_killed) {
    if (in_fd >= 0) ::close(in_fd);
    in_fd = -1;
    if (child_pid > 0) {
      int status = 0;
      const std::string who = helper_name() + " (pid " + std::to_string(child_pid) + ")";
      switch (stop_and_reap(child_pid, grace, status)) {
        case ChildEnd::Exited: say(HelperLogLevel::Major, who + " " + describe_exit(status)); break;
        case ChildEnd::Killed: say(HelperLogLevel::Major, who + " " + why_killed + ": killed"); break;
        case ChildEnd::Gone: break;
      }
    }
    child_pid = -1;
    pid = -1;
    if (out_fd >= 0) ::close(out_fd);
    out_fd = -1;
  }

  void handle_line(std::string_view line) {
    auto parsed = protocol::parse_response(line);
    if (auto* error = std::get_if<protocol::ResponseError>(&parsed)) {
      fail_helper("it wrote a line that is not a response (" + error->message + ")");
      return;
    }
    if (auto* info = std::get_if<protocol::InfoLine>(&parsed)) {
      {
        std::lock_guard lock(mutex);
        ++stats.info_lines;
      }
      for (const auto& [seq, flight] : in_flight) flight.request.request.hide_secrets(info->text);
      say(HelperLogLevel::Detail, "helper: " + info->text);
      wipe_string(info->text);
      return;
    }
    auto& response = std::get<protocol::Response>(parsed);
    // The number must come back byte for byte: "0002" is not an answer to 2.
    std::uint64_t seq = 0;
    const auto [end, ec] = std::from_chars(response.seq.data(), response.seq.data() + response.seq.size(), seq);
    const bool exact = ec == std::errc() && end == response.seq.data() + response.seq.size() &&
                       std::to_string(seq) == response.seq;
    auto it = exact ? in_flight.find(seq) : in_flight.end();
    if (it == in_flight.end()) {
      {
        std::lock_guard lock(mutex);
        ++stats.dropped_lines;
      }
      say(HelperLogLevel::Major, "dropped an answer to unknown or already answered request " + response.seq);
      return;
    }
    if (it->second.request.handshake) {
      InFlight flight = std::move(it->second);
      in_flight.erase(it);
      take_version(response);
      return;
    }
    if (response.intf_form && it->second.request.request.command() != "INTF") {
      // It stays in flight, so that it is sent again to the next helper.
      fail_helper("it answered " + it->second.request.request.command() + " request " + response.seq + " with INTF");
      return;
    }
    InFlight flight = std::move(it->second);
    in_flight.erase(it);
    if (response.intf_form) {
      complete(flight.request, {AnswerKind::Ok, response.text});
      return;
    }
    switch (*response.status) {
      case protocol::Status::Ok: complete(flight.request, {AnswerKind::Ok, response.text}); break;
      case protocol::Status::Error: complete(flight.request, {AnswerKind::Error, response.text}); break;
      case protocol::Status::Failure: complete(flight.request, {AnswerKind::Failure, response.text}); break;
    }
  }

  // The answer to the INTF sent after a start. A helper written before INTF
  // existed answers ERROR (or a bare OK): it is served at version 0.
  void take_version(const protocol::Response& response) {
    handshake_pending = false;
    const bool versioned = (response.intf_form || response.status == protocol::Status::Ok) && response.version;
    const unsigned version =
        versioned ? static_cast<unsigned>(std::min<std::uint64_t>(*response.version, options.interface_version)) : 0;
    helper_version = version;
    say(HelperLogLevel::Major, helper_name() + " speaks interface version " + std::to_string(version) +
                                   (versioned ? "" : " (it answered INTF without a version)"));
  }

  // Read what the helper wrote; false when it is gone or broken.
  bool read_helper() {
    const std::string too_long =
        "it wrote a line longer than " + std::to_string(protocol::max_response_line) + " bytes";
    for (;;) {
      const auto space = reader->prepare();
      const ssize_t n = ::read(out_fd, space.data(), space.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      if (n <= 0) {
        if (shutting_down)  // the exit it was asked for
          stop_child(std::max(Clock::duration::zero(), shutdown_deadline - Clock::now()),
                     "did not exit within " + std::to_string(options.shutdown_wait.count()) +
                         " ms of the end of its input");
        else
          fail_helper("it exited or closed its output");
        return false;
      }
      reader->commit(static_cast<std::size_t>(n));
      while (const auto line = reader->next()) {
        if (line->overlong) {
          fail_helper(too_long);
          return false;
        }
        handle_line(line->text);
        if (out_fd < 0) return false;  // handle_line found it broken
      }
      // Waiting for the end of a line that is too long already would let a
      // helper that never writes an LF hold its requests until they time out.
      if (reader->in_overlong_line()) {
        fail_helper(too_long);
        return false;
      }
    }
  }

  void write_helper() {
    while (!write_buffer.empty()) {
      const ssize_t n = ::write(in_fd, write_buffer.data(), write_buffer.size());
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

  void run() {
    // A helper that dies makes writes raise SIGPIPE; on this thread it stays
    // blocked, and the write reports EPIPE instead.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);

    for (;;) {
      const auto now = Clock::now();
      {
        std::lock_guard lock(mutex);
        for (auto& request : incoming) waiting.push_back(std::move(request));
        incoming.clear();
        if (stopping && !shutting_down) {
          shutting_down = true;
          shutdown_deadline = now + options.shutdown_wait;
        }
      }
      if (shutting_down) {
        for (auto& request : waiting) complete(request, {AnswerKind::TempFail, "the helper client is shutting down"});
        waiting.clear();
        if (in_fd >= 0 && write_buffer.empty()) {
          ::close(in_fd);  // end of input: the helper finishes and exits
          in_fd = -1;
        }
        if (out_fd < 0 || now >= shutdown_deadline) break;
      } else {
        if (out_fd < 0 && now >= restart_at) start_helper();
        if (out_fd < 0 && crash_loop(now)) {
          for (auto& request : waiting) complete(request, {AnswerKind::TempFail, "the helper keeps failing"});
          waiting.clear();
        }
        // Requests that could not even be sent in time.
        while (!waiting.empty() && now - waiting.front().queued_at >= options.request_timeout) {
          complete(waiting.front(), {AnswerKind::TempFail, "the helper is not running"});
          waiting.pop_front();
        }
        if (out_fd >= 0 && !handshake_pending) {
          while (!waiting.empty()) {
            send(std::move(waiting.front()), now);
            waiting.pop_front();
          }
        }
      }
      if (in_fd >= 0 && !write_buffer.empty()) write_helper();
      // A request unanswered past its time-out means the helper is stuck.
      if (out_fd >= 0) {
        for (const auto& [seq, flight] : in_flight)
          if (flight.deadline <= now) {
            fail_helper("request " + std::to_string(seq) + " unanswered after " +
                        std::to_string(options.request_timeout.count()) + " ms");
            break;
          }
      }

      pollfd fds[3];
      nfds_t count = 0;
      fds[count++] = {wake_fd.get(), POLLIN, 0};
      int out_index = -1, in_index = -1;
      if (out_fd >= 0) {
        out_index = static_cast<int>(count);
        fds[count++] = {out_fd, POLLIN, 0};
      }
      if (in_fd >= 0 && !write_buffer.empty()) {
        in_index = static_cast<int>(count);
        fds[count++] = {in_fd, POLLOUT, 0};
      }
      auto wake_at = Clock::time_point::max();
      for (const auto& [seq, flight] : in_flight) wake_at = std::min(wake_at, flight.deadline);
      if (!waiting.empty()) wake_at = std::min(wake_at, waiting.front().queued_at + options.request_timeout);
      if (out_fd < 0 && !shutting_down) wake_at = std::min(wake_at, restart_at);
      if (shutting_down) wake_at = std::min(wake_at, shutdown_deadline);
      int timeout = -1;
      if (wake_at != Clock::time_point::max()) {
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wake_at - Clock::now()).count();
        timeout = static_cast<int>(std::clamp<long long>(ms, 0, 60000));
      }
      if (::poll(fds, count, timeout) < 0 && errno != EINTR) break;
      if (fds[0].revents & POLLIN) {
        std::uint64_t value;
        [[maybe_unused]] auto n = ::read(wake_fd.get(), &value, sizeof value);
      }
      if (out_index >= 0 && (fds[out_index].revents & (POLLIN | POLLHUP | POLLERR))) read_helper();
      if (in_index >= 0 && in_fd >= 0 && (fds[in_index].revents & (POLLOUT | POLLERR | POLLHUP))) write_helper();
    }
    // Whatever is left gets its answer; the helper goes.
    stop_child(std::chrono::milliseconds(0), "did not exit within " + std::to_string(options.shutdown_wait.count()) +
                                                 " ms of the end of its input");
    for (auto& [seq, flight] : in_flight)
      complete(flight.request, {AnswerKind::TempFail, "the helper client is shutting down"});
    in_flight.clear();
    for (auto& request : waiting) complete(request, {AnswerKind::TempFail, "the helper client is shutting down"});
    waiting.clear();
    wipe_string(write_buffer);
    reader.reset();
  }

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
  pid_t child_pid = -1;
  int in_fd = -1;
  int out_fd = -1;
  std::optional<protocol::LineReader> reader;  // one per helper process; wipes what it read
  std::string write_buffer;
  std::deque<Request> waiting;  // not yet sent
  std::map<std::uint64_t, InFlight> in_flight;
  std::uint64_t next_seq = 1;
  bool has_started = false;
  bool handshake_pending = false;  // INTF sent, not yet answered: nothing else is sent
  bool shutting_down = false;
  Clock::time_point shutdown_deadline{};
  Clock::time_point started_at{};
  Clock::time_point restart_at{};
  std::chrono::milliseconds backoff{0};
  std::deque<Clock::time_point> crashes;
};

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
