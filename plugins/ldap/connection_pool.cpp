#include "ldap/connection_pool.hpp"

namespace authd::ldap {

ConnectionPool::ConnectionPool(std::string purpose, ServerList& servers, ConnectOptions options,
                               std::optional<Identity> identity, std::size_t size)
    : purpose_(std::move(purpose)), servers_(servers), options_(std::move(options)),
      identity_(std::move(identity)), size_(size), available_(size) {
  idle_.reserve(size);
}

ConnectionPool::~ConnectionPool() = default;

std::optional<ConnectionPool::Slot> ConnectionPool::acquire(Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  if (!returned_.wait_until(lock, deadline, [this] { return available_ > 0; })) return std::nullopt;
  --available_;
  Slot slot;
  // The most recently used connection is the one most likely still open.
  if (!idle_.empty()) {
    slot.connection = std::move(idle_.back());
    idle_.pop_back();
  }
  return slot;
}

void ConnectionPool::release(Slot slot) {
  {
    std::lock_guard lock(mutex_);
    if (slot.connection) idle_.push_back(std::move(slot.connection));
    ++available_;
  }
  returned_.notify_one();
}

Status ConnectionPool::connect(Slot& slot, Clock::time_point deadline) {
  std::vector<bool> tried(servers_.size(), false);
  Status last{LDAP_SERVER_DOWN, "every LDAP server is marked down and another request is already trying one"};
  bool tried_any = false;
  while (Clock::now() < deadline) {
    const auto server = servers_.pick(tried);
    if (!server) break;
    tried[*server] = true;
    tried_any = true;
    Status status;
    auto connection = Connection::open(*server, servers_.uri(*server), options_, deadline, status);
    if (connection && identity_ && !identity_->dn.empty()) {
      // The service bind is part of opening: it gets the connect time limit too.
      const auto limit = std::min(deadline, Clock::now() + options_.connect_timeout);
      status = connection->simple_bind(identity_->dn, identity_->password.view(), limit);
      if (!status.ok()) status.text = "bind as " + identity_->dn + ": " + status.text;
    }
    if (status.ok()) {
      servers_.mark_up(*server);
      slot.connection = std::move(connection);
      return {};
    }
    if (!is_connection_failure(status.code)) {
      // Not a sign that the server is down (a refused service bind, an
      // option libldap refuses): another server would do the same.
      servers_.mark_up(*server);
      return status;
    }
    servers_.mark_down(*server, status.text);
    last = std::move(status);
  }
  if (tried_any && Clock::now() >= deadline && last.code != LDAP_TIMEOUT)
    last.text += "; no time left to try another server";
  return last;
}

Status ConnectionPool::run(Clock::time_point deadline, const Operation& operation) {
  SigpipeGuard guard;
  auto slot = acquire(deadline);
  if (!slot)
    return {LDAP_TIMEOUT, "all " + std::to_string(size_) + " " + purpose_ +
                              " connections stayed busy until the time limit"};
  // The slot goes back even if the operation throws, so the pool never shrinks.
  struct Return {
    ConnectionPool& pool;
    std::optional<Slot>& slot;
    ~Return() { pool.release(std::move(*slot)); }
  } give_back{*this, slot};
  Status last;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (slot->connection && servers_.should_leave(slot->connection->server())) slot->connection.reset();
    bool fresh = false;
    if (!slot->connection) {
      last = connect(*slot, deadline);
      if (!slot->connection) break;
      fresh = true;
    }
    last = operation(*slot->connection, deadline);
    if (!is_connection_failure(last.code)) break;
    const std::size_t server = slot->connection->server();
    slot->connection.reset();
    if (fresh || last.code == LDAP_TIMEOUT) servers_.mark_down(server, last.text);
    if (Clock::now() >= deadline) break;
  }
  return last;
}

}  // namespace authd::ldap
