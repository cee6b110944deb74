#include "host/fronts/front_server.hpp"

#include <openssl/err.h>
#include <pthread.h>

#include <csignal>
#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_set>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>

#include "base/secret.hpp"
#include "host/fronts/tls.hpp"
#include "host/host.hpp"

namespace authd::host::fronts {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

std::optional<FrontSpec> parse_front_spec(std::string_view text, std::string& error) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos) {
    error = "'" + std::string(text) + "' is not PROTO=ADDRESS:PORT (PROTO: pop3, pop3s, imap, imaps, submission, smtps)";
    return std::nullopt;
  }
  const auto kind = parse_front_kind(text.substr(0, eq));
  if (!kind) {
    error = "'" + std::string(text.substr(0, eq)) + "' is not a front: pop3, pop3s, imap, imaps, submission or smtps";
    return std::nullopt;
  }
  const std::string_view where = text.substr(eq + 1);
  const auto colon = where.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    error = "'" + std::string(where) + "' is not ADDRESS:PORT";
    return std::nullopt;
  }
  std::string address(where.substr(0, colon));
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') address = address.substr(1, address.size() - 2);
  const std::string_view port_text = where.substr(colon + 1);
  unsigned port = 0;
  bool port_ok = !port_text.empty() && port_text.size() <= 5;
  for (const char c : port_text) {
    if (c < '0' || c > '9') port_ok = false;
    else port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (!port_ok || port > 65535) {
    error = "'" + std::string(port_text) + "' is not a port (0 to 65535)";
    return std::nullopt;
  }
  error_code ec;
  asio::ip::make_address(address, ec);
  if (ec) {
    error = "'" + address + "' is not an IPv4 or IPv6 address";
    return std::nullopt;
  }
  return FrontSpec{*kind, address, static_cast<std::uint16_t>(port)};
}

namespace {

std::string endpoint_text(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

std::string_view reject_why_name(RejectWhy why) {
  switch (why) {
    case RejectWhy::None: return "";
    case RejectWhy::UnknownName: return "unknown name";
    case RejectWhy::WrongPassword: return "wrong password";
    case RejectWhy::Suspended: return "suspended";
    case RejectWhy::SecureMethodRequired: return "secure method required";
    case RejectWhy::Unavailable: return "unavailable";
  }
  return "";
}

}  // namespace

class Connection;

struct Loop {
  asio::io_context io{1};
  // Every read of this loop's connections lands here first and is copied
  // to the connection's own input at once: an idle connection holds no
  // read buffer.
  std::array<char, 16 * 1024> buffer{};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::thread thread;
  // Touched on this loop's thread only.
  std::unordered_set<std::shared_ptr<Connection>> connections;
};

struct Listener {
  FrontSpec spec;
  tcp::acceptor acceptor;
  std::string endpoint;
};

struct FrontServer::Impl {
  Impl(Host& h, FrontOptions o, Logger l) : host(h), options(std::move(o)), log(std::move(l)), tls(h, log),
                                            login_pool(std::max<std::size_t>(1, options.login_threads)) {}

  void accept(Listener& listener);
  void release_address(const std::string& address) {
    std::lock_guard lock(addresses_mutex);
    const auto it = per_address.find(address);
    if (it != per_address.end() && --it->second == 0) per_address.erase(it);
  }
  void note(std::string_view line) const {
    if (log) log(line);
  }

