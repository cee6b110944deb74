#include "host/admin_server.hpp"

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

#include "host/client_addresses.hpp"
#include "protocol/quoting.hpp"

namespace authd::host::admin {

namespace {

using Clock = std::chrono::steady_clock;

std::string data_line(std::string_view item) { return protocol::quote_argument(item); }

template <typename T>
Answer with_lines(const Result<std::vector<T>>& result) {
  Answer answer = from_status(result.status);
  if (result.ok())
    for (const auto& item : result.value) answer.data.push_back(data_line(item));
  return answer;
}

Answer with_settings(const Result<std::vector<SettingView>>& result) {
  Answer answer = from_status(result.status);
  if (result.ok())
    for (const auto& view : result.value) answer.data.push_back(setting_line(view));
  return answer;
}

}  // namespace

Session::Session(Host& host, std::string client_address, StatisticsSource extra, Logger log)
    : host_(host), client_address_(std::move(client_address)), extra_(std::move(extra)), log_(std::move(log)) {}

Answer Session::greeting() { return ok("authhost ready"); }

Answer Session::handle(std::string_view line) {
  if (closed_) return error("the connection is closed");
  const VerbInfo* info = find_verb(line.substr(0, line.find(' ')));
  if (info != nullptr && !info->before_login && !user_)
    return error("log in first: USER name@domain, then PASS password");
  Parsed parsed = parse_command(line);
  if (!parsed.command) return error(std::move(parsed.error));
  Command& command = *parsed.command;
  Answer answer;
  switch (command.verb) {
    case Verb::Quit: answer = ok("bye"); answer.close = true; break;
    case Verb::User:
      if (user_) {
        answer = error("already logged in as " + user_->full());
      } else {
        pending_user_ = command.address;
        answer = ok("send PASS");
      }
      break;
    case Verb::Pass: answer = user_ ? error("already logged in as " + user_->full()) : login(command); break;
    default: answer = run(command); break;
  }
  if (log_ && command.verb != Verb::User && command.verb != Verb::Pass)
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

Answer Session::run(const Command& c) {
  const Address& me = *user_;
  switch (c.verb) {
    case Verb::CreateDomain: return from_status(host_.create_domain(me, c.domain));
    case Verb::DeleteDomain: return from_status(host_.delete_domain(me, c.domain));
    case Verb::ListDomains: return with_lines(host_.list_domains(me));
    case Verb::CreateAccount:
      return from_status(host_.create_account(me, c.address, c.has_password ? &c.password : nullptr));
    case Verb::DeleteAccount: return from_status(host_.delete_account(me, c.address));
    case Verb::ListAccounts: return with_lines(host_.list_accounts(me, c.domain));
    case Verb::SetAccountPassword: return from_status(host_.set_password(me, c.address, c.password));
    case Verb::GetAccountSettings: return with_settings(host_.get_settings(me, {c.domain, c.account}));
    case Verb::UpdateAccountSettings: return from_status(host_.update_settings(me, {c.domain, c.account}, c.changes));
    case Verb::GetAccountRights: {
      const auto rights = host_.get_rights(me, c.address);
      Answer answer = from_status(rights.status);
      if (rights.ok()) answer.data.push_back(protocol::quote_argument(format_rights(rights.value)));
      return answer;
    }
    case Verb::SetAccountRights: return from_status(host_.set_rights(me, c.address, c.rights));
    case Verb::GetServerSettings: return with_settings(host_.get_settings(me, {}));
    case Verb::UpdateServerSettings: return from_status(host_.update_settings(me, {}, c.changes));
    case Verb::GetDomainSettings: return with_settings(host_.get_settings(me, {c.domain, ""}));
    case Verb::UpdateDomainSettings: return from_status(host_.update_settings(me, {c.domain, ""}, c.changes));
    case Verb::UnlockAccount: return from_status(host_.unlock(me, c.address));
    case Verb::GetStatistics: return statistics();
    case Verb::User:
    case Verb::Pass:
    case Verb::Quit: break;
  }
  return error("this command is not available after the login");
}

Answer Session::statistics() {
  const auto result = host_.statistics(*user_);
  Answer answer = from_status(result.status);
  if (!result.ok()) return answer;
  const HostStatistics& s = result.value;
  const auto add = [&](std::string_view name, std::uint64_t value) {
    answer.data.push_back(value_line(name, std::to_string(value)));
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
  return answer;
}

// ---------------------------------------------------------------------------

namespace {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

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
  };

  Impl(Host& h, ServerOptions o, Logger l) : host(h), options(std::move(o)), log(std::move(l)) {}

  void log_line(std::string_view line) const {
    if (log) log(line);
  }

  void accept_loop();
  void serve(int fd, std::string peer);
  void reap(bool all);

  Host& host;
  ServerOptions options;
  Logger log;
  std::vector<Listener> listeners;
  std::uint16_t port = 0;
  Fd wake_read, wake_write;  // readable once stop() was called: wakes every poll
  std::atomic<bool> stopping{false};
  std::thread acceptor;
  std::mutex mutex;  // connections
  std::list<Connection> connections;
  std::atomic<std::uint64_t> served{0}, refused_busy{0}, open{0}, commands{0};
  std::once_flag stopped;
};

Server::Server(Host& host, ServerOptions options, Logger log)
    : impl_(std::make_unique<Impl>(host, std::move(options), std::move(log))) {
  if (impl_->options.listen.empty()) throw ServerError("no address to listen on");
  if (impl_->options.max_connections == 0) throw ServerError("max_connections must be at least 1");
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
  return {impl_->served.load(), impl_->refused_busy.load(), impl_->open.load(), impl_->commands.load()};
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
      std::lock_guard lock(mutex);
      if (connections.size() >= options.max_connections) {
        ++refused_busy;
        send_all(fd.get(), format_answer(temporary("busy: " + std::to_string(options.max_connections) +
                                                   " connections are open already; try again later")));
        log_line("admin: connection from " + peer_address(peer) + " refused: busy");
        continue;
      }
      ++served;
      ++open;
      auto& connection = connections.emplace_back();
      connection.thread = std::thread([this, &connection, raw = fd.release(), address = peer_address(peer)] {
        const Fd owned(raw);
        serve(owned.get(), address);
        --open;
        connection.done = true;
      });
    }
  }
}

