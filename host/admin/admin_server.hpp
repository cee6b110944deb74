// The administration server (`authhost serve`): the protocol of
// admin_protocol.hpp over TCP on loopback.
//
// A connection is logged in through Host::login, the same path as any
// other login: the peer's address is the client address, so the lockout,
// RejectNonClientAddresses and the uniform rejection text all apply. Every
// command then runs as that account, and the Host checks its rights.
//
// Bounds, and what happens past them:
//   * at most max_connections at once (one thread each). A connection that
//     has not logged in yet never keeps a newcomer out: when every slot is
//     taken, the oldest connection still waiting to log in (of the
//     newcomer's address if it has one, else of any) is answered "400 too
//     many connections waiting to log in ..." and closed to make room. Only
//     when every connection is logged in is the newcomer answered
//     "400 busy ..." and closed;
//   * at most max_prelogin_per_address connections of one client address
//     waiting to log in: the next one from that address replaces the oldest;
//   * login_timeout from the connection's start to a successful PASS,
//     whatever is sent meanwhile (NOOP, failed logins): "400 no login
//     within ...", closed;
//   * a line longer than admin::max_line_length: "500 line too long", closed;
//   * no complete line for idle_timeout: "400 idle ...", closed;
//   * max_failed_logins rejected logins on one connection: closed after the
//     last answer (the lockout counts them too);
//   * an answer the client does not read within send_timeout: closed.
// stop() stops accepting, lets each connection finish the command it is
// running, answers "400 server shutting down" and closes it.
//
// Passwords are never logged: the log names the verb and the outcome only.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "host/admin/admin_protocol.hpp"
#include "host/host.hpp"

namespace authd::host::admin {

// Numbers a connection may add to GETSTATISTICS: (name, value) pairs.
using StatisticsSource = std::function<std::vector<std::pair<std::string, std::uint64_t>>()>;

// One connection's conversation without the socket: a line in, an answer
// out. The server runs one per connection; the tests drive it directly,
// with any client address.
class Session {
 public:
  using Logger = std::function<void(std::string_view)>;
  static constexpr int max_failed_logins = 3;

  Session(Host& host, std::string client_address, StatisticsSource extra = {}, Logger log = {});

  static Answer greeting();
  // `line` without its line end.
  // Never throws: a fault inside an operation is logged and answered 400,
  // so that one connection cannot end the server.
  Answer handle(std::string_view line);
  // After an answer that closed it, every line is refused.
  bool closed() const noexcept { return closed_; }
  const std::optional<Address>& user() const noexcept { return user_; }
  // After INLINE: data on the answer line ("201 {...}"), as CLI.pm expects.
  bool inline_data() const noexcept { return inline_data_; }

 private:
  Answer handle_command(std::string_view line);
  Answer login(Command& command);
  Answer run(const Command& command);
  Answer create_account(const Command& command);
  Answer update_account_settings(const Command& command);
  Answer create_domain(const Command& command);
  Answer statistics();
  // The PKI verbs (admin_pki.cpp).
  Answer run_pki(const Command& command);

  Host& host_;
  std::string client_address_;
  StatisticsSource extra_;
  Logger log_;
  std::optional<std::string> pending_user_;  // USER given, PASS awaited
  std::optional<Address> user_;
  int failed_logins_ = 0;
  bool closed_ = false;
  bool inline_data_ = false;
};

struct ServerOptions {
  std::vector<std::string> listen{"127.0.0.1"};  // loopback addresses only
  std::uint16_t port = 0;                        // 0: any free port (the same one for every address)
  std::size_t max_connections = 16;
  std::size_t max_prelogin_per_address = 4;      // connections of one address not logged in yet
  std::chrono::milliseconds login_timeout{std::chrono::seconds(30)};  // from connect to a successful login
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
  std::chrono::milliseconds send_timeout{std::chrono::seconds(30)};
};

struct ServerStats {
  std::uint64_t connections = 0;       // accepted and served
  std::uint64_t refused_busy = 0;      // answered "busy"
  std::uint64_t replaced_prelogin = 0; // not logged in, closed to make room for a newer connection
  std::uint64_t login_timeouts = 0;    // closed for want of a login within login_timeout
  std::uint64_t open = 0;              // now
  std::uint64_t commands = 0;          // lines answered
};

class ServerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Server {
 public:
  using Logger = std::function<void(std::string_view)>;

  // Binds and starts accepting; throws ServerError saying which address
  // could not be used and why.
  Server(Host& host, ServerOptions options, Logger log = {});
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const noexcept;
  // "127.0.0.1:PORT", "[::1]:PORT": one per listening address.
  std::vector<std::string> endpoints() const;
  ServerStats stats() const;

  // Idempotent; returns when every connection is closed.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace authd::host::admin