  Host& host;
  FrontOptions options;
  Logger log;
  TlsContexts tls;
  std::vector<std::unique_ptr<Loop>> loops;
  std::vector<std::unique_ptr<Listener>> listeners;
  asio::thread_pool login_pool;
  std::atomic<std::size_t> next_loop{0};
  std::mutex addresses_mutex;
  std::map<std::string, std::size_t, std::less<>> per_address;
  std::atomic<bool> stopping{false};
  Clock::time_point last_refusal_logged{};  // on the first loop's thread only (the listeners')
  std::mutex stop_mutex;
  bool stopped = false;
  std::atomic<std::uint64_t> connections{0}, open{0}, refused{0}, handshake_failures{0}, timeouts{0}, logins{0};
};

// One client connection, on one loop for its whole life: every member is
// touched on that loop's thread only (a login's result is posted back).
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(FrontServer::Impl& server, Loop& loop, tcp::socket socket, FrontKind kind, std::string address)
      : server_(server), loop_(loop), socket_(std::move(socket)), kind_(kind), deadline_(loop.io), hold_(loop.io) {
    state_.client_address = std::move(address);
    state_.server_name = server.host.main_domain();
    state_.domain = server.host.main_domain();
    session_ = make_session(kind.protocol, state_, server.options.limits);
  }

  ~Connection() { wipe_input(); }

  void start() {
    started_ = Clock::now();
    error_code ignored;
    socket_.non_blocking(true, ignored);
    // Answers are whole lines written at once: none should wait for the
    // client's acknowledgement of the one before (after a TLS handshake the
    // greeting follows the session tickets).
    socket_.set_option(tcp::no_delay(true), ignored);
    idle_since_ = started_;
    facts_ = server_.tls.domain(state_.domain);
    state_.cleartext_allowed = facts_->cleartext_allowed;
    state_.starttls_available = !kind_.implicit_tls && facts_->tls != nullptr;
    arm_deadline();
    if (kind_.implicit_tls) {
      start_tls();
      return;
    }
    apply(session_->greeting());
  }

  // The server stops: a farewell where the client is waiting for one.
  void shut_down() {
    if (closed_) return;
    stopping_ = true;
    if (phase_ == Phase::Reading) {
      send_then_close(session_->on_shutdown());
      return;
    }
    // An answer being written is followed by the farewell (after_write).
    if (phase_ == Phase::Writing && !farewell_) return;
    close();
  }

 private:
  enum class Phase { Idle, Reading, Writing, Handshake, Login, Closing };

  // --- the session's requests -------------------------------------------

  void apply(Output output) {
    if (closed_) return;
    next_ = output.next;
    literal_size_ = output.literal_size;
    if (output.next == Output::Next::Login) {
      login_ = std::move(output.login);
      mechanism_ = std::move(output.mechanism);
    }
    write(std::move(output.send));
  }

  void after_write() {
    if (stopping_ && !farewell_) {
      send_then_close(session_->on_shutdown());
      return;
    }
    switch (next_) {
      case Output::Next::ReadLine: next_line(); return;
      case Output::Next::ReadLiteral: next_literal(); return;
      case Output::Next::Login: run_login(); return;
      case Output::Next::StartTls:
        // Whatever the client sent after the command was sent in the clear
        // and must not be read as if it came through TLS.
        wipe_input();
        start_tls();
        return;
      case Output::Next::Close: close(); return;
    }
  }

  // --- writing ----------------------------------------------------------

  void write(std::string text) {
    if (text.empty()) {
      // Through the loop, so that a run of steps that send nothing does not
      // grow the stack. Writing (of nothing) until then: a timeout or a
      // shutdown meanwhile closes instead of starting a farewell that the
      // step would cut short.
      enter(Phase::Writing);
      asio::post(loop_.io, [self = shared_from_this()] {
        if (!self->closed_) self->after_write();
      });
      return;
    }
    out_ = std::move(text);
    written_ = 0;
    enter(Phase::Writing);
    if (!ssl_) {
      auto self = shared_from_this();
      asio::async_write(socket_, asio::buffer(out_), [self](const error_code& ec, std::size_t) {
        if (self->closed_) return;
        self->out_.clear();
        if (ec) {
          self->close();
          return;
        }
        self->after_write();
      });
      return;
    }
    write_tls();
  }

