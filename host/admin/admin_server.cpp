#include "host/admin/admin_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>

#include "base/fd.hpp"
#include "host/login/client_addresses.hpp"
#include "protocol/line_reader.hpp"
#include "protocol/quoting.hpp"

namespace authd::host::admin {

namespace {

using Clock = std::chrono::steady_clock;

// How soon a connection waiting to log in notices that it was replaced.
constexpr std::chrono::milliseconds replace_check_interval{100};

template <typename T>
Answer with_array(const Result<std::vector<T>>& result) {
  if (!result.ok()) return from_status(result.status);
  Value array = Value::array();
  for (const auto& item : result.value) array.items.push_back(Value::string(item));
  return with_data(std::move(array));
}

// The settings as a dictionary: those held at `origin` only (what CGP's
// Get*Settings shows: the level's own values), or every effective one
// (`origin` empty). Secrets (Password) are never shown.
Answer with_settings(const Result<std::vector<SettingView>>& result, std::string_view origin) {
  if (!result.ok()) return from_status(result.status);
  Value dictionary = Value::dictionary();
  for (const auto& view : result.value) {
    const auto* spec = find_setting(view.name);
    if (spec == nullptr || spec->secret) continue;
    if (!origin.empty() && view.origin != origin) continue;
    dictionary.entries.emplace_back(view.name, Value::string(view.value));
  }
  return with_data(std::move(dictionary));
}

}  // namespace

Session::Session(Host& host, std::string client_address, StatisticsSource extra, Logger log)
    : host_(host), client_address_(std::move(client_address)), extra_(std::move(extra)), log_(std::move(log)) {}

// No <...> in it: CLI.pm would answer it with APOP, which needs a clear-text
// password the host usually does not keep; without it, CLI.pm sends USER and PASS.
Answer Session::greeting() { return ok("authhost CLI ready"); }

Answer Session::handle(std::string_view line) {
  try {
    return handle_command(line);
  } catch (const std::exception& e) {
    if (log_) log_(std::string("admin: internal error: ") + e.what());
    return temporary("internal error; the server's log says more");
  }
}

Answer Session::handle_command(std::string_view line) {
  if (closed_) return error("the connection is closed");
  const VerbInfo* info = find_verb(line.substr(0, line.find(' ')));
  if (info != nullptr && !info->before_login && !user_)
    return error("log in first: USER name@domain, then PASS password");
  Parsed parsed = parse_command(line, user_ ? std::string_view(user_->domain) : std::string_view());
  if (!parsed.command) return error(std::move(parsed.error));
  Command& command = *parsed.command;
  Answer answer;
  switch (command.verb) {
    case Verb::Quit: answer = ok("bye"); answer.close = true; break;
    case Verb::Inline: inline_data_ = true; answer = ok(); break;
    case Verb::Noop: answer = ok(); break;
    case Verb::User:
      if (user_) {
        answer = error("already logged in as " + user_->full());
      } else {
        pending_user_ = command.address;
        answer = {Code::Password, "send PASS", std::nullopt, false};
      }
      break;
    case Verb::Pass: answer = user_ ? error("already logged in as " + user_->full()) : login(command); break;
    default: answer = run(command); break;
  }
  if (log_ && command.verb != Verb::User && command.verb != Verb::Pass && command.verb != Verb::Noop)
    log_("admin " + (user_ ? user_->full() : std::string("(not logged in)")) + " from " + client_address_ + ": " +
         std::string(info != nullptr ? info->name : "?") + " -> " + std::to_string(static_cast<int>(answer.code)));
  if (answer.close) closed_ = true;
  return answer;
}

Answer Session::login(Command& command) {
  if (!pending_user_) return error("send USER name@domain first");
  LoginRequest request;
  request.name = *std::exchange(pending_user_, std::nullopt);
  request.secret = std::move(command.password);
  request.client_address = client_address_;
  const LoginResult result = host_.login(request);
  if (log_)
    log_("admin login " + printable(request.name, 80) + " from " + client_address_ + ": " +
         std::string(login_status_name(result.status)));
  switch (result.status) {
    case LoginStatus::Accepted:
      user_ = parse_address(result.account);
      if (user_) return ok(std::string(login_text::accepted));
      return temporary(std::string(login_text::temporary));
    case LoginStatus::TempFail: return temporary(result.text);
    case LoginStatus::AddressRefused: {
      Answer answer = error(result.text);
      answer.close = true;
      return answer;
    }
    case LoginStatus::Rejected: break;
  }
  Answer answer = error(result.text);
  if (++failed_logins_ >= max_failed_logins) answer.close = true;
  return answer;
}

Answer Session::create_account(const Command& c) {
  const Address& me = *user_;
  // No other settings: one step.
  if (c.changes.empty())
    return from_status(host_.create_account(me, c.address, c.has_password ? &c.password : nullptr));
  // With settings: the account, then its settings (PasswordEncryption
  // first), then its password; undone if a step fails, so that a refused
  // dictionary leaves no account behind.
  if (Status s = host_.create_account(me, c.address, nullptr); !s.ok()) return from_status(s);
  Status s = c.changes.empty() ? Status::success() : host_.update_settings(me, {c.domain, c.account}, c.changes);
  if (s.ok() && c.has_password) s = host_.set_password(me, c.address, c.password);
  if (!s.ok()) {
    if (const Status undo = host_.delete_account(me, c.address); !undo.ok() && log_)
      log_("admin: the account " + c.address + " could not be removed after a failed CREATEACCOUNT: " + undo.message);
  }
  return from_status(s);
}

Answer Session::update_account_settings(const Command& c) {
  const Address& me = *user_;
  SettingChanges changes = c.changes;
  if (c.remove_password) changes.emplace(std::string(setting::password), std::nullopt);
  if (!changes.empty()) {
    if (Status s = host_.update_settings(me, {c.domain, c.account}, changes); !s.ok()) return from_status(s);
  }
  // The password after the other settings: a PasswordEncryption given in
  // the same dictionary decides how it is stored.
  if (c.has_password) return from_status(host_.set_password(me, c.address, c.password));
  return ok();
}

Answer Session::create_domain(const Command& c) {
  const Address& me = *user_;
  if (Status s = host_.create_domain(me, c.domain); !s.ok() || c.changes.empty()) return from_status(s);
  const Status s = host_.update_settings(me, {c.domain, ""}, c.changes);
  if (!s.ok()) {
    if (const Status undo = host_.delete_domain(me, c.domain); !undo.ok() && log_)
      log_("admin: the domain " + c.domain + " could not be removed after a failed CREATEDOMAIN: " + undo.message);
  }
  return from_status(s);
}

Answer Session::run(const Command& c) {
  const Address& me = *user_;
  switch (c.verb) {
    case Verb::CreateDomain: return create_domain(c);
    case Verb::DeleteDomain: return from_status(host_.delete_domain(me, c.domain));
    case Verb::ListDomains: return with_array(host_.list_domains(me));
    case Verb::CreateAccount: return create_account(c);
    case Verb::DeleteAccount: return from_status(host_.delete_account(me, c.address));
    case Verb::ListAccounts: {
      // CGP's form: a dictionary of account names and their types; every
      // account of the host is of one kind, CGP's multi-mailbox "macnt".
      const auto accounts = host_.list_accounts(me, c.domain);
      if (!accounts.ok()) return from_status(accounts.status);
      Value dictionary = Value::dictionary();
      for (const auto& name : accounts.value) dictionary.entries.emplace_back(name, Value::string("macnt"));
      return with_data(std::move(dictionary));
    }
    case Verb::SetAccountPassword: return from_status(host_.set_password(me, c.address, c.password));
    case Verb::GetAccountSettings: return with_settings(host_.get_settings(me, {c.domain, c.account}), "account");
    case Verb::GetAccountEffectiveSettings: return with_settings(host_.get_settings(me, {c.domain, c.account}), "");
    case Verb::UpdateAccountSettings: return update_account_settings(c);
    case Verb::GetAccountRights: {
      const auto rights = host_.get_rights(me, c.address);
      if (!rights.ok()) return from_status(rights.status);
      Value array = Value::array();
      for (const Right r : {Right::ModifyAccessRights, Right::ModifyUserAccounts, Right::ModifyServerSettings,
                            Right::MonitorServer, Right::ModifyThisDomain})
        if (rights.value.holds(r)) array.items.push_back(Value::string(std::string(right_name(r))));
      return with_data(std::move(array));
    }
    case Verb::SetAccountRights: return from_status(host_.set_rights(me, c.address, c.rights));
    case Verb::GetServerSettings: return with_settings(host_.get_settings(me, {}), "");
    case Verb::UpdateServerSettings: return from_status(host_.update_settings(me, {}, c.changes));
    case Verb::GetDomainSettings: return with_settings(host_.get_settings(me, {c.domain, ""}), "domain");
    case Verb::UpdateDomainSettings: return from_status(host_.update_settings(me, {c.domain, ""}, c.changes));
    case Verb::UnlockAccount: return from_status(host_.unlock(me, c.address));
    case Verb::GetStatistics: return statistics();
    case Verb::GetDomainPki:
    case Verb::GenerateDomainKey:
    case Verb::ImportDomainKey:
    case Verb::RemoveDomainKey:
    case Verb::SelfSignDomainCertificate:
    case Verb::MakeDomainCsr:
    case Verb::SetDomainCertificate:
    case Verb::RefreshDomainCertificate:
    case Verb::RemoveDomainCertificate:
    case Verb::SetDomainCaChain:
    case Verb::RemoveDomainCaChain:
    case Verb::ExportDomainCertificate:
    case Verb::SetDomainPkiMode:
    case Verb::GetServerTrustedCerts:
    case Verb::AddServerTrustedCert:
    case Verb::RemoveServerTrustedCert:
    case Verb::GetDomainTrustedCerts:
    case Verb::AddDomainTrustedCert:
    case Verb::RemoveDomainTrustedCert:
    case Verb::CheckPki:
    case Verb::GetTestCertificate:
    case Verb::RefreshTestCertificate: return run_pki(c);
    case Verb::User:
    case Verb::Pass:
    case Verb::Quit:
    case Verb::Inline:
    case Verb::Noop: break;
  }
  return error("this command is not available after the login");
}

Answer Session::statistics() {
  const auto result = host_.statistics(*user_);
  if (!result.ok()) return from_status(result.status);
  const HostStatistics& s = result.value;
  Value dictionary = Value::dictionary();
  const auto add = [&](std::string_view name, std::uint64_t value) {
    dictionary.entries.emplace_back(std::string(name), Value::string(std::to_string(value)));
  };
  add("LoginsAccepted", s.logins_accepted);
  add("LoginsRejected", s.logins_rejected);
  add("LoginsTempFailed", s.logins_temp_failed);
  add("LoginsAddressRefused", s.logins_address_refused);
  add("Domains", static_cast<std::uint64_t>(s.domains));
  add("NamesWithFailedLogins", static_cast<std::uint64_t>(s.names_counted));
  add("NamesSuspended", static_cast<std::uint64_t>(s.names_suspended));
  add("HelperRunning", s.helper_running ? 1 : 0);
  if (s.helper_running) {
    add("HelperVersion", s.helper_version);
    add("HelperRequestsSent", s.helper_sent);
    add("HelperAnswers", s.helper_answered);
    add("HelperRequestsResent", s.helper_resent);
    add("HelperRestarts", s.helper_restarts);
  }
  if (extra_)
    for (const auto& [name, value] : extra_()) add(name, value);
  return with_data(std::move(dictionary));
}

// ---------------------------------------------------------------------------

namespace {

using base::Fd;

struct Listener {
  Fd fd;
  std::string endpoint;
};

std::string errno_text() { return std::strerror(errno); }

// A socket bound to `address` (IPv4 or IPv6 loopback) and `port`.
Listener bind_listener(const std::string& address, std::uint16_t port, std::uint16_t& bound_port) {
  const auto ip = parse_ip_address(address);
  if (!ip) throw ServerError("--listen " + address + ": not an IPv4 or IPv6 address");
  // Passwords cross this protocol in clear text: it never leaves the machine.
  if (!is_loopback(*ip))
    throw ServerError("--listen " + address +
                      ": the administration interface listens on loopback addresses only (127.0.0.1, ::1), since "
                      "it is not encrypted");
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (ip->v6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&storage);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(port);
    std::memcpy(&sa->sin6_addr, ip->bytes.data(), 16);
    length = sizeof *sa;
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&storage);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    std::memcpy(&sa->sin_addr, ip->bytes.data(), 4);
    length = sizeof *sa;
  }
  Fd fd(::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) throw ServerError("--listen " + address + ": cannot create a socket: " + errno_text());
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ip->v6) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0)
    throw ServerError("--listen " + address + " port " + std::to_string(port) + ": cannot bind: " + errno_text());
  if (::listen(fd.get(), 64) != 0) throw ServerError("--listen " + address + ": cannot listen: " + errno_text());
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&storage), &length) != 0)
    throw ServerError("--listen " + address + ": getsockname: " + errno_text());
  bound_port = ntohs(ip->v6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                            : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  const std::string shown = ip->v6 ? "[" + address + "]" : address;
  return {std::move(fd), shown + ":" + std::to_string(bound_port)};
}

