// A cache of definite answers in front of a slow backend (LDAP, SQL, PAM).
//
// Any [[backend]] can enable it with cache_* keys. Entries are keyed by the
// canonical name and a keyed hash of the password (HMAC-SHA-256 under a key
// made at start-up), so the cache never holds a password nor anything that
// can be checked against one offline. Only definite answers are kept:
// accepted (positive, cache_positive_ttl_ms) and rejected or unknown
// (negative, cache_negative_ttl_ms); a temporary failure never is. When a
// name fails with another password, its positive entry is dropped, so a
// changed password takes effect at the next failed attempt. Optionally a
// positive entry that has expired may still be served for
// cache_serve_stale_ms while the backend answers TempFail (off by default).
// The cache holds at most cache_max_entries names, least recently used
// first out.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "authd/api/plugin.hpp"

namespace authd {

struct CacheSettings {
  std::chrono::milliseconds positive_ttl{0};
  std::chrono::milliseconds negative_ttl{0};
  std::chrono::milliseconds serve_stale{0};
  std::size_t max_entries = 10000;

  bool enabled() const noexcept { return positive_ttl.count() > 0 || negative_ttl.count() > 0; }
};

// The cache_* keys every [[backend]] accepts, and reading them.
const std::vector<SettingSpec>& cache_settings_specs();
CacheSettings cache_settings_from(const Settings& settings);

class VerdictCache {
 public:
  using Clock = std::chrono::steady_clock;
  using PasswordTag = std::array<std::uint8_t, 32>;

  explicit VerdictCache(CacheSettings settings);

  // The keyed hash of a password under this cache's key.
  PasswordTag tag_of(const Secret& password) const;

  // A cached definite verdict for (account, tag), if one is fresh.
  std::optional<Verdict> find(const Account& account, const PasswordTag& tag, Clock::time_point now);
  // A positive entry for (account, tag) that expired less than serve_stale ago.
  bool stale_positive(const Account& account, const PasswordTag& tag, Clock::time_point now);
  // Remember what the backend answered (TempFail is ignored).
  void store(const Account& account, const PasswordTag& tag, const Verdict& verdict, Clock::time_point now);

  std::size_t size() const;

 private:
  struct Negative {
    PasswordTag tag;
    Clock::time_point expires;
    Verdict verdict;
  };
  struct Entry {
    std::string name;  // "name@domain"
    bool has_positive = false;
    PasswordTag positive_tag{};
    Clock::time_point positive_expires{};
    std::vector<Negative> negatives;  // a few recent wrong passwords
  };
  static constexpr std::size_t max_negatives_per_name = 4;

  Entry* entry_for(const std::string& name);
  Entry& entry_or_insert(const std::string& name);

  CacheSettings settings_;
  std::array<std::uint8_t, 32> key_{};
  mutable std::mutex mutex_;
  std::list<Entry> lru_;  // front: most recently used
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

// Wraps a backend with a VerdictCache for verify(); other calls pass through.
std::unique_ptr<Backend> make_cached_backend(std::unique_ptr<Backend> inner, CacheSettings settings,
                                             const HostServices& host, std::string name);

}  // namespace authd
