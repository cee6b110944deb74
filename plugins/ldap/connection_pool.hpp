// A fixed number of persistent connections of one identity, and the one
// place where lost connections, fail-over and the retry are handled.
//
// run() lends a connection to one operation at a time. A connection that
// fails (server gone, hung, busy) is dropped, never reused, and the
// operation is retried once on a new connection, which ServerList sends to
// the next server if this one is down. A pooled connection that finds its
// server gone (closed while idle, server restarted) does not by itself mark
// the server down: only a failed connection attempt, a failure on a fresh
// connection or a time-out does.
//
// Every connection of a pool has the pool's identity: the service account,
// or anonymous. A pool without an identity is for user binds, which change
// the identity of their connection; those connections are never used for
// anything else.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "authd/api/plugin.hpp"
#include "ldap/connection.hpp"
#include "ldap/server_list.hpp"

namespace authd::ldap {

struct Identity {
  std::string dn;   // empty: anonymous
  Secret password;  // empty for anonymous; never logged
};

class ConnectionPool {
 public:
  using Operation = std::function<Status(Connection&, Clock::time_point deadline)>;

  // `identity` nullopt: connections are opened without a bind (for user binds).
  ConnectionPool(std::string purpose, ServerList& servers, ConnectOptions options, std::optional<Identity> identity,
                 std::size_t size);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Run `operation` on a connection of this pool before `deadline`, with one
  // retry on another connection if the first fails as a connection.
  Status run(Clock::time_point deadline, const Operation& operation);

  std::size_t size() const noexcept { return size_; }

 private:
  // A borrowed place in the pool, with its connection if one is open.
  struct Slot {
    std::unique_ptr<Connection> connection;
  };
  std::optional<Slot> acquire(Clock::time_point deadline);
  void release(Slot slot);
  // Open a connection to the first server that accepts one, trying each
  // server at most once.
  Status connect(Slot& slot, Clock::time_point deadline);

  const std::string purpose_;
  ServerList& servers_;
  const ConnectOptions options_;
  const std::optional<Identity> identity_;
  const std::size_t size_;

  std::mutex mutex_;
  std::condition_variable returned_;
  std::size_t available_;  // slots not lent out
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace authd::ldap