  // SSL_write is retried with the same buffer until all of it is taken.
  void write_tls() {
    while (written_ < out_.size()) {
      ERR_clear_error();
      const int n = SSL_write(ssl_.get(), out_.data() + written_, static_cast<int>(out_.size() - written_));
      if (n > 0) {
        written_ += static_cast<std::size_t>(n);
        continue;
      }
      if (!wait_for_tls(n, &Connection::write_tls)) close();
      return;
    }
    out_.clear();
    // Through the loop: a client that pipelines many commands over TLS,
    // each answer written at once, must not grow the stack.
    asio::post(loop_.io, [self = shared_from_this()] {
      if (!self->closed_) self->after_write();
    });
  }

  // After an SSL call returned `result`: wait for the socket as OpenSSL
  // asks, then call `again`; false when the connection is over.
  bool wait_for_tls(int result, void (Connection::*again)()) {
    const int error = SSL_get_error(ssl_.get(), result);
    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
      tls_error_ = error == SSL_ERROR_ZERO_RETURN ? "closed by the client"
                   : error == SSL_ERROR_SYSCALL   ? "the connection ended"
                                                  : tls_error_text();
      return false;
    }
    wait_socket(error == SSL_ERROR_WANT_READ ? tcp::socket::wait_read : tcp::socket::wait_write, again);
    return true;
  }

  void wait_socket(tcp::socket::wait_type what, void (Connection::*again)()) {
    auto self = shared_from_this();
    socket_.async_wait(what, [self, again](const error_code& ec) {
      if (self->closed_) return;
      if (ec) {
        self->close();
        return;
      }
      ((*self).*again)();
    });
  }

  static std::string tls_error_text() {
    std::string text;
    while (const unsigned long e = ERR_get_error()) {
      std::array<char, 256> buffer{};
      ERR_error_string_n(e, buffer.data(), buffer.size());
      text += (text.empty() ? "" : "; ") + std::string(buffer.data());
    }
    return text.empty() ? std::string("TLS protocol error") : text;
  }

  void send_then_close(std::string text) {
    farewell_ = true;
    next_ = Output::Next::Close;
    write(std::move(text));
  }

  // --- reading ----------------------------------------------------------

  // Reads what there is into the loop's buffer and appends it to the
  // input, then calls `then`; waits for the socket when nothing is there.
  void read_more(void (Connection::*then)()) {
    enter(Phase::Reading);
    read_then_ = then;
    read_now();
  }

  void read_now() {
    // A farewell is on its way (timeout, shutdown): nothing more is read.
    if (farewell_) return;
    auto& buffer = loop_.buffer;
    std::size_t n = 0;
    if (ssl_) {
      ERR_clear_error();
      const int r = SSL_read(ssl_.get(), buffer.data(), static_cast<int>(buffer.size()));
      if (r <= 0) {
        if (!wait_for_tls(r, &Connection::read_now)) close();
        return;
      }
      n = static_cast<std::size_t>(r);
    } else {
      error_code ec;
      n = socket_.read_some(asio::buffer(buffer), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        wait_socket(tcp::socket::wait_read, &Connection::read_now);
        return;
      }
      if (ec) {
        close();
        return;
      }
    }
    append_input(buffer.data(), n);
    wipe_memory(buffer.data(), n);
    ((*this).*read_then_)();
  }

  void next_line() {
    const std::size_t max_line = server_.options.limits.max_line;
    const auto lf = std::find(in_.begin(), in_.end(), '\n');
    if (lf == in_.end()) {
      if (in_.size() > max_line + 1) {
        wipe_input();
        apply(session_->on_line_too_long());
        return;
      }
      read_more(&Connection::next_line);
      return;
    }
    std::size_t length = static_cast<std::size_t>(lf - in_.begin());
    const std::size_t consumed = length + 1;
    if (length > 0 && in_[length - 1] == '\r') --length;
    if (length > max_line) {
      wipe_input();
      apply(session_->on_line_too_long());
      return;
    }
    std::string line(in_.data(), length);
    consume(consumed);
    idle_since_ = Clock::now();
    Output output = session_->on_line(line);
    wipe_memory(line.data(), line.size());
    apply(std::move(output));
  }

  void next_literal() {
    if (in_.size() < literal_size_) {
      read_more(&Connection::next_literal);
      return;
    }
    std::string bytes(in_.data(), literal_size_);
    consume(literal_size_);
    idle_since_ = Clock::now();
    Output output = session_->on_literal(bytes);
    wipe_memory(bytes.data(), bytes.size());
    apply(std::move(output));
  }

  // The input may hold a password: when it must grow, the old block is
  // wiped before it is freed.
  void append_input(const char* data, std::size_t n) {
    if (in_.size() + n > in_.capacity()) {
      std::vector<char> bigger;
      bigger.reserve(std::max(in_.capacity() * 2, in_.size() + n));
      bigger.assign(in_.begin(), in_.end());
      wipe_input();
      in_.swap(bigger);
    }
    in_.insert(in_.end(), data, data + n);
  }

  void consume(std::size_t n) {
    wipe_memory(in_.data(), n);
    in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(n));
  }

  void wipe_input() {
    in_.resize(in_.capacity());
    wipe_memory(in_.data(), in_.size());
    in_.clear();
    in_.shrink_to_fit();
  }

  // --- logins -----------------------------------------------------------

  void run_login() {
    enter(Phase::Login);
    login_.client_address = state_.client_address;
    login_.secure = state_.tls;
    login_.hold_answer = false;
    server_.logins.fetch_add(1, std::memory_order_relaxed);
    auto self = shared_from_this();
    asio::post(server_.login_pool, [self, request = std::move(login_)]() mutable {
      LoginResult result;
      try {
        result = self->server_.host.login(request);
      } catch (const std::exception&) {
        result.status = LoginStatus::TempFail;
        result.text = login_text::temporary;
        result.detail = "the login path failed";
      }
      request.secret.clear();
      asio::post(self->loop_.io, [self, result = std::move(result)]() mutable { self->logged(std::move(result)); });
    });
  }

  void logged(LoginResult result) {
    if (closed_) return;
    if (result.answer_at > Clock::now()) {
      // HideUnknownAccounts: every failure is answered at the same time.
      hold_.expires_at(result.answer_at);
      auto self = shared_from_this();
      hold_.async_wait([self, result = std::move(result)](const error_code& ec) mutable {
        if (ec || self->closed_) return;
        result.answer_at = {};
        self->logged(std::move(result));
      });
      return;
    }
    std::string line = std::string(front_kind_name(kind_)) + " login: " + mechanism_ + " from " +
                       state_.client_address + " (" + (state_.tls ? state_.tls_version : std::string("plain")) + ") " +
                       (result.account.empty() ? std::string("(malformed name)") : result.account) + ": " +
                       std::string(login_status_name(result.status));
    if (result.why != RejectWhy::None) line += " (" + std::string(reject_why_name(result.why)) + ")";
    server_.note(line);
    apply(session_->on_login(result));
  }

  // --- TLS --------------------------------------------------------------

  void start_tls() {
    const auto facts = server_.tls.domain(state_.domain);
    if (!facts->tls) {
      server_.note(std::string(front_kind_name(kind_)) + ": no TLS for " + state_.client_address + ": " +
                   facts->tls_error);
      close();
      return;
    }
    handshake_.domain = facts;
    ssl_.reset(TlsContexts::start_handshake(handshake_, socket_.native_handle()));
    if (!ssl_) {
      server_.note(std::string(front_kind_name(kind_)) + ": cannot start TLS: " + tls_error_text());
      close();
      return;
    }
    enter(Phase::Handshake);
    handshake_step();
  }

  void handshake_step() {
    ERR_clear_error();
    const int r = SSL_do_handshake(ssl_.get());
    if (r == 1) {
      handshaken(true);
      return;
    }
    if (!wait_for_tls(r, &Connection::handshake_step)) handshaken(false);
  }

  void handshaken(bool ok) {
    const DomainFronts& domain = *handshake_.domain;
    const std::string who = std::string(front_kind_name(kind_)) + " TLS from " + state_.client_address;
    if (!ok) {
      server_.handshake_failures.fetch_add(1, std::memory_order_relaxed);
      if (domain.log_level >= 2) {
        std::string line = who + ": handshake failed: " + tls_error_;
        if (!handshake_.certificate_problem.empty()) line += "; client certificate refused: " + handshake_.certificate_problem;
        server_.note(line);
      }
      close();
      return;
    }
    SSL* ssl = ssl_.get();
    state_.tls = true;
    state_.tls_version = SSL_get_version(ssl);
    state_.domain = domain.domain;
    state_.starttls_available = false;
    state_.cleartext_allowed = domain.cleartext_allowed;
    state_.certificate_account = handshake_.certificate_account;
    facts_ = handshake_.domain;
    if (!handshake_.certificate_problem.empty() && domain.log_level >= 2)
      server_.note(who + ": client certificate ignored: " + handshake_.certificate_problem);
    if (domain.certificate_required && !state_.certificate_account) {
      server_.note(who + ": refused: " + domain.domain + " requires a valid client certificate" +
                   (handshake_.certificate_presented ? "" : " and none was presented"));
      close();
      return;
    }
    if (domain.log_level >= 3)
      server_.note(who + ": " + state_.tls_version + " " + SSL_get_cipher_name(ssl) + " for " + domain.domain +
                   (SSL_session_reused(ssl) ? " (resumed)" : "") +
                   (state_.certificate_account ? ", client certificate of " + *state_.certificate_account : ""));
    if (kind_.implicit_tls && !greeted_) {
      greeted_ = true;
      apply(session_->greeting());
      return;
    }
    apply(session_->on_tls_started());
  }

  // --- timers -----------------------------------------------------------

  Clock::time_point deadline() const {
    const auto& o = server_.options;
    switch (phase_) {
      case Phase::Writing:
      case Phase::Closing: return phase_since_ + o.send_timeout;
      case Phase::Handshake: return phase_since_ + o.handshake_timeout;
      case Phase::Login: return Clock::time_point::max();
      case Phase::Idle:
      case Phase::Reading: break;
    }
    if (session_->logged_in()) return idle_since_ + o.idle_timeout;
    return std::min(idle_since_ + o.prelogin_idle_timeout, started_ + o.login_timeout);
  }

  // The deadline of the phase just entered; the timer is moved only when it
  // must fire sooner (a later deadline is found when it fires).
  void enter(Phase phase) {
    phase_ = phase;
    phase_since_ = Clock::now();
    arm_deadline();
  }

  void arm_deadline() {
    deadline_at_ = deadline();
    if (deadline_at_ == Clock::time_point::max()) return;
    if (waiting_ && deadline_.expiry() <= deadline_at_) return;
    deadline_.expires_at(deadline_at_);
    waiting_ = true;
    const auto generation = ++generation_;
    auto self = shared_from_this();
    deadline_.async_wait([self, generation](const error_code& ec) {
      if (ec || self->closed_ || generation != self->generation_) return;
      self->waiting_ = false;
      self->deadline_at_ = self->deadline();
      if (self->deadline_at_ > Clock::now()) {
        self->arm_deadline();
        return;
      }
      self->timed_out();
    });
  }

  void timed_out() {
    server_.timeouts.fetch_add(1, std::memory_order_relaxed);
    if (phase_ == Phase::Reading) {
      send_then_close(session_->on_timeout());
      return;
    }
    close();
  }

  // --- the end ----------------------------------------------------------

  void close() {
    if (closed_) return;
    closed_ = true;
    phase_ = Phase::Closing;
    error_code ignored;
    deadline_.cancel();
    hold_.cancel();
    if (ssl_ && state_.tls) (void)SSL_shutdown(ssl_.get());  // close_notify, if the socket takes it now
    ERR_clear_error();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    wipe_input();
    server_.open.fetch_sub(1, std::memory_order_relaxed);
    server_.release_address(state_.client_address);
    loop_.connections.erase(shared_from_this());
  }

  FrontServer::Impl& server_;
  Loop& loop_;
  tcp::socket socket_;
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl_{nullptr, SSL_free};
  std::string tls_error_;           // why the last TLS call failed, for the log
  void (Connection::*read_then_)() = nullptr;
  std::size_t written_ = 0;
  FrontKind kind_;
  ConnectionState state_;
  std::unique_ptr<Session> session_;
  std::shared_ptr<const DomainFronts> facts_;
  HandshakeFacts handshake_;
  asio::steady_timer deadline_;
  asio::steady_timer hold_;
  Clock::time_point deadline_at_{};
  std::uint64_t generation_ = 0;
  bool waiting_ = false;
  Clock::time_point started_{};
  Clock::time_point idle_since_{};
  Phase phase_ = Phase::Idle;
  Clock::time_point phase_since_{};
  Output::Next next_ = Output::Next::ReadLine;
  std::size_t literal_size_ = 0;
  LoginRequest login_;
  std::string mechanism_;
  std::string out_;
  std::vector<char> in_;
  bool greeted_ = false;
  bool farewell_ = false;
  bool stopping_ = false;  // the server stops: a farewell after the answer being written
  bool closed_ = false;
};

