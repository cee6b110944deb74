#include "sql/connection_pool.hpp"

namespace authd::sql {

Connection::Connection(const std::string& path, const std::string& query_text, int busy_timeout_ms,
                       FileIdentity opened)
    // NOMUTEX: a connection is only ever used by the thread holding its
    // lease, so SQLite's per-connection mutex would be pure overhead.
    : database(path, SQLite::OPEN_READONLY | SQLite::OPEN_NOMUTEX, busy_timeout_ms),
      query(database, query_text),
      file(opened) {}

ConnectionLease::ConnectionLease(ConnectionLease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), connection_(std::move(other.connection_)) {}

ConnectionLease::~ConnectionLease() {
  if (pool_ != nullptr) pool_->give_back(std::move(connection_));
}

ConnectionLease ConnectionPool::acquire(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  if (!freed_.wait_until(lock, deadline, [&] { return leased_ < limit_; })) return {};
  ++leased_;
  std::unique_ptr<Connection> connection;
  if (!idle_.empty()) {
    connection = std::move(idle_.back());
    idle_.pop_back();
  }
  return ConnectionLease(this, std::move(connection));
}

void ConnectionPool::give_back(std::unique_ptr<Connection> connection) noexcept {
  {
    std::lock_guard lock(mutex_);
    --leased_;
    // push_back cannot throw here: idle_ never holds more than limit_
    // connections and reserved room for all of them up front.
    if (connection) idle_.push_back(std::move(connection));
  }
  freed_.notify_one();
}

}  // namespace authd::sql
