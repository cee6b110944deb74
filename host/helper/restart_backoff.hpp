// When a broken helper may be started again: a back-off that doubles with
// each crash in a row, starts afresh after a helper that ran stably, and a
// crash-loop verdict under which requests fail at once instead of waiting
// for a helper that keeps dying.
#pragma once

#include <algorithm>
#include <chrono>
#include <deque>
#include <utility>

namespace authd::host {

class RestartBackoff {
 public:
  using Clock = std::chrono::steady_clock;

  // A helper that crashes this many times within crash_window is in a crash
  // loop: requests fail at once until its back-off ends.
  static constexpr int crash_loop_count = 3;
  static constexpr auto crash_window = std::chrono::seconds(60);
  // A helper that ran this long before failing starts the back-off afresh.
  static constexpr auto stable_run = std::chrono::seconds(30);

  RestartBackoff(std::chrono::milliseconds first, std::chrono::milliseconds most) noexcept
      : first_(first), most_(most) {}

  // A helper started; true when it is a restart (not the first start).
  bool started(Clock::time_point now) noexcept {
    started_at_ = now;
    return std::exchange(has_started_, true);
  }

  // The helper failed (or could not start) at `now`.
  void crashed(Clock::time_point now) {
    if (has_started_ && now - started_at_ >= stable_run) backoff_ = first_;
    else backoff_ = backoff_.count() == 0 ? first_ : std::min(backoff_ * 2, most_);
    restart_at_ = now + backoff_;
    crashes_.push_back(now);
    while (!crashes_.empty() && now - crashes_.front() > crash_window) crashes_.pop_front();
  }

  Clock::time_point restart_at() const noexcept { return restart_at_; }

  bool crash_loop(Clock::time_point now) const noexcept {
    return static_cast<int>(crashes_.size()) >= crash_loop_count && now < restart_at_;
  }

 private:
  std::chrono::milliseconds first_;
  std::chrono::milliseconds most_;
  std::chrono::milliseconds backoff_{0};
  bool has_started_ = false;
  Clock::time_point started_at_{};
  Clock::time_point restart_at_{};
  std::deque<Clock::time_point> crashes_;
};

}  // namespace authd::host
