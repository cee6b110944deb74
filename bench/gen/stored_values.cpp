#include "bench/gen/stored_values.hpp"

#include <crypt.h>

#include <array>
#include <memory>
#include <stdexcept>

#include "base/secret.hpp"
#include "passwords/registry.hpp"

namespace authd::bench {
namespace {

// The registry encodes with default costs only, so a chosen cost goes
// straight to libxcrypt; the registry still verifies the result.
struct RoundsScheme {
  std::string_view scheme;
  std::string_view gensalt_prefix;
};
constexpr RoundsScheme kRoundsSchemes[] = {
    {"SHA256-CRYPT", "$5$"},
    {"SHA512-CRYPT", "$6$"},
    {"BCRYPT", "$2b$"},
};

// struct crypt_data is 32 KiB: one per thread, on the heap.
crypt_data& thread_crypt_data() {
  thread_local const std::unique_ptr<crypt_data> data = std::make_unique<crypt_data>();
  return *data;
}

std::string crypt_setting(const std::string& prefix, unsigned long rounds) {
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
  if (::crypt_gensalt_rn(prefix.c_str(), rounds, nullptr, 0, setting.data(), static_cast<int>(setting.size())) ==
      nullptr) {
    return {};
  }
  return setting.data();
}

}  // namespace

StoredValueMaker::StoredValueMaker(std::string scheme, std::optional<unsigned long> rounds)
    : scheme_(std::move(scheme)), rounds_(rounds) {
  // Unknown names are reported by the registry itself, with its wording;
  // the probe also resolves aliases such as BLF-CRYPT to their scheme.
  const std::string probe = passwords::Registry::instance().encode(scheme_, Secret("probe"));
  if (!rounds_) return;
  const passwords::Scheme* identified = passwords::Registry::instance().identify(probe);
  for (const RoundsScheme& known : kRoundsSchemes) {
    if (identified != nullptr && identified->name == known.scheme) gensalt_prefix_ = known.gensalt_prefix;
  }
  if (gensalt_prefix_.empty()) {
    throw std::invalid_argument("--rounds applies to SHA256-CRYPT, SHA512-CRYPT (rounds=) and BCRYPT (cost) only");
  }
  if (crypt_setting(gensalt_prefix_, *rounds_).empty()) {
    throw std::invalid_argument("libxcrypt refuses --rounds " + std::to_string(*rounds_) + " for " + scheme_ +
                                " (SHA-crypt: 1000 to 999999999; BCRYPT cost: 4 to 31)");
  }
}

std::string StoredValueMaker::make(std::string_view password) const {
  const Secret secret(password);
  if (!rounds_) return passwords::Registry::instance().encode(scheme_, secret);
  const std::string setting = crypt_setting(gensalt_prefix_, *rounds_);
  const std::string phrase(password);
  crypt_data& data = thread_crypt_data();
  const char* hashed = ::crypt_rn(phrase.c_str(), setting.c_str(), &data, sizeof data);
  if (hashed == nullptr || setting.empty() || hashed[0] == '*') {
    throw std::runtime_error("libxcrypt could not hash with setting \"" + setting + "\"");
  }
  return hashed;
}

bool StoredValueMaker::verifies(std::string_view stored, std::string_view password) {
  return passwords::Registry::instance().check(stored, Secret(password)) == passwords::Check::Match;
}

}  // namespace authd::bench