void FrontServer::Impl::accept(Listener& listener) {
  Loop& loop = *loops[next_loop.fetch_add(1, std::memory_order_relaxed) % loops.size()];
  listener.acceptor.async_accept(loop.io, [this, &listener, &loop](const error_code& ec, tcp::socket socket) {
    if (stopping.load()) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // Out of descriptors and the like: wait a little instead of spinning.
      note(std::string(front_kind_name(listener.spec.kind)) + ": accept failed: " + ec.message());
      auto timer = std::make_shared<asio::steady_timer>(listener.acceptor.get_executor(), std::chrono::milliseconds(100));
      timer->async_wait([this, &listener, timer](const error_code&) {
        if (!stopping.load()) accept(listener);
      });
      return;
    }
    error_code peer_ec;
    const auto peer = socket.remote_endpoint(peer_ec);
    std::string address = peer_ec ? std::string("unknown") : peer.address().to_string();
    if (peer.address().is_v6() && peer.address().to_v6().is_v4_mapped())
      address = peer.address().to_v6().to_v4().to_string();
    bool admitted = open.load() < options.max_connections;
    if (admitted) {
      std::lock_guard lock(addresses_mutex);
      auto& count = per_address[address];
      if (count >= options.max_per_address) admitted = false;
      else ++count;
    }
    if (!admitted) {
      const auto total = refused.fetch_add(1, std::memory_order_relaxed) + 1;
      // At most a line a second, however many come.
      const auto now = Clock::now();
      if (now - last_refusal_logged >= std::chrono::seconds(1)) {
        last_refusal_logged = now;
        note(std::string(front_kind_name(listener.spec.kind)) + ": refused a connection from " + address +
             " (bounds: " + std::to_string(options.max_connections) + " connections, " +
             std::to_string(options.max_per_address) + " per address; " + std::to_string(total) +
             " refused since start)");
      }
      error_code ignored;
      socket.close(ignored);
    } else {
      open.fetch_add(1, std::memory_order_relaxed);
      connections.fetch_add(1, std::memory_order_relaxed);
      asio::post(loop.io, [this, &loop, &listener, socket = std::move(socket), address = std::move(address)]() mutable {
        auto connection = std::make_shared<Connection>(*this, loop, std::move(socket), listener.spec.kind, address);
        if (stopping.load()) {
          open.fetch_sub(1, std::memory_order_relaxed);
          release_address(address);
          return;
        }
        loop.connections.insert(connection);
        connection->start();
      });
    }
    accept(listener);
  });
}

