// Stored password values for generated accounts, made through the scheme
// registry (passwords/registry.hpp), which also checks each sample.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace authd::bench {

class StoredValueMaker {
 public:
  // `scheme` is a registry name (SSHA, SHA512-CRYPT, BCRYPT, ...). `rounds`
  // sets the cost the registry would otherwise default: rounds= for
  // SHA256-CRYPT and SHA512-CRYPT, the cost for BCRYPT. Throws
  // std::invalid_argument for an unknown scheme or rounds it cannot take.
  StoredValueMaker(std::string scheme, std::optional<unsigned long> rounds);

  // A new value with a fresh salt. Safe to call from several threads.
  std::string make(std::string_view password) const;

  // Whether `stored` verifies `password` through the registry.
  static bool verifies(std::string_view stored, std::string_view password);

  const std::string& scheme() const noexcept { return scheme_; }

 private:
  std::string scheme_;
  std::optional<unsigned long> rounds_;
  std::string gensalt_prefix_;  // for rounds: the crypt id libxcrypt generates a setting for
};

}  // namespace authd::bench
