// Which LDAP server to connect to: the configured URIs in order of
// preference, with the health of each.
//
// A server whose connection attempt failed, or that stopped answering, is
// marked down for failback_ms; new connections go to the next server in the
// list (fail-over). Once the period is over, the next connection attempt
// tries it again before any server after it (fail-back), and connections
// open to a less preferred server are moved back as they are used.
//
// A server marked down is tried by one request at a time only (a probe):
// a server that hangs then costs one request its time limit, not every
// request in flight. When every server is down, one request at a time still
// tries the one marked down the longest ago, so a lone server that comes
// back is found by the next request rather than after failback_ms; the
// other requests fail at once instead of piling up on a dead server.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "authd/api/plugin.hpp"

namespace authd::ldap {

class ServerList {
 public:
  using Clock = std::chrono::steady_clock;

  ServerList(std::vector<std::string> uris, std::chrono::milliseconds failback, std::string backend_name,
             const HostServices& host);

  std::size_t size() const noexcept { return uris_.size(); }
  const std::string& uri(std::size_t index) const { return uris_[index]; }

  // The server to try next, skipping those in `tried` (indexed like the
  // URIs); nullopt when none may be tried now. A returned server that was
  // marked down is reserved as this caller's probe until mark_up() or
  // mark_down() is called for it.
  std::optional<std::size_t> pick(const std::vector<bool>& tried);

  // Whether a connection open to `index` should be closed before its next
  // use: its server is marked down, or a more preferred server may be tried.
  bool should_leave(std::size_t index) const;

  // The server answered (a connection was opened, or an operation done).
  void mark_up(std::size_t index);
  // The server failed in a way that says it is down or hung.
  void mark_down(std::size_t index, const std::string& why);

 private:
  struct Health {
    std::optional<Clock::time_point> down_until;  // nullopt: up
    bool probing = false;
  };
  bool may_try(const Health& health, Clock::time_point now) const noexcept;

  const std::vector<std::string> uris_;
  const std::chrono::milliseconds failback_;
  const std::string backend_name_;
  const HostServices& host_;
  mutable std::mutex mutex_;
  std::vector<Health> health_;
};

}  // namespace authd::ldap
