// The services authd offers its backends: the scheme registry under the
// configured weak-scheme policy, and the log.
#pragma once

#include "authd/api/plugin.hpp"
#include "authd/log.hpp"
#include "passwords/registry.hpp"

namespace authd {

class EngineServices final : public HostServices {
 public:
  EngineServices(bool allow_weak_schemes, Logger& logger);

  Verdict check_password(std::string_view stored, const Secret& password) const override;
  std::optional<SchemeTraits> scheme_of(std::string_view stored) const override;
  std::string timing_dummy(std::string_view like) const override;
  void log(LogLevel level, std::string_view message) const override;

  const passwords::Registry& registry() const noexcept { return registry_; }
  Logger& logger() const noexcept { return logger_; }

 private:
  const passwords::Registry& registry_;
  bool allow_weak_;
  Logger& logger_;
};

}  // namespace authd
