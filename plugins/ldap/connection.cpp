#include "ldap/connection.hpp"

#include <pthread.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

namespace authd::ldap {

namespace {

struct MessageFree {
  void operator()(LDAPMessage* message) const noexcept { ldap_msgfree(message); }
};
using Message = std::unique_ptr<LDAPMessage, MessageFree>;

struct MemFree {
  void operator()(char* text) const noexcept { ldap_memfree(text); }
};
using LdapText = std::unique_ptr<char, MemFree>;

// The values are stored passwords: wiped before libldap frees them.
struct ValuesFree {
  void operator()(berval** values) const noexcept {
    for (berval** value = values; *value != nullptr; ++value) wipe_memory((*value)->bv_val, (*value)->bv_len);
    ldap_value_free_len(values);
  }
};
using Values = std::unique_ptr<berval*, ValuesFree>;

timeval to_timeval(Clock::duration duration) {
  const auto us = std::max<long long>(0, std::chrono::duration_cast<std::chrono::microseconds>(duration).count());
  return timeval{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
}

Status timed_out(std::string_view what) {
  return {LDAP_TIMEOUT, std::string(what) + ": no answer within the time limit"};
}

std::string describe(int code, const char* diagnostic) {
  std::string text = ldap_err2string(code);
  if (diagnostic != nullptr && *diagnostic != '\0') text.append(" (").append(diagnostic).append(")");
  return text;
}

}  // namespace

// Shuts the socket of a connection being opened once its time is up.
// LDAP_OPT_NETWORK_TIMEOUT bounds the TCP connect only: the TLS handshake of
// libldap 2.5 (ldaps://, and ldap_install_tls after StartTLS) reads with no
// limit, so a server that accepts connections and never answers would hold
// the request forever. Shutting the socket down makes that read fail.
class ConnectWatch {
 public:
  explicit ConnectWatch(Clock::time_point deadline) : thread_([this, deadline] { watch(deadline); }) {}
  ~ConnectWatch() {
    {
      std::lock_guard lock(mutex_);
      finished_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  ConnectWatch(const ConnectWatch&) = delete;
  ConnectWatch& operator=(const ConnectWatch&) = delete;

  void connected(int fd) {
    std::lock_guard lock(mutex_);
    fd_ = fd;
  }
  bool fired() const {
    std::lock_guard lock(mutex_);
    return fired_;
  }

 private:
  void watch(Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    if (wake_.wait_until(lock, deadline, [this] { return finished_; })) return;
    // The socket stays open until the watch is gone (see Connection::open),
    // so this descriptor cannot have been reused meanwhile.
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
    fired_ = true;
  }

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  int fd_ = -1;
  bool finished_ = false;
  bool fired_ = false;
  std::thread thread_;
};

namespace {

void on_disconnect(LDAP*, Sockbuf*, ldap_conncb*) {}

}  // namespace

int Connection::on_connect(LDAP*, Sockbuf* socket, LDAPURLDesc*, sockaddr*, ldap_conncb* callbacks) {
  auto* connection = static_cast<Connection*>(callbacks->lc_arg);
  ber_socket_t fd = -1;
  if (ber_sockbuf_ctrl(socket, LBER_SB_OPT_GET_FD, &fd) != 1 || fd < 0) return 0;
  // libldap writes with blocking write(): to a server that stopped reading,
  // a full send buffer would block for ever. With a limit the write fails
  // and the connection is dropped like any lost one.
  const timeval send_limit = to_timeval(connection->send_limit_);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_limit, sizeof send_limit);
  if (auto* watch = connection->watch_.load()) watch->connected(fd);
  return 0;
}

Connection::Connection(std::size_t server, Clock::duration send_limit) : server_(server), send_limit_(send_limit) {
  callbacks_.lc_add = &Connection::on_connect;
  callbacks_.lc_del = &on_disconnect;
  callbacks_.lc_arg = this;
}

bool uses_tls(const std::string& uri, const ConnectOptions& options) {
  return options.starttls || (uri.size() >= 8 && strncasecmp(uri.c_str(), "ldaps://", 8) == 0);
}

bool set_tls_options(LDAP* handle, const ConnectOptions& options) {
  const int demand = LDAP_OPT_X_TLS_DEMAND;
  const int client = 0;
  return ldap_set_option(handle, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) == LDAP_OPT_SUCCESS &&
         (options.ca_file.empty() ||
          ldap_set_option(handle, LDAP_OPT_X_TLS_CACERTFILE, options.ca_file.c_str()) == LDAP_OPT_SUCCESS) &&
         // Last: builds the handle's TLS context from the options above.
         ldap_set_option(handle, LDAP_OPT_X_TLS_NEWCTX, &client) == LDAP_OPT_SUCCESS;
}

bool is_connection_failure(int code) noexcept {
  switch (code) {
    case LDAP_SERVER_DOWN:
    case LDAP_CONNECT_ERROR:
    case LDAP_TIMEOUT:
    case LDAP_BUSY:
    case LDAP_UNAVAILABLE:
      return true;
    default:
      return false;
  }
}

SigpipeGuard::SigpipeGuard() noexcept {
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask_);
  sigset_t pending;
  sigemptyset(&pending);
  ::sigpending(&pending);
  was_pending_ = sigismember(&pending, SIGPIPE) == 1;
}

SigpipeGuard::~SigpipeGuard() {
  sigset_t pending;
  sigemptyset(&pending);
  ::sigpending(&pending);
  if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    const timespec now{0, 0};
    while (::sigtimedwait(&pipe_only, nullptr, &now) < 0 && errno == EINTR) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

void Connection::Unbind::operator()(LDAP* handle) const noexcept {
  SigpipeGuard guard;
  ldap_unbind_ext(handle, nullptr, nullptr);
}

Connection::~Connection() = default;

Status Connection::handle_error(std::string_view what) {
  int code = LDAP_OTHER;
  ldap_get_option(handle_.get(), LDAP_OPT_RESULT_CODE, &code);
  char* diagnostic = nullptr;
  ldap_get_option(handle_.get(), LDAP_OPT_DIAGNOSTIC_MESSAGE, &diagnostic);
  LdapText owned(diagnostic);
  return {code, std::string(what) + ": " + describe(code, diagnostic)};
}

std::unique_ptr<Connection> Connection::open(std::size_t server, const std::string& uri,
                                             const ConnectOptions& options, Clock::time_point deadline,
                                             Status& status) {
  const auto limit = std::min(deadline, Clock::now() + options.connect_timeout);
  LDAP* raw = nullptr;
  if (const int rc = ldap_initialize(&raw, uri.c_str()); rc != LDAP_SUCCESS || raw == nullptr) {
    status = {rc == LDAP_SUCCESS ? LDAP_LOCAL_ERROR : rc, "cannot use URI " + uri + ": " + ldap_err2string(rc)};
    return nullptr;
  }
  std::unique_ptr<Connection> connection(new Connection(server, options.connect_timeout));
  connection->handle_.reset(raw);
  LDAP* ld = connection->handle_.get();

  const int version = LDAP_VERSION3;
  const timeval connect_limit = to_timeval(limit - Clock::now());
  bool options_ok = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) == LDAP_OPT_SUCCESS &&
                    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) == LDAP_OPT_SUCCESS &&
                    ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_ON) == LDAP_OPT_SUCCESS &&
                    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &connect_limit) == LDAP_OPT_SUCCESS &&
                    // A limit for any synchronous wait libldap makes on its
                    // own; every exchange below has its own limit.
                    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &connect_limit) == LDAP_OPT_SUCCESS &&
                    ldap_set_option(ld, LDAP_OPT_CONNECT_CB, &connection->callbacks_) == LDAP_OPT_SUCCESS;
  if (options_ok && uses_tls(uri, options)) options_ok = set_tls_options(ld, options);
  if (!options_ok) {
    status = {LDAP_LOCAL_ERROR, "cannot set the connection options for " + uri +
                                    (options.ca_file.empty() ? std::string() : " (is ca_file a PEM file?)")};
    return nullptr;
  }
  if (Clock::now() >= limit) {
    status = timed_out("connect to " + uri);
    return nullptr;
  }
  status = connection->connect_within(uri, options.starttls, limit);
  if (!status.ok()) return nullptr;
  return connection;
}

