#include "host/helper/pending_requests.hpp"

#include <algorithm>

namespace authd::host {

PendingRequest PendingRequests::take_waiting() {
  PendingRequest request = std::move(waiting_.front());
  waiting_.pop_front();
  return request;
}

PendingRequests::Clock::time_point PendingRequests::waiting_deadline(Clock::duration timeout) const noexcept {
  return waiting_.empty() ? Clock::time_point::max() : waiting_.front().queued_at + timeout;
}

void PendingRequests::answer_waiting(const HelperAnswer& answer, const Complete& complete) {
  for (auto& request : waiting_) complete(request, answer);
  waiting_.clear();
}

void PendingRequests::expire_waiting(Clock::time_point now, Clock::duration timeout, const Complete& complete) {
  while (!waiting_.empty() && now - waiting_.front().queued_at >= timeout) {
    complete(waiting_.front(), {AnswerKind::TempFail, "the helper is not running"});
    waiting_.pop_front();
  }
}

void PendingRequests::send(PendingRequest request, Clock::time_point deadline) {
  in_flight_.emplace(next_seq_++, InFlight{std::move(request), deadline});
}

const PendingRequest* PendingRequests::in_flight(std::uint64_t seq) const {
  const auto it = in_flight_.find(seq);
  return it == in_flight_.end() ? nullptr : &it->second.request;
}

PendingRequest PendingRequests::take_in_flight(std::uint64_t seq) {
  auto node = in_flight_.extract(seq);
  return std::move(node.mapped().request);
}

std::optional<std::uint64_t> PendingRequests::overdue(Clock::time_point now) const {
  for (const auto& [seq, flight] : in_flight_)
    if (flight.deadline <= now) return seq;
  return std::nullopt;
}

PendingRequests::Clock::time_point PendingRequests::flight_deadline() const noexcept {
  auto earliest = Clock::time_point::max();
  for (const auto& [seq, flight] : in_flight_) earliest = std::min(earliest, flight.deadline);
  return earliest;
}

void PendingRequests::requeue_after_crash(Clock::time_point now, const Complete& complete) {
  std::deque<PendingRequest> again;
  for (auto& [seq, flight] : in_flight_) {
    if (flight.request.handshake) continue;
    if (flight.request.resent) {
      complete(flight.request, {AnswerKind::TempFail, "the helper failed twice on this request"});
    } else {
      flight.request.resent = true;
      flight.request.queued_at = now;
      again.push_back(std::move(flight.request));
    }
  }
  in_flight_.clear();
  for (auto it = again.rbegin(); it != again.rend(); ++it) waiting_.push_front(std::move(*it));
}

void PendingRequests::answer_in_flight(const HelperAnswer& answer, const Complete& complete) {
  for (auto& [seq, flight] : in_flight_) complete(flight.request, answer);
  in_flight_.clear();
}

void PendingRequests::hide_secrets(std::string& text) const {
  for (const auto& [seq, flight] : in_flight_) flight.request.request.hide_secrets(text);
}

}  // namespace authd::host
