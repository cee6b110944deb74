// "Suspend account after N failed logins within T".
//
// Names are counted in canonical form (lower case), known or not, so
// Alice@Example.COM and alice@example.com share one counter and probing
// unknown names is slowed down the same way. Counters live in the store and
// survive a restart; the table holds at most LockoutTableSize names, and
// past it the names not suspended and outside their window go first, then
// the least recently failed (a flood of new names can only make the host
// forget old counters sooner, never suspend anyone).
//
// A login reserves a slot before any password is checked, and gives it back
// with its outcome. A name whose failures plus reservations in flight reach
// N is refused at once, so K wrong attempts at the same moment check at most
// N passwords. Reservations are held in memory by this process: they belong
// to logins still running, which end when the process does.
//
// Outcomes: a failure counts, and the Nth within T suspends the name for T
// (then it lifts by itself); a success clears the counter; a temporary
// failure (a backend that could not decide) never counts.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "host/store.hpp"

namespace authd::host {

struct LockoutPolicy {
  std::int64_t limit = 0;  // N; 0: off
  std::chrono::milliseconds window{0};  // T
  std::int64_t table_size = 100000;
};

enum class LoginOutcome { Success, Failure, TempFail };

class Lockout;

// A reserved slot; given back by finish() or, as a temporary failure, when
// destroyed unfinished.
class Reservation {
 public:
  Reservation() = default;
  Reservation(Reservation&& other) noexcept;
  Reservation& operator=(Reservation&& other) noexcept;
  Reservation(const Reservation&) = delete;
  Reservation& operator=(const Reservation&) = delete;
  ~Reservation();

  // False when the name is suspended (or every slot is taken): check nothing.
  bool admitted() const noexcept { return admitted_; }
  void finish(LoginOutcome outcome);

 private:
  friend class Lockout;
  Lockout* owner_ = nullptr;
  std::string name_;
  LockoutPolicy policy_;
  bool admitted_ = false;
};

class Lockout {
 public:
  using Clock = std::chrono::system_clock;  // wall time: the state outlives the process

  explicit Lockout(Store& store) : store_(store) {}

  Reservation reserve(const std::string& canonical_name, const LockoutPolicy& policy);
  // Lift a suspension and clear the counter; false if there was none.
  bool unlock(const std::string& canonical_name);
  bool locked(const std::string& canonical_name);

  static std::int64_t now_ms();

 private:
  friend class Reservation;
  void release(const std::string& name, const LockoutPolicy& policy, LoginOutcome outcome);

  Store& store_;
  std::mutex mutex_;
  std::map<std::string, std::int64_t, std::less<>> in_flight_;
};

}  // namespace authd::host