Status Connection::connect_within(const std::string& uri, bool starttls, Clock::time_point limit) {
  ConnectWatch watch(limit);
  watch_.store(&watch);
  Status status;
  if (const int rc = ldap_connect(handle_.get()); rc != LDAP_SUCCESS) {
    status = handle_error("connect to " + uri);
    status.code = rc;
  } else if (starttls) {
    status = start_tls(limit);
    if (!status.ok()) status.text = "StartTLS with " + uri + ": " + status.text;
  }
  watch_.store(nullptr);
  if (watch.fired() && !status.ok()) status = timed_out("connect to " + uri + " (TCP, TLS)");
  return status;
}

Status Connection::start_tls(Clock::time_point deadline) {
  LDAP* ld = handle_.get();
  int msgid = -1;
  if (ldap_start_tls(ld, nullptr, nullptr, &msgid) != LDAP_SUCCESS) return handle_error("StartTLS request");
  int code = LDAP_OTHER;
  std::string described;
  if (Status status = result_of(msgid, deadline, "StartTLS answer", code, described); !status.ok()) return status;
  // A server that refuses StartTLS is up but unusable with this
  // configuration; trying another one is the best that can be done.
  if (code != LDAP_SUCCESS) return {LDAP_CONNECT_ERROR, "server refused StartTLS: " + described};
  if (ldap_install_tls(ld) != LDAP_SUCCESS) {
    Status status = handle_error("TLS handshake (is the server's certificate trusted by ca_file?)");
    status.code = LDAP_CONNECT_ERROR;
    return status;
  }
  return {};
}