std::string peer_address(const sockaddr_storage& peer) {
  char text[INET6_ADDRSTRLEN] = {};
  if (peer.ss_family == AF_INET6)
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&peer)->sin6_addr, text, sizeof text);
  else
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&peer)->sin_addr, text, sizeof text);
  return text;
}

bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

struct Server::Impl {
  struct Connection {
    std::thread thread;
    std::atomic<bool> done{false};
    // Guarded by Impl::mutex: the socket while the thread serves it (-1
    // once closed), and what the accept loop needs to choose whom to close.
    Fd fd;
    std::string peer;
    Clock::time_point started;
    bool logged_in = false;
    bool replaced = false;  // closed to make room: the thread says so and ends
  };

  Impl(Host& h, ServerOptions o, Logger l) : host(h), options(std::move(o)), log(std::move(l)) {}

  void log_line(std::string_view line) const {
    if (log) log(line);
  }

  void accept_loop();
  void admit(Fd fd, std::string peer);
  void serve(Connection& connection, int fd);
  void reap(bool all);
  // The oldest connection not logged in: of `peer` when `same_peer`.
  Connection* oldest_waiting(const std::string& peer, bool same_peer);
  void replace(Connection& connection);

  Host& host;
  ServerOptions options;
  Logger log;
  std::vector<Listener> listeners;
  std::uint16_t port = 0;
  Fd wake_read, wake_write;  // readable once stop() was called: wakes every poll
  std::atomic<bool> stopping{false};
  std::thread acceptor;
  std::mutex mutex;  // connections and the guarded members of each
  std::list<Connection> connections;
  std::atomic<std::uint64_t> served{0}, refused_busy{0}, replaced_prelogin{0}, login_timeouts{0}, open{0},
      commands{0};
  std::once_flag stopped;
};