FrontServer::FrontServer(Host& host, FrontOptions options, Logger log)
    : impl_(std::make_unique<Impl>(host, std::move(options), std::move(log))) {
  auto& impl = *impl_;
  std::size_t loops = impl.options.event_loops;
  if (loops == 0) loops = std::max(1u, std::thread::hardware_concurrency());
  for (std::size_t i = 0; i < loops; ++i) impl.loops.push_back(std::make_unique<Loop>());
  for (const auto& spec : impl.options.fronts) {
    const std::string name = std::string(front_kind_name(spec.kind));
    const std::string where = spec.address + ":" + std::to_string(spec.port);
    try {
      const tcp::endpoint endpoint(asio::ip::make_address(spec.address), spec.port);
      auto listener = std::make_unique<Listener>(Listener{spec, tcp::acceptor(impl.loops[0]->io), {}});
      listener->acceptor.open(endpoint.protocol());
      listener->acceptor.set_option(tcp::acceptor::reuse_address(true));
      if (endpoint.address().is_v6()) listener->acceptor.set_option(asio::ip::v6_only(true));
      listener->acceptor.bind(endpoint);
      listener->acceptor.listen(asio::socket_base::max_listen_connections);
      listener->endpoint = endpoint_text(listener->acceptor.local_endpoint());
      impl.listeners.push_back(std::move(listener));
    } catch (const boost::system::system_error& e) {
      throw FrontError(name + " cannot listen on " + where + ": " + e.code().message());
    }
  }
  for (auto& listener : impl.listeners) impl.accept(*listener);
  for (auto& loop : impl.loops) {
    loop->guard.emplace(loop->io.get_executor());
    loop->thread = std::thread([&io = loop->io] {
      // OpenSSL writes to the socket with write(): a client gone must end
      // its connection with EPIPE, not the process with SIGPIPE.
      sigset_t pipe_signal;
      sigemptyset(&pipe_signal);
      sigaddset(&pipe_signal, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
      io.run();
    });
  }
}

FrontServer::~FrontServer() { stop(); }

std::vector<std::pair<std::string, std::string>> FrontServer::endpoints() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& listener : impl_->listeners)
    out.emplace_back(std::string(front_kind_name(listener->spec.kind)), listener->endpoint);
  return out;
}

