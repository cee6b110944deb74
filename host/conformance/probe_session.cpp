#include "host/conformance/probe_session.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "protocol/limits.hpp"

namespace authd::host::conformance {

namespace {

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 60 * 60 * 1000));
}

}  // namespace

ProbeSession::ProbeSession(std::vector<std::string> command, std::chrono::milliseconds timeout,
                           std::string stderr_path)
    : process_(std::move(command), std::move(stderr_path)), timeout_(timeout),
      reader_(protocol::max_response_line - 1) {}  // the limit counts the LF

std::optional<std::string> ProbeSession::start() { return process_.start(); }

void ProbeSession::handshake(const std::string& seq, unsigned version) {
  RequestLine line;
  line.seq = seq;
  line.shown = seq + " INTF " + std::to_string(version);
  line.wire.assign(line.shown + "\n");
  send(std::move(line));
  wait_for({seq});
}

Clock::time_point ProbeSession::send(RequestLine line) {
  std::vector<RequestLine> lines;
  lines.push_back(std::move(line));
  return send(std::move(lines));
}

Clock::time_point ProbeSession::send(std::vector<RequestLine> lines) {
  std::size_t total = pending_write_.size() - written_;
  for (const auto& line : lines) total += line.wire.size();
  Secret batch;
  batch.reserve(total);
  batch.append(pending_write_.view().substr(written_));
  for (const auto& line : lines) batch.append(line.wire.view());
  pending_write_ = std::move(batch);
  written_ = 0;
  const auto first_sent = sent_.size();
  for (auto& line : lines) {
    if (!line.seq.empty() && !sent_index_.contains(line.seq)) {
      sent_index_.emplace(line.seq, sent_.size());
      sent_.push_back({line.seq, {}, false});
    }
    sent_shown_.push_back(std::move(line.shown));
  }
  const auto deadline = Clock::now() + timeout_;
  while (written_ < pending_write_.size() && process_.input() >= 0 && Clock::now() < deadline)
    pump(deadline, true);
  const auto done = Clock::now();
  for (auto i = first_sent; i < sent_.size(); ++i) sent_[i].at = done;
  pending_write_.clear();
  written_ = 0;
  return done;
}

bool ProbeSession::wait_for(const std::vector<std::string>& seqs, Clock::time_point deadline) {
  const auto all_answered = [&] {
    return std::all_of(seqs.begin(), seqs.end(), [&](const std::string& seq) { return answer(seq) != nullptr; });
  };
  while (!all_answered()) {
    if (output_closed_ || Clock::now() >= deadline) return false;
    pump(deadline, false);
  }
  return true;
}

bool ProbeSession::wait_for_any(const std::vector<std::string>& seqs, Clock::time_point deadline) {
  const auto any_answered = [&] {
    return std::any_of(seqs.begin(), seqs.end(), [&](const std::string& seq) { return answer(seq) != nullptr; });
  };
  while (!any_answered()) {
    if (output_closed_ || Clock::now() >= deadline) return false;
    pump(deadline, false);
  }
  return true;
}

SessionEnd ProbeSession::end(std::chrono::milliseconds grace) {
  if (end_) return *end_;
  const bool closed_early = output_closed_;
  // Closing the input is the host's shutdown signal; the helper answers
  // what it holds and exits.
  process_.close_input();
  const auto closed = Clock::now();
  const auto deadline = closed + grace;
  while (!output_closed_ && Clock::now() < deadline) pump(deadline, false);
  const auto ending = process_.end(std::max(Clock::duration::zero(), deadline - Clock::now()));
  SessionEnd result;
  result.closed_early = closed_early;
  result.exited = ending.ran && !ending.killed;
  result.status = ending.status;
  result.took = Clock::now() - closed;
  end_ = result;
  return result;
}

void ProbeSession::pump(Clock::time_point deadline, bool want_write) {
  pollfd fds[2] = {{process_.output(), POLLIN, 0}, {process_.input(), POLLOUT, 0}};
  const bool reading = !output_closed_ && process_.output() >= 0;
  const bool writing = want_write && process_.input() >= 0 && written_ < pending_write_.size();
  if (!reading && !writing) {
    // Nothing to wait on: let time pass up to the deadline without spinning.
    ::poll(nullptr, 0, std::min(remaining_ms(deadline), 10));
    return;
  }
  if (!reading) fds[0].fd = -1;
  if (!writing) fds[1].fd = -1;
  if (::poll(fds, 2, remaining_ms(deadline)) < 0) return;
  if (writing && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
    const auto rest = pending_write_.view().substr(written_);
    const ssize_t n = ::write(process_.input(), rest.data(), rest.size());
    if (n > 0) {
      written_ += static_cast<std::size_t>(n);
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      // EPIPE: the helper no longer reads. The rest is dropped.
      process_.close_input();
    }
  }
  if (!reading || (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) return;
  const auto space = reader_.prepare();
  const ssize_t n = ::read(process_.output(), space.data(), space.size());
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  const auto now = Clock::now();
  if (n <= 0) {
    output_closed_ = true;
    while (const auto line = reader_.finish()) take_line(line->text, line->overlong, now);
    return;
  }
  reader_.commit(static_cast<std::size_t>(n));
  while (const auto line = reader_.next()) take_line(line->text, line->overlong, now);
}

void ProbeSession::take_line(std::string_view text, bool overlong, Clock::time_point at) {
  if (answers_.size() >= max_lines) {
    if (!too_many_lines_) problems_.push_back("more than " + std::to_string(max_lines) + " lines; the rest ignored");
    too_many_lines_ = true;
    return;
  }
  AnswerLine line;
  line.text.assign(text);
  line.overlong = overlong;
  line.at = at;
  if (overlong) {
    problems_.push_back("an answer line longer than " + std::to_string(protocol::max_response_line) +
                        " bytes (its LF included)");
    answers_.push_back(std::move(line));
    return;
  }
  auto parsed = protocol::parse_response(text);
  if (std::holds_alternative<protocol::InfoLine>(parsed)) {
    line.info = true;
  } else if (auto* response = std::get_if<protocol::Response>(&parsed)) {
    const auto sent = sent_index_.find(response->seq);
    if (sent == sent_index_.end()) {
      problems_.push_back("an answer to number " + response->seq + ", which was never sent");
    } else if (sent_[sent->second].answered) {
      problems_.push_back("number " + response->seq + " answered twice");
    } else {
      sent_[sent->second].answered = true;
      answer_index_.emplace(response->seq, answers_.size());
      line.response = std::move(*response);
    }
  } else {
    problems_.push_back("a line that is not a valid response: " + std::get<protocol::ResponseError>(parsed).message);
  }
  answers_.push_back(std::move(line));
}

const AnswerLine* ProbeSession::answer(std::string_view seq) const {
  const auto found = answer_index_.find(std::string(seq));
  return found == answer_index_.end() ? nullptr : &answers_[found->second];
}

std::optional<Clock::time_point> ProbeSession::sent_at(std::string_view seq) const {
  const auto found = sent_index_.find(std::string(seq));
  if (found == sent_index_.end()) return std::nullopt;
  return sent_[found->second].at;
}

}  // namespace authd::host::conformance
