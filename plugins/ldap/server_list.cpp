#include "ldap/server_list.hpp"

namespace authd::ldap {

ServerList::ServerList(std::vector<std::string> uris, std::chrono::milliseconds failback, std::string backend_name,
                       const HostServices& host)
    : uris_(std::move(uris)), failback_(failback), backend_name_(std::move(backend_name)), host_(host),
      health_(uris_.size()) {}

bool ServerList::may_try(const Health& health, Clock::time_point now) const noexcept {
  return !health.down_until || (now >= *health.down_until && !health.probing);
}

std::optional<std::size_t> ServerList::pick(const std::vector<bool>& tried) {
  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < health_.size(); ++i) {
    if (tried[i] || !may_try(health_[i], now)) continue;
    if (health_[i].down_until) health_[i].probing = true;
    return i;
  }
  // Every server is down: at most one probe at a time, of the one that has
  // been down the longest (its mark ends first).
  for (const auto& health : health_)
    if (health.probing) return std::nullopt;
  std::optional<std::size_t> oldest;
  for (std::size_t i = 0; i < health_.size(); ++i) {
    if (tried[i] || !health_[i].down_until) continue;
    if (!oldest || *health_[i].down_until < *health_[*oldest].down_until) oldest = i;
  }
  if (oldest) health_[*oldest].probing = true;
  return oldest;
}

bool ServerList::should_leave(std::size_t index) const {
  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  if (health_[index].down_until) return true;
  for (std::size_t i = 0; i < index; ++i)
    if (may_try(health_[i], now)) return true;
  return false;
}

void ServerList::mark_up(std::size_t index) {
  bool was_down = false;
  {
    std::lock_guard lock(mutex_);
    was_down = health_[index].down_until.has_value();
    health_[index] = Health{};
  }
  if (was_down) host_.log(LogLevel::Info, "backend " + backend_name_ + ": LDAP server " + uris_[index] + " is back");
}

void ServerList::mark_down(std::size_t index, const std::string& why) {
  bool was_up = false;
  {
    std::lock_guard lock(mutex_);
    was_up = !health_[index].down_until.has_value();
    health_[index].down_until = Clock::now() + failback_;
    health_[index].probing = false;
  }
  // Logged once per outage, not once per failed request.
  if (was_up)
    host_.log(LogLevel::Warning, "backend " + backend_name_ + ": LDAP server " + uris_[index] + " failed (" + why +
                                     "); marked down for " + std::to_string(failback_.count()) + " ms");
}

}  // namespace authd::ldap