Server::Server(Host& host, ServerOptions options, Logger log)
    : impl_(std::make_unique<Impl>(host, std::move(options), std::move(log))) {
  if (impl_->options.listen.empty()) throw ServerError("no address to listen on");
  if (impl_->options.max_connections == 0) throw ServerError("max_connections must be at least 1");
  if (impl_->options.max_prelogin_per_address == 0) throw ServerError("max_prelogin_per_address must be at least 1");
  std::uint16_t port = impl_->options.port;
  for (const auto& address : impl_->options.listen) {
    std::uint16_t bound = 0;
    impl_->listeners.push_back(bind_listener(address, port, bound));
    // With port 0, the later addresses take the port the first one got.
    port = bound;
  }
  impl_->port = port;
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) throw ServerError("cannot create a pipe: " + errno_text());
  impl_->wake_read = Fd(pipe_fds[0]);
  impl_->wake_write = Fd(pipe_fds[1]);
  impl_->acceptor = std::thread([impl = impl_.get()] { impl->accept_loop(); });
}

Server::~Server() { stop(); }

std::uint16_t Server::port() const noexcept { return impl_->port; }

std::vector<std::string> Server::endpoints() const {
  std::vector<std::string> out;
  for (const auto& l : impl_->listeners) out.push_back(l.endpoint);
  return out;
}