void Server::Impl::serve(int fd, std::string peer) {
  Session session(
      host, peer,
      [this] {
        return std::vector<std::pair<std::string, std::uint64_t>>{{"AdminConnections", served.load()},
                                                                  {"AdminConnectionsOpen", open.load()},
                                                                  {"AdminConnectionsRefusedBusy", refused_busy.load()},
                                                                  {"AdminCommands", commands.load()}};
      },
      [this](std::string_view line) { log_line(line); });
  if (!send_all(fd, format_answer(Session::greeting()))) return;
  std::string buffer;
  // The buffer may hold a password: wiped as it is consumed and at the end.
  struct Wipe {
    std::string& b;
    ~Wipe() { wipe_memory(b.data(), b.size()); }
  } wipe{buffer};
  auto deadline = Clock::now() + options.idle_timeout;
  char chunk[4096];
  for (;;) {
    const auto newline = buffer.find('\n');
    if (newline != std::string::npos) {
      std::string_view line(buffer.data(), newline);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      Answer answer = line.size() > max_line_length
                          ? Answer{Code::Error, "line too long (the limit is " + std::to_string(max_line_length) +
                                                    " bytes); closing", {}, true}
                          : session.handle(line);
      ++commands;
      wipe_memory(buffer.data(), newline + 1);
      buffer.erase(0, newline + 1);
      if (!send_all(fd, format_answer(answer)) || answer.close) return;
      if (stopping) {
        send_all(fd, format_answer(temporary("server shutting down")));
        return;
      }
      deadline = Clock::now() + options.idle_timeout;
      continue;
    }
    if (buffer.size() > max_line_length) {
      send_all(fd, format_answer(error("line too long (the limit is " + std::to_string(max_line_length) +
                                       " bytes); closing")));
      return;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      send_all(fd, format_answer(temporary("idle for too long; closing")));
      return;
    }
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_read.get(), POLLIN, 0}};
    const int ready = ::poll(fds, 2, static_cast<int>(std::min<long long>(left, 60000)));
    if (ready < 0 && errno != EINTR) return;
    if (fds[1].revents & POLLIN) {
      send_all(fd, format_answer(temporary("server shutting down")));
      return;
    }
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    buffer.append(chunk, static_cast<std::size_t>(n));
    wipe_memory(chunk, static_cast<std::size_t>(n));
  }
}

}  // namespace authd::host::admin
