#include "authd/verdict_cache.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace authd {

const std::vector<SettingSpec>& cache_settings_specs() {
  static const std::vector<SettingSpec> specs = {
      {"cache_positive_ttl_ms", SettingType::Integer, std::int64_t{0},
       "how long an accepted password is answered from the cache; 0: not cached", 0, 86400000},
      {"cache_negative_ttl_ms", SettingType::Integer, std::int64_t{0},
       "how long a rejected password or unknown name is answered from the cache; 0: not cached", 0, 86400000},
      {"cache_max_entries", SettingType::Integer, std::int64_t{10000}, "names the cache holds at most", 1, 10000000},
      {"cache_serve_stale_ms", SettingType::Integer, std::int64_t{0},
       "while the backend fails, accept a password whose positive entry expired less than this ago; 0: never",
       0, 86400000},
  };
  return specs;
}

CacheSettings cache_settings_from(const Settings& settings) {
  CacheSettings result;
  result.positive_ttl = std::chrono::milliseconds(settings.integer("cache_positive_ttl_ms"));
  result.negative_ttl = std::chrono::milliseconds(settings.integer("cache_negative_ttl_ms"));
  result.max_entries = static_cast<std::size_t>(settings.integer("cache_max_entries"));
  result.serve_stale = std::chrono::milliseconds(settings.integer("cache_serve_stale_ms"));
  return result;
}

VerdictCache::VerdictCache(CacheSettings settings) : settings_(settings) {
  if (RAND_bytes(key_.data(), static_cast<int>(key_.size())) != 1)
    throw std::runtime_error("cannot make the cache key: the OpenSSL random generator failed");
}

VerdictCache::PasswordTag VerdictCache::tag_of(const Secret& password) const {
  PasswordTag tag{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(password.data()),
       password.size(), tag.data(), &length);
  return tag;
}

namespace {

bool same_tag(const VerdictCache::PasswordTag& a, const VerdictCache::PasswordTag& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string key_of(const Account& account) {
  std::string key;
  key.reserve(account.name.size() + 1 + account.domain.size());
  key.append(account.name).append("@").append(account.domain);
  return key;
}

}  // namespace

VerdictCache::Entry* VerdictCache::entry_for(const std::string& name) {
  auto it = index_.find(name);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return &*it->second;
}

VerdictCache::Entry& VerdictCache::entry_or_insert(const std::string& name) {
  if (Entry* entry = entry_for(name)) return *entry;
  if (lru_.size() >= settings_.max_entries) {
    index_.erase(lru_.back().name);
    lru_.pop_back();
  }
  lru_.push_front(Entry{name, false, {}, {}, {}});
  index_.emplace(name, lru_.begin());
  return lru_.front();
}

std::optional<Verdict> VerdictCache::find(const Account& account, const PasswordTag& tag, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  Entry* entry = entry_for(key_of(account));
  if (entry == nullptr) return std::nullopt;
  if (entry->has_positive && same_tag(entry->positive_tag, tag) && now < entry->positive_expires)
    return Verdict::accept();
  for (const auto& negative : entry->negatives)
    if (same_tag(negative.tag, tag) && now < negative.expires) return negative.verdict;
  return std::nullopt;
}

bool VerdictCache::stale_positive(const Account& account, const PasswordTag& tag, Clock::time_point now) {
  if (settings_.serve_stale.count() == 0) return false;
  std::lock_guard lock(mutex_);
  Entry* entry = entry_for(key_of(account));
  return entry != nullptr && entry->has_positive && same_tag(entry->positive_tag, tag) &&
         now < entry->positive_expires + settings_.serve_stale;
}

void VerdictCache::store(const Account& account, const PasswordTag& tag, const Verdict& verdict, Clock::time_point now) {
  if (verdict.kind == VerdictKind::TempFail) return;
  std::lock_guard lock(mutex_);
  Entry& entry = entry_or_insert(key_of(account));
  if (verdict.kind == VerdictKind::Accept) {
    entry.negatives.clear();
    if (settings_.positive_ttl.count() > 0) {
      entry.has_positive = true;
      entry.positive_tag = tag;
      entry.positive_expires = now + settings_.positive_ttl;
    }
    return;
  }
  // A failure with another password: the remembered success may be stale
  // (the password was changed), so it goes.
  if (entry.has_positive && !same_tag(entry.positive_tag, tag)) entry.has_positive = false;
  if (settings_.negative_ttl.count() == 0) return;
  std::erase_if(entry.negatives, [&](const Negative& n) { return same_tag(n.tag, tag) || n.expires <= now; });
  if (entry.negatives.size() >= max_negatives_per_name) entry.negatives.erase(entry.negatives.begin());
  entry.negatives.push_back({tag, now + settings_.negative_ttl, Verdict{verdict.kind, verdict.reason, {}}});
}

std::size_t VerdictCache::size() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

namespace {

class CachedBackend final : public Backend {
 public:
  CachedBackend(std::unique_ptr<Backend> inner, CacheSettings settings, const HostServices& host, std::string name)
      : inner_(std::move(inner)), cache_(settings), host_(host), name_(std::move(name)) {}

  Cost cost(Operation op, const Account& account) const override { return inner_->cost(op, account); }

  Verdict verify(const Account& account, const Secret& password, std::string_view mode) override {
    const auto tag = cache_.tag_of(password);
    if (auto cached = cache_.find(account, tag, VerdictCache::Clock::now())) return *cached;
    Verdict verdict = inner_->verify(account, password, mode);
    const auto now = VerdictCache::Clock::now();
    if (verdict.kind == VerdictKind::TempFail && cache_.stale_positive(account, tag, now)) {
      host_.log(LogLevel::Warning, "backend " + name_ + " failed (" + verdict.detail +
                                       "); accepted from an expired cache entry");
      return Verdict::accept();
    }
    cache_.store(account, tag, verdict, now);
    return verdict;
  }
  bool supports_credentials() const override { return inner_->supports_credentials(); }
  Verdict credentials(const Account& account, Secret& stored) override { return inner_->credentials(account, stored); }
  Verdict exists(const Account& account) override { return inner_->exists(account); }
  std::string timing_reference() const override { return inner_->timing_reference(); }

 private:
  std::unique_ptr<Backend> inner_;
  VerdictCache cache_;
  const HostServices& host_;
  std::string name_;
};

}  // namespace

std::unique_ptr<Backend> make_cached_backend(std::unique_ptr<Backend> inner, CacheSettings settings,
                                             const HostServices& host, std::string name) {
  return std::make_unique<CachedBackend>(std::move(inner), settings, host, std::move(name));
}

}  // namespace authd
