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
// N passwords. Reservations live in the store, taken and counted in one
// write transaction, so the promise holds for any number of processes on one
// data directory; each expires (reservation_ttl) so that a process killed
// mid-login cannot hold its slots for ever. These per-login writes are not
// synced one by one (Durability::Relaxed): a power cut may forget the
// failures counted since the last synced write, never suspend anyone.
//
// Suspended names are never forgotten before they lift. When suspensions
// alone fill the table, the failures of names not in it cannot be counted
// until one lifts (the host logs it): raise LockoutTableSize.
//
// Clocks: a row stamped while the wall clock ran ahead (a window start in
// the future, a suspension ending later than now + T) is brought back to
// now, so a stepped clock can lengthen a suspension to T at most.
//
// Outcomes: a failure counts, and the Nth within T suspends the name for T
// (then it lifts by itself); a success clears the counter; a temporary
// failure (a backend that could not decide) never counts.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "host/store/store.hpp"

namespace authd::host {

struct LockoutPolicy {
  std::int64_t limit = 0;  // N; 0: off
  std::chrono::milliseconds window{0};  // T
  std::int64_t table_size = 100000;
  // Longer than any login can take: a reservation older than this belongs
  // to a process that died.
  std::chrono::milliseconds reservation_ttl{std::chrono::minutes(10)};
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
  std::int64_t id_ = 0;  // the store's reservation row
  std::string name_;
  LockoutPolicy policy_;
  bool admitted_ = false;
};

class Lockout {
 public:
  using Clock = std::chrono::system_clock;  // wall time: the state outlives the process

  using Logger = std::function<void(std::string_view)>;

  explicit Lockout(Store& store, Logger log = {}) : store_(store), log_(std::move(log)) {}

  Reservation reserve(const std::string& canonical_name, const LockoutPolicy& policy);
  // Lift a suspension and clear the counter; false if there was none.
  bool unlock(const std::string& canonical_name);
  bool locked(const std::string& canonical_name);

  static std::int64_t now_ms();

 private:
  friend class Reservation;
  void release(std::int64_t id, const std::string& name, const LockoutPolicy& policy, LoginOutcome outcome);

  Store& store_;
  Logger log_;
};

}  // namespace authd::host