ServerStats Server::stats() const {
  return {impl_->served.load(),           impl_->refused_busy.load(), impl_->replaced_prelogin.load(),
          impl_->login_timeouts.load(),   impl_->open.load(),         impl_->commands.load()};
}

void Server::stop() {
  std::call_once(impl_->stopped, [this] {
    impl_->stopping = true;
    const char byte = 1;
    [[maybe_unused]] const auto n = ::write(impl_->wake_write.get(), &byte, 1);
    if (impl_->acceptor.joinable()) impl_->acceptor.join();
    for (auto& l : impl_->listeners) l.fd.reset();
    impl_->reap(true);
  });
}

void Server::Impl::reap(bool all) {
  std::list<Connection> finished;
  {
    std::lock_guard lock(mutex);
    for (auto it = connections.begin(); it != connections.end();) {
      auto next = std::next(it);
      if (all || it->done) finished.splice(finished.end(), connections, it);
      it = next;
    }
  }
  for (auto& c : finished) c.thread.join();
}

Server::Impl::Connection* Server::Impl::oldest_waiting(const std::string& peer, bool same_peer) {
  Connection* oldest = nullptr;
  for (auto& c : connections) {
    if (c.done || c.logged_in || c.replaced || !c.fd) continue;
    if (same_peer && c.peer != peer) continue;
    if (oldest == nullptr || c.started < oldest->started) oldest = &c;
  }
  return oldest;
}