FrontStats FrontServer::stats() const {
  const auto& i = *impl_;
  return {i.connections.load(), i.open.load(), i.refused.load(), i.handshake_failures.load(), i.timeouts.load(),
          i.logins.load()};
}

void FrontServer::stop() {
  auto& impl = *impl_;
  std::lock_guard lock(impl.stop_mutex);
  if (impl.stopped) return;
  impl.stopped = true;
  impl.stopping = true;
  for (auto& listener : impl.listeners)
    asio::post(impl.loops[0]->io, [&listener] {
      error_code ignored;
      listener->acceptor.close(ignored);
    });
  for (auto& loop : impl.loops)
    asio::post(loop->io, [&loop = *loop] {
      const auto all = loop.connections;
      for (const auto& connection : all) connection->shut_down();
    });
  // Logins under way finish (each is bounded by the login path's own
  // limits); their answers go to connections that are closing.
  impl.login_pool.join();
  const auto give_up = Clock::now() + std::chrono::seconds(3);
  while (impl.open.load() > 0 && Clock::now() < give_up) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  for (auto& loop : impl.loops) {
    loop->guard.reset();
    loop->io.stop();
  }
  for (auto& loop : impl.loops)
    if (loop->thread.joinable()) loop->thread.join();
  for (auto& loop : impl.loops) loop->connections.clear();
}

}  // namespace authd::host::fronts
