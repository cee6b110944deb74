#include "passwords/timing_reference.hpp"

#include <openssl/rand.h>

#include <map>

namespace authd::passwords {

namespace {

// Printable, so that every scheme (crypt included) accepts it as a password.
Secret random_password() {
  unsigned char random[24];
  if (RAND_bytes(random, sizeof random) != 1) return Secret();
  static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  Secret password;
  password.reserve(sizeof random);
  for (unsigned char byte : random) password.push_back(alphabet[byte % (sizeof alphabet - 1)]);
  wipe_memory(random, sizeof random);
  return password;
}

}  // namespace

std::string timing_dummy_like(const Registry& registry, std::string_view like) {
  const Secret password = random_password();
  if (password.empty()) return {};
  return registry.encode_like(like, password).value_or(std::string());
}

std::optional<std::string> timing_dummy_of_scheme(std::string_view scheme_name) {
  static std::mutex mutex;
  static std::map<std::string, std::string, std::less<>> dummies;  // bounded by the registry's schemes
  {
    std::lock_guard lock(mutex);
    if (auto it = dummies.find(scheme_name); it != dummies.end()) return it->second;
  }
  const Secret password = random_password();
  if (password.empty()) return std::nullopt;
  std::string dummy;
  try {
    dummy = Registry::instance().encode(scheme_name, password);  // made outside the lock: one hash
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
  std::lock_guard lock(mutex);
  return dummies.try_emplace(std::string(scheme_name), std::move(dummy)).first->second;
}

void TimingReference::note(std::string_view stored) {
  if (const Scheme* scheme = registry_.identify(stored)) note(*scheme, stored);
}

void TimingReference::note(const Scheme& scheme, std::string_view stored) {
  if (scheme.cost_rank <= rank_.load(std::memory_order_relaxed)) return;
  // Made outside the lock: a dummy of a slow scheme costs one hash.
  std::string dummy = timing_dummy_like(registry_, stored);
  if (dummy.empty()) return;
  std::lock_guard lock(mutex_);
  if (scheme.cost_rank <= rank_.load(std::memory_order_relaxed)) return;
  dummy_ = std::move(dummy);
  rank_.store(scheme.cost_rank, std::memory_order_relaxed);
}

std::string TimingReference::dummy() const {
  std::lock_guard lock(mutex_);
  return dummy_;
}

}  // namespace authd::passwords
