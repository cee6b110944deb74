#include "authd/engine_services.hpp"

namespace authd {

EngineServices::EngineServices(bool allow_weak_schemes, Logger& logger)
    : registry_(passwords::Registry::instance()), allow_weak_(allow_weak_schemes), logger_(logger), timing_(registry_) {}

std::unique_ptr<EngineServices> EngineServices::for_backend() const {
  return std::make_unique<EngineServices>(allow_weak_, logger_);
}

std::optional<SchemeTraits> EngineServices::scheme_of(std::string_view stored) const {
  const auto* scheme = registry_.identify(stored);
  if (scheme == nullptr) return std::nullopt;
  return SchemeTraits{scheme->name, scheme->weak, allow_weak_ || !scheme->weak, scheme->slow, scheme->cost_rank};
}

Verdict EngineServices::check_password(std::string_view stored, const Secret& password) const {
  const auto* scheme = registry_.identify(stored);
  // Noted before the policy, so that a value the policy refuses still counts.
  if (scheme != nullptr) timing_.note(*scheme, stored);
  return check_with_policy(scheme, stored, password);
}

void EngineServices::check_timing_dummy(std::string_view dummy, const Secret& password) const {
  (void)check_with_policy(registry_.identify(dummy), dummy, password);
}

Verdict EngineServices::check_with_policy(const passwords::Scheme* scheme, std::string_view stored,
                                          const Secret& password) const {
  if (scheme == nullptr) return Verdict::reject(RejectReason::UnusableSecret, "stored password has an unknown scheme");
  if (scheme->weak && !allow_weak_)
    return Verdict::reject(RejectReason::UnusableSecret,
                           "stored password uses the weak scheme " + std::string(scheme->name) +
                               ", refused by allow_weak_schemes = false");
  switch (registry_.check(stored, password)) {
    case passwords::Check::Match: return Verdict::accept();
    case passwords::Check::Mismatch: return Verdict::reject(RejectReason::WrongPassword);
    case passwords::Check::Malformed: break;
  }
  return Verdict::reject(RejectReason::UnusableSecret,
                         "stored password is not valid for its scheme " + std::string(scheme->name));
}

std::string EngineServices::timing_dummy(std::string_view like) const {
  return passwords::timing_dummy_like(registry_, like);
}

void EngineServices::note_stored(std::string_view stored) const { timing_.note(stored); }

void EngineServices::log(LogLevel level, std::string_view message) const { logger_.log(level, message); }

}  // namespace authd
