// One connection to one LDAP server through libldap, and the few exchanges
// the backend needs (simple bind, search), each bounded by a deadline.
//
// libldap's synchronous calls wait without a limit unless told otherwise, so
// every exchange here is sent with the asynchronous call and its answer
// awaited with ldap_result() and the time left. The TCP connect is bounded
// by LDAP_OPT_NETWORK_TIMEOUT, the TLS handshake (which libldap 2.5 does
// with blocking reads) by shutting the socket down when its time is up, and
// each write by SO_SNDTIMEO. A connection that timed out or lost its server
// is in an unknown state: the caller drops it.
//
// A connection is used by one thread at a time (libldap handles are not
// meant for concurrent use); the pool (connection_pool.hpp) sees to that.
#pragma once

#include <ldap.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "authd/api/secret.hpp"

namespace authd::ldap {

using Clock = std::chrono::steady_clock;

// The outcome of one exchange.
struct Status {
  int code = LDAP_SUCCESS;  // an LDAP result code, or a libldap error (negative)
  std::string text;         // for the log: what failed and the server's diagnostic; never a secret
  bool ok() const noexcept { return code == LDAP_SUCCESS; }
};

// Whether `code` says the connection or its server failed rather than the
// operation: the server is gone, hung or refuses service for now.
bool is_connection_failure(int code) noexcept;

struct ConnectOptions {
  std::chrono::milliseconds connect_timeout{1000};
  bool starttls = false;
  std::string ca_file;  // empty: libldap's default (TLS_CACERT in ldap.conf)
};

// Whether connections to `uri` use TLS (ldaps://, or StartTLS).
bool uses_tls(const std::string& uri, const ConnectOptions& options);

// Set the TLS options of a handle: certificate required and checked against
// ca_file, in a TLS context of the handle's own. False if libldap refuses
// them (a CA file it cannot load).
bool set_tls_options(LDAP* handle, const ConnectOptions& options);

struct SearchRequest {
  std::string base;
  int scope = LDAP_SCOPE_SUBTREE;
  std::string filter;
  std::string attribute;  // the one attribute to read; empty: none
};

struct FoundEntry {
  std::string dn;
  std::vector<Secret> values;  // the values of SearchRequest::attribute the server let us read
};

// Blocks SIGPIPE for this thread while it lives. libldap writes to its
// sockets with write(), which raises SIGPIPE when the server has gone; a
// host that does not ignore SIGPIPE would be killed by it. A SIGPIPE raised
// meanwhile is taken off the thread's pending set before the mask is put
// back.
class SigpipeGuard {
 public:
  SigpipeGuard() noexcept;
  ~SigpipeGuard();
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t old_mask_;
  bool was_pending_ = false;
};

class ConnectWatch;

class Connection {
 public:
  // Connect to `uri` (TCP, then TLS for ldaps:// or with StartTLS) within
  // connect_timeout and `deadline`, whichever comes first. `server` is the
  // URI's index, kept for the caller. nullptr with `status` set on failure.
  static std::unique_ptr<Connection> open(std::size_t server, const std::string& uri, const ConnectOptions& options,
                                          Clock::time_point deadline, Status& status);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  std::size_t server() const noexcept { return server_; }

  // A simple bind. A non-empty DN with an empty password is never sent: on
  // many servers it is an unauthenticated bind that succeeds (RFC 4513
  // section 5.1.2).
  Status simple_bind(const std::string& dn, std::string_view password, Clock::time_point deadline);

  // A search of at most two entries: more than one is ambiguous for the
  // caller, and the second shows it. NO_SUCH_OBJECT (the base does not
  // exist) comes back as such, with no entries.
  Status search(const SearchRequest& request, Clock::time_point deadline, std::vector<FoundEntry>& entries);

 private:
  struct Unbind {
    void operator()(LDAP* handle) const noexcept;
  };
  Connection(std::size_t server, Clock::duration send_limit);
  // libldap's connect callback: the socket is connected, TLS not started.
  static int on_connect(LDAP* ld, Sockbuf* socket, LDAPURLDesc* url, sockaddr* address, ldap_conncb* callbacks);

  // Wait for the whole answer to `msgid` until `deadline`.
  Status wait(int msgid, Clock::time_point deadline, LDAPMessage*& result);
  // wait(), then the answer's result code and the server's words on it, as
  // describe() writes them (`what` names the step in a fault).
  Status result_of(int msgid, Clock::time_point deadline, const char* what, int& code, std::string& described);
  // ldap_connect() and StartTLS, with the socket shut down at `limit`.
  Status connect_within(const std::string& uri, bool starttls, Clock::time_point limit);
  Status start_tls(Clock::time_point deadline);
  Status handle_error(std::string_view what);

  std::size_t server_;
  Clock::duration send_limit_;  // for each write to the socket
  // Tells the watch of an open() in progress which socket libldap
  // connected; declared before handle_, which refers to them until it goes.
  std::atomic<ConnectWatch*> watch_{nullptr};
  ldap_conncb callbacks_{};
  std::unique_ptr<LDAP, Unbind> handle_;
};

}  // namespace authd::ldap
