#include "bench/authload/driver.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <charconv>
#include <cmath>
#include <cstring>
#include <variant>

#include "protocol/limits.hpp"
#include "protocol/line_reader.hpp"
#include "protocol/response.hpp"

namespace authd::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

// One read() takes up to this much: a whole window of answers at once.
constexpr std::size_t kReadChunk = 1 << 20;

constexpr std::string_view kIntfSequence = "0";

std::int64_t ns_since_epoch(Clock::time_point t) noexcept {
  return std::chrono::duration_cast<nanoseconds>(t.time_since_epoch()).count();
}
std::int64_t now_ns() noexcept { return ns_since_epoch(Clock::now()); }

// A helper's line for a diagnostic: cut, with unprintable bytes shown as \xNN.
std::string excerpt(std::string_view line) {
  static constexpr std::size_t kMaxShown = 200;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string shown = "\"";
  for (const char c : line.substr(0, kMaxShown)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f || c == '"' || c == '\\') {
      shown.append("\\x").push_back(kHex[byte >> 4]);
      shown.push_back(kHex[byte & 0x0f]);
    } else {
      shown.push_back(c);
    }
  }
  shown.push_back('"');
  if (line.size() > kMaxShown) shown.append("...");
  return shown;
}

std::string seconds_text(milliseconds duration) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(duration.count()) / 1000.0);
  return text;
}

class Driver {
 public:
  Driver(HelperProcess& helper, const RequestPlan& plan, const DriverSettings& settings)
      : helper_(helper),
        plan_(plan),
        settings_(settings),
        reader_(protocol::max_response_line - 1),
        total_(plan.size()),
        times_(plan.size()),
        answered_flags_(plan.size(), 0),
        refill_slice_(std::max<std::size_t>(1, settings.window / 16)) {}

  RunMeasurements run() {
    if (settings_.protocol == WireProtocol::Authd) handshake();
    start_ns_ = now_ns();
    last_progress_ns_ = start_ns_;
    last_answer_ns_ = start_ns_;
    // Lines that came in the same read as the INTF answer.
    handle_complete_lines(start_ns_);
    if (settings_.sample_interval) take_sample(start_ns_);
    while (!all_answered()) {
      bool progressed = write_requests();
      progressed = read_answers() || progressed;
      if (settings_.sample_interval) sample_when_due();
      if (!progressed && !all_answered()) wait_for_helper();
    }
    measurements_.elapsed = nanoseconds(last_answer_ns_ - start_ns_);
    measurements_.latencies_ns.assign(times_.begin(), times_.begin() + static_cast<std::ptrdiff_t>(total_));
    finish();
    return std::move(measurements_);
  }

 private:
  bool all_answered() const noexcept { return measurements_.answered == total_; }

  // --- sending ---------------------------------------------------------

  void apply_duration_cap(std::int64_t now) noexcept {
    if (!settings_.duration_cap || measurements_.capped || sent_ == total_ ||
        now - start_ns_ < settings_.duration_cap->count()) {
      return;
    }
    measurements_.capped = true;
    // A line already begun must be completed, or the helper would read it
    // joined to nothing and the run could not end cleanly.
    const bool partial = sent_ < total_ && write_pos_ > plan_.line_begin(sent_);
    total_ = sent_ + (partial ? 1 : 0);
  }