Status Connection::wait(int msgid, Clock::time_point deadline, LDAPMessage*& result) {
  result = nullptr;
  const auto left = deadline - Clock::now();
  if (left <= Clock::duration::zero()) return timed_out("LDAP request");
  timeval limit = to_timeval(left);
  const int rc = ldap_result(handle_.get(), msgid, LDAP_MSG_ALL, &limit, &result);
  if (rc == 0) return timed_out("LDAP request");
  if (rc < 0 || result == nullptr) {
    Status status = handle_error("LDAP request");
    if (status.code == LDAP_SUCCESS) status.code = LDAP_SERVER_DOWN;
    return status;
  }
  return {};
}

Status Connection::result_of(int msgid, Clock::time_point deadline, const char* what, int& code,
                             std::string& described) {
  LDAPMessage* raw = nullptr;
  if (Status status = wait(msgid, deadline, raw); !status.ok()) return status;
  Message result(raw);
  code = LDAP_OTHER;
  char* diagnostic = nullptr;
  if (ldap_parse_result(handle_.get(), result.get(), &code, nullptr, &diagnostic, nullptr, nullptr, 0) != LDAP_SUCCESS)
    return handle_error(what);
  LdapText owned(diagnostic);
  described = describe(code, diagnostic);
  return {};
}

Status Connection::simple_bind(const std::string& dn, std::string_view password, Clock::time_point deadline) {
  if (!dn.empty() && password.empty())
    return {LDAP_UNWILLING_TO_PERFORM, "bind with a DN and an empty password refused before sending"};
  LDAP* ld = handle_.get();
  berval credentials{static_cast<ber_len_t>(password.size()), const_cast<char*>(password.data())};
  int msgid = -1;
  if (ldap_sasl_bind(ld, dn.c_str(), LDAP_SASL_SIMPLE, &credentials, nullptr, nullptr, &msgid) != LDAP_SUCCESS)
    return handle_error("bind request");
  int code = LDAP_OTHER;
  std::string described;
  if (Status status = result_of(msgid, deadline, "bind answer", code, described); !status.ok()) return status;
  if (code == LDAP_SUCCESS) return {};
  return {code, "bind: " + described};
}

Status Connection::search(const SearchRequest& request, Clock::time_point deadline,
                          std::vector<FoundEntry>& entries) {
  entries.clear();
  LDAP* ld = handle_.get();
  const auto left = deadline - Clock::now();
  if (left <= Clock::duration::zero()) return timed_out("search");
  // The server's own limit is in whole seconds; the wait below is exact.
  timeval server_limit{static_cast<time_t>(std::chrono::ceil<std::chrono::seconds>(left).count()), 0};
  std::string attribute = request.attribute;
  char no_attributes[] = LDAP_NO_ATTRS;
  char* attributes[] = {attribute.empty() ? no_attributes : attribute.data(), nullptr};
  int msgid = -1;
  if (ldap_search_ext(ld, request.base.c_str(), request.scope, request.filter.c_str(), attributes, 0, nullptr,
                      nullptr, &server_limit, 2, &msgid) != LDAP_SUCCESS)
    return handle_error("search request");
  LDAPMessage* raw = nullptr;
  if (Status status = wait(msgid, deadline, raw); !status.ok()) return status;
  Message result(raw);

  for (LDAPMessage* entry = ldap_first_entry(ld, result.get()); entry != nullptr;
       entry = ldap_next_entry(ld, entry)) {
    FoundEntry found;
    LdapText dn(ldap_get_dn(ld, entry));
    if (dn) found.dn = dn.get();
    if (!attribute.empty()) {
      Values values(ldap_get_values_len(ld, entry, attribute.c_str()));
      if (values) {
        for (berval** value = values.get(); *value != nullptr; ++value)
          found.values.emplace_back(std::string_view((*value)->bv_val, (*value)->bv_len));
      }
    }
    entries.push_back(std::move(found));
  }
  int code = LDAP_OTHER;
  char* diagnostic = nullptr;
  if (ldap_parse_result(ld, result.get(), &code, nullptr, &diagnostic, nullptr, nullptr, 0) != LDAP_SUCCESS)
    return handle_error("search answer");
  LdapText owned(diagnostic);
  // The size limit of two was hit: the entries show the ambiguity.
  if (code == LDAP_SUCCESS || (code == LDAP_SIZELIMIT_EXCEEDED && entries.size() > 1)) return {};
  return {code, "search: " + describe(code, diagnostic)};
}

}  // namespace authd::ldap
