// The services authd offers its backends: the scheme registry under the
// configured weak-scheme policy, the log, and timing protection. Each
// backend gets its own instance (Routes::build makes them), which learns the
// slowest scheme that backend holds: from every stored value it checks
// through check_password and from those it reports with note_stored.
#pragma once

#include "authd/api/plugin.hpp"
#include "authd/log.hpp"
#include "passwords/registry.hpp"
#include "passwords/timing_reference.hpp"

namespace authd {

class EngineServices final : public HostServices {
 public:
  EngineServices(bool allow_weak_schemes, Logger& logger);

  Verdict check_password(std::string_view stored, const Secret& password) const override;
  std::optional<SchemeTraits> scheme_of(std::string_view stored) const override;
  std::string timing_dummy(std::string_view like) const override;
  void note_stored(std::string_view stored) const override;
  void log(LogLevel level, std::string_view message) const override;

  // Services with the same policy and log and a timing reference of their own.
  std::unique_ptr<EngineServices> for_backend() const;

  // A dummy of the slowest scheme noted so far (see passwords::TimingReference).
  std::string timing_reference() const { return timing_.dummy(); }
  // Check `password` against a timing dummy under the weak-scheme policy,
  // noting nothing; the result is for discarding.
  void check_timing_dummy(std::string_view dummy, const Secret& password) const;

  const passwords::Registry& registry() const noexcept { return registry_; }
  Logger& logger() const noexcept { return logger_; }

 private:
  Verdict check_with_policy(const passwords::Scheme* scheme, std::string_view stored, const Secret& password) const;

  const passwords::Registry& registry_;
  bool allow_weak_;
  Logger& logger_;
  mutable passwords::TimingReference timing_;
};

}  // namespace authd