  // Writes as much of the window as the pipe takes, in one write().
  bool write_requests() {
    if (input_blocked_) return false;
    const std::int64_t now = now_ns();
    apply_duration_cap(now);
    std::size_t limit = std::min(total_, measurements_.answered + settings_.window);
    if (settings_.rate) limit = std::min(limit, due_by(now));
    if (limit == 0) return false;
    // Refilling a full window one request per answer would cost a write()
    // per request, as much as a fast serial helper's own work per request;
    // slices keep the window nearly full while the driver stays out of the
    // helper's way. Paced runs and the tail of the plan are sent as due.
    const bool partial_line = sent_ < total_ && write_pos_ > plan_.line_begin(sent_);
    if (!settings_.rate && !partial_line && sent_ > measurements_.answered && limit < total_ &&
        limit - sent_ < refill_slice_) {
      return false;
    }
    const std::size_t end = plan_.line_end(limit - 1);
    if (write_pos_ >= end) return false;

    const ssize_t written = ::write(helper_.input_fd(), plan_.bytes().data() + write_pos_, end - write_pos_);
    if (written < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        input_blocked_ = true;
        return false;
      }
      if (errno == EINTR) return false;
      if (errno == EPIPE) helper_gone("the helper stopped reading its standard input");
      throw RunFailure(std::string("writing to the helper: ") + std::strerror(errno));
    }
    // Silence while nothing was in flight (paced sending) is not the
    // helper's: the answer timeout counts from here.
    if (sent_ == measurements_.answered) last_progress_ns_ = now;
    write_pos_ += static_cast<std::size_t>(written);
    if (write_pos_ < end) input_blocked_ = true;
    // The time before the write: a request's latency includes its way
    // through the pipe.
    while (sent_ < limit && plan_.line_end(sent_) <= write_pos_) times_[sent_++] = now;
    return true;
  }

  // With --rate: how many requests are due by `now`, request i at i / rate
  // seconds after the start.
  std::size_t due_by(std::int64_t now) const noexcept {
    const double due = std::floor(static_cast<double>(now - start_ns_) * *settings_.rate / 1e9) + 1;
    return due >= static_cast<double>(total_) ? total_ : static_cast<std::size_t>(due);
  }

  // When the next request falls due, or nullopt if sending does not wait
  // for the clock (no rate, all sent, window full, pipe full).
  std::optional<std::int64_t> next_due_ns() const noexcept {
    if (!settings_.rate || sent_ >= total_ || input_blocked_ || sent_ >= measurements_.answered + settings_.window) {
      return std::nullopt;
    }
    return start_ns_ + static_cast<std::int64_t>(std::ceil(static_cast<double>(sent_) * 1e9 / *settings_.rate));
  }

  // --- receiving -------------------------------------------------------

  bool read_answers() {
    const auto space = reader_.prepare(kReadChunk);
    const ssize_t got = ::read(helper_.output_fd(), space.data(), space.size());
    if (got < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return false;
      throw RunFailure(std::string("reading from the helper: ") + std::strerror(errno));
    }
    if (got == 0) {
      helper_gone("the helper closed its standard output after " + std::to_string(measurements_.answered) + " of " +
                  std::to_string(total_) + " answers");
    }
    reader_.commit(static_cast<std::size_t>(got));
    const std::int64_t now = now_ns();
    last_progress_ns_ = now;
    handle_complete_lines(now);
    return true;
  }

  void handle_complete_lines(std::int64_t now) {
    while (const auto line = reader_.next()) {
      if (line->overlong) {
        throw RunFailure("answer line longer than " + std::to_string(protocol::max_response_line) +
                         " bytes: " + excerpt(line->text));
      }
      if (settings_.protocol == WireProtocol::Authd) {
        on_authd_line(line->text, now);
      } else {
        on_squid_line(line->text, now);
      }
    }
  }

  void on_authd_line(std::string_view line, std::int64_t now) {
    auto parsed = protocol::parse_response(line);
    if (const auto* error = std::get_if<protocol::ResponseError>(&parsed)) {
      throw RunFailure("garbage from the helper (" + error->message + "): " + excerpt(line));
    }
    if (std::holds_alternative<protocol::InfoLine>(parsed)) {
      ++measurements_.info_lines;
      return;
    }
    const auto& response = std::get<protocol::Response>(parsed);
    const std::size_t index = request_index(response.seq, line);
    if (response.intf_form) {
      throw RunFailure("INTF answer to a VRFY: " + excerpt(line) + " for " + plan_.describe_request(index));
    }
    const RequestKind kind = plan_.kind(index);
    const protocol::Status expected = expects_ok(kind) ? protocol::Status::Ok : protocol::Status::Error;
    if (response.status != expected) {
      throw RunFailure("wrong answer " + excerpt(line) + " (expected " +
                       std::string(protocol::status_word(expected)) + ") to " + plan_.describe_request(index));
    }
    if (expected == protocol::Status::Error) check_error_text(response.text, line, index);
    record_answer(index, now);
  }

  // The request a sequence number names; only numbers we sent, once each.
  std::size_t request_index(std::string_view seq, std::string_view line) const {
    if (seq == kIntfSequence) throw RunFailure("a second answer to INTF: " + excerpt(line));
    std::uint64_t number = 0;
    const auto [end, error] = std::from_chars(seq.data(), seq.data() + seq.size(), number);
    // We send no leading zeros, so an echo with one is not our number.
    const bool ours = error == std::errc{} && end == seq.data() + seq.size() && seq.front() != '0' && number >= 1 &&
                      number - 1 < sent_;
    if (!ours) throw RunFailure("answer with a sequence number that was not sent: " + excerpt(line));
    const std::size_t index = static_cast<std::size_t>(number - 1);
    if (answered_flags_[index] != 0) {
      throw RunFailure("second answer " + excerpt(line) + " to " + plan_.describe_request(index));
    }
    return index;
  }

  // Squid answers carry no number: they answer the oldest request in flight.
  void on_squid_line(std::string_view line, std::int64_t now) {
    const std::size_t space = std::min(line.find(' '), line.size());
    const std::string_view word = line.substr(0, space);
    const std::string_view rest = space < line.size() ? line.substr(space + 1) : std::string_view{};
    if (word != "OK" && word != "ERR" && word != "BH") {
      throw RunFailure("garbage from the helper (expected OK, ERR or BH): " + excerpt(line));
    }
    const std::size_t index = measurements_.answered;
    if (index >= sent_) throw RunFailure("answer with no request outstanding: " + excerpt(line));
    if (word == "BH") throw RunFailure("BH (helper failure) answer " + excerpt(line) + " to " + plan_.describe_request(index));
    const bool expect_ok = expects_ok(plan_.kind(index));
    if ((word == "OK") != expect_ok) {
      throw RunFailure("wrong answer " + excerpt(line) + " (expected " + (expect_ok ? "OK" : "ERR") + ") to " +
                       plan_.describe_request(index));
    }
    if (!expect_ok) check_error_text(rest, line, index);
    record_answer(index, now);
  }

  void check_error_text(std::string_view text, std::string_view line, std::size_t index) const {
    if (settings_.expected_error_text && text != *settings_.expected_error_text) {
      throw RunFailure("error text differs from --expect-error-text: " + excerpt(line) + " to " +
                       plan_.describe_request(index));
    }
  }

  void record_answer(std::size_t index, std::int64_t now) {
    answered_flags_[index] = 1;
    times_[index] = now - times_[index];
    ++measurements_.answered;
    ++measurements_.answered_by_kind[static_cast<std::size_t>(plan_.kind(index))];
    last_answer_ns_ = now;
    if (!measurements_.first_answer) {
      measurements_.first_answer = nanoseconds(now - ns_since_epoch(helper_.started_at()));
    }
  }

  // --- the helper's memory and descriptors --------------------------------

  void sample_when_due() {
    const std::int64_t now = now_ns();
    if (now >= next_sample_ns_) take_sample(now);
  }

  void take_sample(std::int64_t now) {
    const auto rss = helper_.resident_kib();
    const auto fds = helper_.open_fds();
    if (rss && fds) {
      measurements_.samples.push_back(
          {static_cast<double>(now - start_ns_) / 1e9, measurements_.answered, *rss, *fds});
    }
    next_sample_ns_ = now + nanoseconds(*settings_.sample_interval).count();
  }

  // --- waiting -----------------------------------------------------------

  // Blocks until the helper can take more input or has written something,
  // the duration cap falls due, or the helper has been silent too long.
  void wait_for_helper() {
    const std::int64_t now = now_ns();
    // Nothing in flight and the pipe open: we wait for our own pacing.
    if (sent_ == measurements_.answered && !input_blocked_) last_progress_ns_ = now;
    const std::int64_t silent = now - last_progress_ns_;
    const std::int64_t answer_limit = nanoseconds(settings_.answer_timeout).count();
    if (silent >= answer_limit) {
      throw RunFailure("no answer for " + seconds_text(settings_.answer_timeout) + " with " +
                       std::to_string(sent_ - measurements_.answered) + " requests in flight (" +
                       std::to_string(measurements_.answered) + " answered)");
    }
    std::int64_t wait = answer_limit - silent;
    if (settings_.duration_cap && !measurements_.capped) {
      wait = std::min<std::int64_t>(wait, std::max<std::int64_t>(0, settings_.duration_cap->count() - (now - start_ns_)));
    }
    if (const auto due = next_due_ns()) wait = std::min<std::int64_t>(wait, std::max<std::int64_t>(0, *due - now));
    if (settings_.sample_interval) wait = std::min<std::int64_t>(wait, std::max<std::int64_t>(0, next_sample_ns_ - now));
    pollfd fds[2] = {{helper_.output_fd(), POLLIN, 0}, {input_blocked_ ? helper_.input_fd() : -1, POLLOUT, 0}};
    // Nanoseconds, not poll()'s milliseconds: paced requests are a tenth of
    // a millisecond apart and must not leave in bursts.
    const timespec timeout{static_cast<time_t>(wait / 1'000'000'000), static_cast<long>(wait % 1'000'000'000)};
    if (::ppoll(fds, 2, &timeout, nullptr) < 0 && errno != EINTR) {
      throw RunFailure(std::string("ppoll: ") + std::strerror(errno));
    }
    // An error or hang-up on the input is reported by the next write.
    if (fds[1].revents != 0) input_blocked_ = false;
  }

  // --- the handshake and the end ------------------------------------------

  void handshake() {
    std::string line = std::string(kIntfSequence) + " INTF " + std::to_string(protocol::protocol_version) + "\n";
    std::size_t written = 0;
    const std::int64_t deadline = now_ns() + nanoseconds(settings_.answer_timeout).count();
    for (;;) {
      if (written < line.size()) {
        const ssize_t n = ::write(helper_.input_fd(), line.data() + written, line.size() - written);
        if (n > 0) written += static_cast<std::size_t>(n);
        if (n < 0 && errno == EPIPE) helper_gone("the helper stopped reading before the INTF handshake");
      }
      if (auto answer = next_line_before(deadline, written < line.size())) {
        if (check_intf_answer(*answer)) return;
        continue;
      }
    }
  }

  // The next line from the helper, waiting at most until `deadline`;
  // nullopt if a poll round ended without one.
  std::optional<std::string> next_line_before(std::int64_t deadline, bool want_output) {
    if (const auto line = reader_.next()) {
      if (line->overlong) throw RunFailure("overlong line from the helper: " + excerpt(line->text));
      return std::string(line->text);
    }
    const std::int64_t left = deadline - now_ns();
    if (left <= 0) {
      throw RunFailure("no answer to INTF within " + seconds_text(settings_.answer_timeout) +
                       " (is the command an authd-protocol helper? --protocol squid for Squid helpers)");
    }
    pollfd fds[2] = {{helper_.output_fd(), POLLIN, 0}, {want_output ? helper_.input_fd() : -1, POLLOUT, 0}};
    if (::poll(fds, 2, static_cast<int>(left / 1'000'000) + 1) < 0 && errno != EINTR) {
      throw RunFailure(std::string("poll: ") + std::strerror(errno));
    }
    if (fds[0].revents == 0) return std::nullopt;
    const auto space = reader_.prepare(kReadChunk);
    const ssize_t got = ::read(helper_.output_fd(), space.data(), space.size());
    if (got == 0) helper_gone("the helper closed its standard output before answering INTF");
    if (got > 0) reader_.commit(static_cast<std::size_t>(got));
    return std::nullopt;
  }

  // True once the INTF answer has come; info lines before it are allowed.
  bool check_intf_answer(std::string_view line) {
    auto parsed = protocol::parse_response(line);
    if (std::holds_alternative<protocol::InfoLine>(parsed)) {
      ++measurements_.info_lines;
      return false;
    }
    const auto* response = std::get_if<protocol::Response>(&parsed);
    const bool accepted = response != nullptr && response->seq == kIntfSequence &&
                          (response->status == protocol::Status::Ok || response->intf_form) &&
                          response->version.has_value() &&
                          *response->version >= 1 && *response->version <= protocol::protocol_version;
    if (!accepted) {
      throw RunFailure("expected \"0 OK v\" or \"0 INTF v\" (1 <= v <= " +
                       std::to_string(protocol::protocol_version) + ") in answer to INTF, got " + excerpt(line));
    }
    measurements_.interface_version = response->version;
    measurements_.handshake = nanoseconds(now_ns() - ns_since_epoch(helper_.started_at()));
    return true;
  }

  // End of input, then the helper must close its output and exit cleanly
  // without writing anything but info lines.
  void finish() {
    // Read while the helper still runs: its exit status comes too late.
    measurements_.helper_peak_rss_kib = helper_.peak_rss_kib();
    if (settings_.sample_interval) take_sample(now_ns());
    helper_.close_input();
    const std::int64_t deadline = now_ns() + nanoseconds(settings_.exit_timeout).count();
    for (;;) {
      const std::int64_t left = deadline - now_ns();
      if (left <= 0) break;
      pollfd fd = {helper_.output_fd(), POLLIN, 0};
      if (::poll(&fd, 1, static_cast<int>(left / 1'000'000) + 1) <= 0) continue;
      const auto space = reader_.prepare(kReadChunk);
      const ssize_t got = ::read(helper_.output_fd(), space.data(), space.size());
      if (got < 0) continue;
      if (got > 0) reader_.commit(static_cast<std::size_t>(got));
      while (const auto line = got > 0 ? reader_.next() : reader_.finish()) {
        if (line->text.starts_with("* ") || line->text == "*") {
          ++measurements_.info_lines;
          continue;
        }
        throw RunFailure("unexpected line after every request was answered: " + excerpt(line->text));
      }
      if (got == 0) break;
    }
    const std::int64_t left = std::max<std::int64_t>(deadline - now_ns(), 0);
    const auto exit = helper_.wait_for_exit(std::chrono::duration_cast<milliseconds>(nanoseconds(left)));
    if (!exit) {
      throw RunFailure("the helper did not exit within " + seconds_text(settings_.exit_timeout) +
                       " of the end of its input");
    }
    if (!exit->exited_cleanly()) throw RunFailure("the helper ended with " + exit->describe() + " at end of input");
    measurements_.helper_exit = *exit;
  }

  [[noreturn]] void helper_gone(const std::string& what) {
    const auto exit = helper_.wait_for_exit(milliseconds(1000));
    throw RunFailure(what + (exit ? " (" + exit->describe() + ")" : std::string()) +
                     "; its standard error went to --helper-stderr");
  }

  HelperProcess& helper_;
  const RequestPlan& plan_;
  const DriverSettings& settings_;
  protocol::LineReader reader_;
  RunMeasurements measurements_;

  std::size_t total_;          // requests this run sends (fewer once capped)
  std::size_t sent_ = 0;       // requests written completely
  std::size_t write_pos_ = 0;  // bytes of the plan written
  bool input_blocked_ = false; // the last write filled the pipe: wait for POLLOUT
  // Per request: when it was written, replaced by its latency once answered.
  std::vector<std::int64_t> times_;
  std::vector<std::uint8_t> answered_flags_;
  std::int64_t start_ns_ = 0;
  std::int64_t last_progress_ns_ = 0;
  std::int64_t last_answer_ns_ = 0;
  std::int64_t next_sample_ns_ = 0;
  std::size_t refill_slice_;  // free places in the window before more requests are written
};

}  // namespace

RunMeasurements drive(HelperProcess& helper, const RequestPlan& plan, const DriverSettings& settings) {
  return Driver(helper, plan, settings).run();
}

}  // namespace authd::bench
