// Read-only SQLite connections for the SQL backend, each with the account
// query prepared once, handed out to one thread at a time.
//
// An SQLite connection must not be used by two threads at once, and opening
// one per request would re-read the schema every time. The pool keeps the
// connections that are not in use; a worker leases one for a lookup and
// gives it back, so in practice each worker thread ends up with its own. The
// number open at once is capped; a lease waits for a free one up to a
// deadline rather than opening past the cap.
//
// A connection is tied to the file it opened (device and inode). When the
// path names another file (replaced with `mv`) the lease is refilled with a
// connection to the new one; after any error the connection is thrown away,
// so recovery never depends on the state of a connection that failed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

namespace authd::sql {

// Which file a path named when it was looked at.
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  bool operator==(const FileIdentity&) const = default;
};

struct Connection {
  // Opens `path` read-only and prepares `query`. Throws SQLite::Exception.
  Connection(const std::string& path, const std::string& query, int busy_timeout_ms, FileIdentity file);

  SQLite::Database database;
  SQLite::Statement query;  // declared after the database it belongs to, so destroyed before it
  FileIdentity file;
};

class ConnectionPool;

// One connection (or the right to open one) for the lease's lifetime.
class ConnectionLease {
 public:
  ConnectionLease() = default;
  ConnectionLease(ConnectionLease&& other) noexcept;
  ConnectionLease& operator=(ConnectionLease&&) = delete;
  ConnectionLease(const ConnectionLease&) = delete;
  ConnectionLease& operator=(const ConnectionLease&) = delete;
  ~ConnectionLease();

  // False when no connection became free in time.
  explicit operator bool() const noexcept { return pool_ != nullptr; }
  // The leased connection; null until one is opened with replace().
  Connection* connection() const noexcept { return connection_.get(); }
  void replace(std::unique_ptr<Connection> connection) noexcept { connection_ = std::move(connection); }
  // Close the connection instead of returning it to the pool.
  void discard() noexcept { connection_.reset(); }

 private:
  friend class ConnectionPool;
  ConnectionLease(ConnectionPool* pool, std::unique_ptr<Connection> connection) noexcept
      : pool_(pool), connection_(std::move(connection)) {}

  ConnectionPool* pool_ = nullptr;
  std::unique_ptr<Connection> connection_;
};

class ConnectionPool {
 public:
  explicit ConnectionPool(std::size_t limit) : limit_(limit) { idle_.reserve(limit); }
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A lease, waiting until `deadline` for one of the `limit` slots; an empty
  // lease if none came free.
  ConnectionLease acquire(std::chrono::steady_clock::time_point deadline);

  std::size_t limit() const noexcept { return limit_; }

 private:
  friend class ConnectionLease;
  void give_back(std::unique_ptr<Connection> connection) noexcept;

  const std::size_t limit_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::size_t leased_ = 0;
  std::vector<std::unique_ptr<Connection>> idle_;  // at most limit_ - leased_
};

}  // namespace authd::sql
