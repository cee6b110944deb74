#include "host/login/lockout.hpp"

#include <utility>

namespace authd::host {

Reservation::Reservation(Reservation&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), id_(other.id_), name_(std::move(other.name_)),
      policy_(other.policy_), admitted_(other.admitted_) {}

Reservation& Reservation::operator=(Reservation&& other) noexcept {
  if (this != &other) {
    if (owner_ != nullptr) {
      try {
        owner_->release(id_, name_, policy_, LoginOutcome::TempFail);
      } catch (...) {
      }
    }
    owner_ = std::exchange(other.owner_, nullptr);
    id_ = other.id_;
    name_ = std::move(other.name_);
    policy_ = other.policy_;
    admitted_ = other.admitted_;
  }
  return *this;
}

Reservation::~Reservation() {
  if (owner_ == nullptr) return;
  try {
    owner_->release(id_, name_, policy_, LoginOutcome::TempFail);
  } catch (...) {
    // The row expires by itself (reservation_ttl).
  }
}

void Reservation::finish(LoginOutcome outcome) {
  if (owner_ == nullptr) return;
  Lockout* owner = std::exchange(owner_, nullptr);
  owner->release(id_, name_, policy_, outcome);
}

std::int64_t Lockout::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
}

namespace {

// A row stamped while the clock ran ahead, brought back to now; true if it changed.
bool clamp_to_clock(LockoutRow& row, std::int64_t now, std::int64_t window_ms) {
  bool changed = false;
  if (row.locked_until_ms > now + window_ms) {
    row.locked_until_ms = now + window_ms;
    changed = true;
  }
  if (row.window_start_ms > now) {
    row.window_start_ms = now;
    changed = true;
  }
  return changed;
}

}  // namespace

Reservation Lockout::reserve(const std::string& canonical_name, const LockoutPolicy& policy) {
  Reservation r;
  r.name_ = canonical_name;
  r.policy_ = policy;
  if (policy.limit <= 0) {
    r.admitted_ = true;
    return r;
  }
  // One IMMEDIATE transaction: no other process counts or reserves this
  // name between the count and the reservation.
  store_.write([&](StoreWriter& w) {
    const auto now = now_ms();
    auto row = w.lockout(canonical_name);
    std::int64_t failures = 0;
    if (row) {
      if (clamp_to_clock(*row, now, policy.window.count())) w.put_lockout(*row);
      if (row->locked_until_ms > now) return;
      if (row->window_start_ms + policy.window.count() > now) failures = row->failures;
    }
    if (failures + w.live_reservations(canonical_name, now, policy.reservation_ttl.count()) >= policy.limit) return;
    r.id_ = w.add_reservation(canonical_name, now + policy.reservation_ttl.count());
    r.owner_ = this;
    r.admitted_ = true;
  }, Durability::Relaxed);
  return r;
}

void Lockout::release(std::int64_t id, const std::string& name, const LockoutPolicy& policy, LoginOutcome outcome) {
  bool table_full = false;
  store_.write([&](StoreWriter& w) {
    w.drop_reservation(id);
    if (outcome == LoginOutcome::TempFail || policy.limit <= 0) return;
    if (outcome == LoginOutcome::Success) {
      w.erase_lockout(name);
      return;
    }
    const auto now = now_ms();
    auto row = w.lockout(name);
    const bool fresh = !row;
    if (!row) row = LockoutRow{name, 0, now, 0, now};
    clamp_to_clock(*row, now, policy.window.count());
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
    if (fresh) {
      // When suspensions alone fill the table, this name cannot be counted
      // (trimming dropped it, or it must go lest the table outgrow its bound).
      if (!w.trim_lockout(policy.table_size, now, policy.window.count())) w.erase_lockout(name);
      table_full = !w.lockout(name).has_value();
    }
  }, Durability::Relaxed);
  if (table_full && log_)
    log_("lockout table full of suspended names (LockoutTableSize " + std::to_string(policy.table_size) +
         "): a failed login of " + name + " was not counted");
}

bool Lockout::unlock(const std::string& canonical_name) {
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
