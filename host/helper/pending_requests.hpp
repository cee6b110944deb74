// The requests a helper client holds: those waiting to be written and those
// in flight (written, unanswered), numbered in the order they are sent.
// It decides nothing about the helper; it answers what it is told to, and
// every answer goes through the one Complete the caller passes, so that
// nothing is answered twice.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "host/helper/helper_client.hpp"

namespace authd::host {

struct PendingRequest {
  HelperRequest request;
  HelperClient::Completion done;
  std::chrono::steady_clock::time_point queued_at;
  bool resent = false;
  bool handshake = false;  // the INTF sent after each start
};

class PendingRequests {
 public:
  using Clock = std::chrono::steady_clock;
  using Complete = std::function<void(PendingRequest&, HelperAnswer)>;

  // ---- waiting ----
  void wait(PendingRequest request) { waiting_.push_back(std::move(request)); }
  bool any_waiting() const noexcept { return !waiting_.empty(); }
  PendingRequest take_waiting();
  // When the oldest waiting request times out; max() when none waits.
  Clock::time_point waiting_deadline(Clock::duration timeout) const noexcept;
  // Answer every waiting request with `answer`.
  void answer_waiting(const HelperAnswer& answer, const Complete& complete);
  // Answer those that could not even be sent within `timeout`.
  void expire_waiting(Clock::time_point now, Clock::duration timeout, const Complete& complete);

  // ---- in flight ----
  // The number the next request sent gets.
  std::uint64_t next_number() const noexcept { return next_seq_; }
  void send(PendingRequest request, Clock::time_point deadline);
  // The request in flight under `seq`, or nullptr.
  const PendingRequest* in_flight(std::uint64_t seq) const;
  PendingRequest take_in_flight(std::uint64_t seq);
  // The first request in flight past its deadline.
  std::optional<std::uint64_t> overdue(Clock::time_point now) const;
  // The earliest deadline in flight; max() when none.
  Clock::time_point flight_deadline() const noexcept;
  // The helper broke: each request it held is queued to be sent again,
  // before the ones that never were, or answered TempFail if it already was
  // sent again. The handshake is dropped: each start sends its own.
  void requeue_after_crash(Clock::time_point now, const Complete& complete);
  void answer_in_flight(const HelperAnswer& answer, const Complete& complete);
  // `text` with every secret of every request in flight masked.
  void hide_secrets(std::string& text) const;

 private:
  struct InFlight {
    PendingRequest request;
    Clock::time_point deadline;
  };
  std::deque<PendingRequest> waiting_;
  std::map<std::uint64_t, InFlight> in_flight_;
  std::uint64_t next_seq_ = 1;
};

}  // namespace authd::host
