// The login fronts of `authhost serve`: POP3, IMAP and SMTP submission
// listeners, each plain (STARTTLS on request) or TLS from the first byte,
// on any address and port.
//
// Built on Boost.Asio with its SSL layer: one event loop per core, each
// connection on one loop for its whole life, no thread per connection. A
// login runs the host's whole path (Host::login) on a small pool of login
// threads, because a password check may wait for PAM or the external
// helper; its answer comes back to the connection's loop, and a failure
// that HideUnknownAccounts holds back waits on a timer there, not on a
// thread.
//
// Bounds, and what happens past them (every one leaves the rest served):
//   * max_connections in all: a newcomer past it is closed at once;
//   * max_per_address connections of one client address: likewise;
//   * SessionLimits::max_line per line: the protocol's error, closed;
//     an IMAP literal past max_literal is refused (session.hpp);
//   * handshake_timeout for a TLS handshake; login_timeout from connecting
//     to a successful login; prelogin_idle_timeout / idle_timeout for a
//     command before / after the login; send_timeout for an answer the
//     client does not read: closed, with the protocol's farewell where the
//     client still reads;
//   * at most login_threads logins run at once; more wait their turn.
// stop() closes the listeners, says goodbye to every connection and
// returns when they are closed.
//
// Logs: one line per login attempt (protocol, method, client address, TLS
// version or "plain", the name, the result category), failed handshakes
// and refused connections as TLSLogLevel and the bounds say; never a
// password or a SASL response.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "host/fronts/session.hpp"

namespace authd::host {
class Host;
}

namespace authd::host::fronts {

struct FrontSpec {
  FrontKind kind;
  std::string address;     // an IPv4 or IPv6 address
  std::uint16_t port = 0;  // 0: any free port
};

// "imaps=127.0.0.1:993", "pop3=[::1]:0", "submission=0.0.0.0:587"; nullopt
// with `error` saying what is wrong.
std::optional<FrontSpec> parse_front_spec(std::string_view text, std::string& error);

struct FrontOptions {
  std::vector<FrontSpec> fronts;
  std::size_t event_loops = 0;     // 0: one per core
  std::size_t login_threads = 16;
  std::size_t max_connections = 20000;
  std::size_t max_per_address = 64;
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds login_timeout{std::chrono::seconds(120)};
  std::chrono::milliseconds prelogin_idle_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(30)};
  std::chrono::milliseconds send_timeout{std::chrono::seconds(60)};
  SessionLimits limits;
};

struct FrontStats {
  std::uint64_t connections = 0;        // accepted and served
  std::uint64_t open = 0;               // now
  std::uint64_t refused = 0;            // past max_connections or max_per_address
  std::uint64_t handshake_failures = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t logins = 0;             // login attempts that reached the host's path
};

class FrontError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class FrontServer {
 public:
  using Logger = std::function<void(std::string_view)>;

  // Binds every front and starts accepting; throws FrontError naming the
  // front that could not be used and why.
  FrontServer(Host& host, FrontOptions options, Logger log = {});
  ~FrontServer();  // stop()
  FrontServer(const FrontServer&) = delete;
  FrontServer& operator=(const FrontServer&) = delete;

  // (front name, "ADDRESS:PORT") in the order of FrontOptions::fronts, the
  // port the one bound.
  std::vector<std::pair<std::string, std::string>> endpoints() const;
  FrontStats stats() const;
  // Idempotent.
  void stop();

  struct Impl;  // front_server.cpp: the loops, the listeners and their connections

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace authd::host::fronts
