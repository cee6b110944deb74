#include "authd/engine_services.hpp"

#include <openssl/rand.h>

namespace authd {

EngineServices::EngineServices(bool allow_weak_schemes, Logger& logger)
    : registry_(passwords::Registry::instance()), allow_weak_(allow_weak_schemes), logger_(logger) {}

std::optional<SchemeTraits> EngineServices::scheme_of(std::string_view stored) const {
  const auto* scheme = registry_.identify(stored);
  if (scheme == nullptr) return std::nullopt;
  return SchemeTraits{scheme->name, scheme->weak, allow_weak_ || !scheme->weak, scheme->slow, scheme->cost_rank};
}

Verdict EngineServices::check_password(std::string_view stored, const Secret& password) const {
  const auto* scheme = registry_.identify(stored);
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
  unsigned char random[24];
  if (RAND_bytes(random, sizeof random) != 1) return {};
  // Printable, so that every scheme (crypt included) accepts it as a password.
  static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  Secret password;
  password.reserve(sizeof random);
  for (unsigned char byte : random) password.push_back(alphabet[byte % (sizeof alphabet - 1)]);
  wipe_memory(random, sizeof random);
  return registry_.encode_like(like, password).value_or(std::string());
}

void EngineServices::log(LogLevel level, std::string_view message) const { logger_.log(level, message); }

}  // namespace authd
