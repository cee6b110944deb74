// Timing protection: the stored value an unknown name is checked against, so
// that it costs what a wrong password costs. One place for the rule "the
// slowest scheme seen makes the dummy"; authd's engine services and the host
// both use it.
#pragma once

#include <atomic>
#include <climits>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "passwords/registry.hpp"

namespace authd::passwords {

// A stored value with the scheme, salt and parameters of `like` but for a
// random password nobody knows. Empty if `like` is malformed.
std::string timing_dummy_like(const Registry& registry, std::string_view like);

// A stored value of scheme `scheme_name` (a canonical name, default
// parameters) for a random password nobody knows, made once per scheme and
// kept for the life of the process. nullopt for an unknown scheme name.
std::optional<std::string> timing_dummy_of_scheme(std::string_view scheme_name);

// The slowest scheme among the stored values noted, by the registry's cost
// order, and a dummy of it. The first value of the costliest scheme gives the
// dummy its salt and parameters; a value of a scheme that costs no more does
// not replace it. Safe to use from several threads at once; noting a value
// of a scheme no costlier than the one kept takes no lock.
class TimingReference {
 public:
  explicit TimingReference(const Registry& registry = Registry::instance()) : registry_(registry) {}
  TimingReference(const TimingReference&) = delete;
  TimingReference& operator=(const TimingReference&) = delete;

  // Note a stored value a source holds or has checked.
  void note(std::string_view stored);
  // The same, for a value whose scheme the caller has identified already.
  void note(const Scheme& scheme, std::string_view stored);

  // The dummy of the slowest scheme noted; empty before any value of a
  // scheme the registry recognises was noted.
  std::string dummy() const;

 private:
  const Registry& registry_;
  std::atomic<int> rank_{INT_MIN};  // cost rank of the kept dummy; only grows
  mutable std::mutex mutex_;
  std::string dummy_;
};

}  // namespace authd::passwords