// The connection's thread sees the mark within a poll slice, answers why
// and closes, unless its login succeeded meanwhile (the login is kept: one
// connection too many for as long as it stays).
void Server::Impl::replace(Connection& connection) {
  connection.replaced = true;
  ++replaced_prelogin;
}

void Server::Impl::accept_loop() {
  std::vector<pollfd> fds;
  for (const auto& l : listeners) fds.push_back({l.fd.get(), POLLIN, 0});
  fds.push_back({wake_read.get(), POLLIN, 0});
  while (!stopping) {
    for (auto& p : fds) p.revents = 0;
    if (::poll(fds.data(), fds.size(), 1000) < 0 && errno != EINTR) {
      log_line("admin: poll: " + errno_text());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    reap(false);
    if (stopping) break;
    for (std::size_t i = 0; i + 1 < fds.size(); ++i) {
      if ((fds[i].revents & POLLIN) == 0) continue;
      sockaddr_storage peer{};
      socklen_t length = sizeof peer;
      Fd fd(::accept4(fds[i].fd, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_CLOEXEC));
      if (fd.get() < 0) continue;  // the peer went away meanwhile, or out of descriptors: try again later
      const timeval send_timeout{static_cast<time_t>(options.send_timeout.count() / 1000),
                                 static_cast<suseconds_t>(options.send_timeout.count() % 1000 * 1000)};
      ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
      admit(std::move(fd), peer_address(peer));
    }
  }
}

void Server::Impl::admit(Fd fd, std::string peer) {
  std::lock_guard lock(mutex);
  std::size_t live = 0, waiting_here = 0;
  for (const auto& c : connections) {
    if (c.done || c.replaced) continue;  // a replaced one is on its way out: its slot is free
    ++live;
    if (!c.logged_in && c.peer == peer) ++waiting_here;
  }
  // One address's waiting connections: the newest ones count.
  if (waiting_here >= options.max_prelogin_per_address) {
    if (Connection* oldest = oldest_waiting(peer, true)) {
      replace(*oldest);
      --live;
    }
  }
  // A full server makes room by closing a connection that has not logged in.
  if (live >= options.max_connections) {
    Connection* oldest = oldest_waiting(peer, true);
    if (oldest == nullptr) oldest = oldest_waiting(peer, false);
    if (oldest == nullptr) {
      ++refused_busy;
      send_all(fd.get(), format_answer(temporary("busy: " + std::to_string(options.max_connections) +
                                                 " connections are open and logged in already; try again later")));
      log_line("admin: connection from " + peer + " refused: busy");
      return;
    }
    replace(*oldest);
  }
  ++served;
  ++open;
  auto& connection = connections.emplace_back();
  connection.fd = std::move(fd);
  connection.peer = std::move(peer);
  connection.started = Clock::now();
  connection.thread = std::thread([this, &connection] {
    int fd = -1;
    {
      std::lock_guard lock(mutex);
      fd = connection.fd.get();
    }
    serve(connection, fd);
    {
      std::lock_guard lock(mutex);
      connection.fd.reset();
    }
    --open;
    connection.done = true;
  });
}

void Server::Impl::serve(Connection& connection, int fd) {
  Session session(
      host, connection.peer,
      [this] {
        return std::vector<std::pair<std::string, std::uint64_t>>{
            {"AdminConnections", served.load()},
            {"AdminConnectionsOpen", open.load()},
            {"AdminConnectionsRefusedBusy", refused_busy.load()},
            {"AdminConnectionsReplacedBeforeLogin", replaced_prelogin.load()},
            {"AdminLoginTimeouts", login_timeouts.load()},
            {"AdminCommands", commands.load()}};
      },
      [this](std::string_view line) { log_line(line); });
  const auto send = [&](const Answer& answer) { return send_all(fd, format_answer(answer, session.inline_data())); };
  if (!send(Session::greeting())) return;
  // It may hold a password: the reader wipes what it hands out, and the rest
  // when it goes.
  protocol::LineReader reader(max_line_length);
  const std::string too_long = "line too long (the limit is " + std::to_string(max_line_length) + " bytes); closing";
  const auto login_deadline = Clock::now() + options.login_timeout;
  auto idle_deadline = Clock::now() + options.idle_timeout;
  const auto was_replaced = [&] {
    std::lock_guard lock(mutex);
    return connection.replaced;
  };
  for (;;) {
    if (const auto line = reader.next()) {
      Answer answer = line->overlong ? Answer{Code::Error, too_long, std::nullopt, true} : session.handle(line->text);
      ++commands;
      if (session.user() && !connection.logged_in) {
        std::lock_guard lock(mutex);
        // Replaced while its login ran: it stays (the slot was given away, one
        // connection too many for a moment, and the login must not be lost).
        connection.logged_in = true;
      }
      if (!send(answer) || answer.close) return;
      if (stopping) {
        send(temporary("server shutting down"));
        return;
      }
      idle_deadline = Clock::now() + options.idle_timeout;
      continue;
    }
    if (reader.in_overlong_line() || reader.pending_bytes() > max_line_length) {
      send(error(too_long));
      return;
    }
    const auto now = Clock::now();
    if (!session.user() && now >= login_deadline) {
      ++login_timeouts;
      send(temporary("no login within " + std::to_string(options.login_timeout.count() / 1000) +
                     " seconds; closing"));
      return;
    }
    if (now >= idle_deadline) {
      send(temporary("idle for too long; closing"));
      return;
    }
    if (!session.user() && was_replaced()) {
      send(temporary("too many connections waiting to log in; closing the oldest"));
      return;
    }
    // Before the login, in short slices: a mark of replace() is seen soon.
    const auto deadline = session.user() ? idle_deadline : std::min(idle_deadline, login_deadline);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    const long long slice = session.user() ? 60000 : replace_check_interval.count();
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_read.get(), POLLIN, 0}};
    const int ready = ::poll(fds, 2, static_cast<int>(std::min<long long>(left, slice)));
    if (ready < 0 && errno != EINTR) return;
    if (fds[1].revents & POLLIN) {
      send(temporary("server shutting down"));
      return;
    }
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    const auto space = reader.prepare(4096);
    const ssize_t n = ::recv(fd, space.data(), space.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    reader.commit(static_cast<std::size_t>(n));
  }
}

}  // namespace authd::host::admin
