#include "host/lockout.hpp"

#include <utility>

namespace authd::host {

Reservation::Reservation(Reservation&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), name_(std::move(other.name_)), policy_(other.policy_),
      admitted_(other.admitted_) {}

Reservation& Reservation::operator=(Reservation&& other) noexcept {
  if (this != &other) {
    if (owner_ != nullptr) {
      try {
        owner_->release(name_, policy_, LoginOutcome::TempFail);
      } catch (...) {
      }
    }
    owner_ = std::exchange(other.owner_, nullptr);
    name_ = std::move(other.name_);
    policy_ = other.policy_;
    admitted_ = other.admitted_;
  }
  return *this;
}

Reservation::~Reservation() {
  if (owner_ == nullptr) return;
  try {
    owner_->release(name_, policy_, LoginOutcome::TempFail);
  } catch (...) {
    // A temporary failure writes nothing: only the in-memory count changes.
  }
}

void Reservation::finish(LoginOutcome outcome) {
  if (owner_ == nullptr) return;
  Lockout* owner = std::exchange(owner_, nullptr);
  owner->release(name_, policy_, outcome);
}

std::int64_t Lockout::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
}

Reservation Lockout::reserve(const std::string& canonical_name, const LockoutPolicy& policy) {
  Reservation r;
  r.name_ = canonical_name;
  r.policy_ = policy;
  if (policy.limit <= 0) {
    r.admitted_ = true;
    return r;
  }
  std::lock_guard lock(mutex_);
  const auto now = now_ms();
  const auto row = store_.lockout(canonical_name);
  std::int64_t failures = 0;
  if (row) {
    if (row->locked_until_ms > now) return r;
    if (row->window_start_ms + policy.window.count() > now) failures = row->failures;
  }
  auto& in_flight = in_flight_[canonical_name];
  if (failures + in_flight >= policy.limit) {
    if (in_flight == 0) in_flight_.erase(canonical_name);
    return r;
  }
  ++in_flight;
  r.owner_ = this;
  r.admitted_ = true;
  return r;
}

void Lockout::release(const std::string& name, const LockoutPolicy& policy, LoginOutcome outcome) {
  std::lock_guard lock(mutex_);
  if (auto it = in_flight_.find(name); it != in_flight_.end() && --it->second <= 0) in_flight_.erase(it);
  if (outcome == LoginOutcome::TempFail || policy.limit <= 0) return;
  const auto now = now_ms();
  store_.write([&](StoreWriter& w) {
    if (outcome == LoginOutcome::Success) {
      w.erase_lockout(name);
      return;
    }
    auto row = w.lockout(name);
    const bool fresh = !row;
    if (!row) row = LockoutRow{name, 0, now, 0, now};
    if (row->window_start_ms + policy.window.count() <= now) {
      row->failures = 0;
      row->window_start_ms = now;
    }
    row->updated_ms = now;
    if (++row->failures >= policy.limit) {
      row->locked_until_ms = now + policy.window.count();
      row->failures = 0;
      row->window_start_ms = now;
    }
    w.put_lockout(*row);
    if (fresh) w.trim_lockout(policy.table_size, now, policy.window.count());
  });
}

bool Lockout::unlock(const std::string& canonical_name) {
  std::lock_guard lock(mutex_);
  bool had = false;
  store_.write([&](StoreWriter& w) {
    had = w.lockout(canonical_name).has_value();
    w.erase_lockout(canonical_name);
  });
  return had;
}

bool Lockout::locked(const std::string& canonical_name) {
  const auto row = store_.lockout(canonical_name);
  return row && row->locked_until_ms > now_ms();
}

}  // namespace authd::host
